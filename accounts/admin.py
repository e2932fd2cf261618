from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts import rules
from accounts.models import ApiToken, AuditEvent, PilotRole, User
from accounts.services import token_revoke


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin that only shows: writes go through the services, which check rules and audit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Pilotgate", {"fields": ("display_name",)}))


@admin.register(PilotRole)
class PilotRoleAdmin(ReadOnlyAdmin):
    """Role changes must leave an audit event: they go through portfolio.services."""

    list_display = ("pilot", "role", "user", "assigned_at")
    list_filter = ("role",)
    raw_id_fields = ("pilot", "user")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are revoked here, never deleted: revocation goes through
    accounts.services.token_revoke (which writes token.revoke) and keeps the row the audit
    trail and the API's "revoked" answer point at."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke_selected",)

    def has_revoke_permission(self, request) -> bool:
        # The same rule token_revoke applies to someone else's token.
        return rules.is_admin(request.user)

    @admin.action(description="Revoke selected API tokens", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, by=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API token(s).", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view(self.revoke_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_revoke"
        return [path("<path:object_id>/revoke/", view, name=name), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_revoke": self.has_revoke_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def revoke_view(self, request, object_id):
        """Confirm (GET), then revoke (POST) one token."""
        if not (self.has_view_permission(request) and self.has_revoke_permission(request)):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[token.pk]
        )
        if request.method == "POST":
            if token.revoked_at is None:
                token_revoke(token=token, by=request.user)
                self.message_user(request, f"Revoked {token}.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": token,
            "title": "Revoke API token",
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/accounts/apitoken/revoke.html", context)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
