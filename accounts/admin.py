import re
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models.deletion import Collector
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from accounts import rules
from accounts.audit import audit_record, changes
from accounts.models import ApiToken, AuditEvent, PilotRole, User
from accounts.services import token_revoke, user_access_revoke, user_sessions_end
from config.encryption import EncryptedTextField


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin that only shows: writes go through the services, which check rules and audit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# At most this many ids of cascaded rows are named in a delete event (the count is exact).
CASCADE_IDS_SHOWN = 100


def _related_label(obj) -> str:
    if isinstance(obj, Permission):
        return f"{obj.content_type.app_label}.{obj.codename}"
    return str(obj)


class AuditedAdmin(admin.ModelAdmin):
    """An admin whose every write leaves one audit event per object, in the same transaction.

    Actions are "admin.<model>.create|update|delete" (model in snake_case, or `audit_name`).
    An update records only the fields that changed; create and delete record them all, and a
    delete also lists the rows it cascaded to. Secrets (fields in `audit_secret_fields`, and
    every encrypted field) are recorded by state only ("set", "changed"), never by value;
    `audit_exclude` leaves fields out.

    The event is written in save_related, after many-to-many fields are saved, so a change
    of groups is seen; the admin always calls save_model then save_related. Add, change and
    delete views are atomic in Django already; bulk actions are not, so they are made so here.
    """

    audit_name: str = ""
    audit_exclude: tuple[str, ...] = ()
    audit_secret_fields: tuple[str, ...] = ()

    # --- what is recorded ---------------------------------------------------------------

    def audit_action(self, verb: str) -> str:
        name = self.audit_name or re.sub(r"(?<!^)(?=[A-Z])", "_", self.model.__name__).lower()
        return f"admin.{name}.{verb}"

    def audit_pilot_id(self, obj) -> int | None:
        return getattr(obj, "pilot_id", None)

    def audit_secret_state(self, name: str, value: Any) -> str:
        return "set" if value else "empty"

    def audit_snapshot(self, obj) -> dict[str, Any]:
        """The audited fields' values as stored; secrets still raw (see `_scrub`)."""
        opts = obj._meta
        data: dict[str, Any] = {}
        for field in [*opts.concrete_fields, *opts.many_to_many]:
            if field.primary_key or field.name in self.audit_exclude:
                continue
            if field.many_to_many:
                related = getattr(obj, field.name).all()
                if field.related_model is Permission:
                    related = related.select_related("content_type")
                data[field.name] = sorted(_related_label(o) for o in related)
            else:
                data[field.name] = field.value_from_object(obj)
        return data

    def _stored_snapshot(self, pk) -> dict[str, Any]:
        # Read back from the database (locked), so the event says what is stored.
        stored = self.model._default_manager.select_for_update().get(pk=pk)
        return self.audit_snapshot(stored)

    def _secret_names(self) -> set[str]:
        encrypted = {
            f.name for f in self.model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        }
        return {*self.audit_secret_fields, *encrypted}

    def _scrub(self, data: dict[str, Any]) -> dict[str, Any]:
        secrets = self._secret_names()
        return {k: self.audit_secret_state(k, v) if k in secrets else v for k, v in data.items()}

    def _cascade(self, obj) -> dict[str, Any]:
        """The rows deleting `obj` takes with it, by model (many-to-many links left out:
        the snapshot lists them)."""
        collector = Collector(using=router.db_for_write(self.model), origin=obj)
        collector.collect([obj])
        found: dict[str, list] = {}
        for model, instances in collector.data.items():
            pks = [i.pk for i in instances if not (model is type(obj) and i.pk == obj.pk)]
            if pks and not model._meta.auto_created:
                found.setdefault(model._meta.label_lower, []).extend(pks)
        for queryset in collector.fast_deletes:
            if not queryset.model._meta.auto_created:
                pks = list(queryset.values_list("pk", flat=True))
                if pks:
                    found.setdefault(queryset.model._meta.label_lower, []).extend(pks)
        return {
            label: {"count": len(pks), "ids": sorted(pks)[:CASCADE_IDS_SHOWN]}
            for label, pks in sorted(found.items())
        }

    # --- writing the events -------------------------------------------------------------

    def audit_update(self, request, obj, before: dict[str, Any]) -> None:
        """One update event for what changed between `before` and what is stored now."""
        after = self._stored_snapshot(obj.pk)
        old, new = changes(before, after)
        if not new:
            return
        for name in self._secret_names():
            if name in new:
                old_state = self.audit_secret_state(name, old[name])
                new_state = self.audit_secret_state(name, new[name])
                old[name] = old_state
                new[name] = "changed" if new_state == old_state else new_state
        self._event(request, obj, "update", before=old, after=new)

    def _audit_delete(self, request, obj) -> None:
        before = self._scrub(self.audit_snapshot(obj))
        cascade = self._cascade(obj)
        if cascade:
            before["cascade"] = cascade
        self._event(request, obj, "delete", before=before)

    def _event(self, request, obj, verb: str, **change) -> None:
        audit_record(
            actor=request.user,
            action=self.audit_action(verb),
            obj=obj,
            pilot_id=self.audit_pilot_id(obj),
            **change,
        )

    # --- the admin's write hooks --------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            obj._audit_before = self._stored_snapshot(obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        if change:
            self.audit_update(request, obj, obj.__dict__.pop("_audit_before"))
            return
        self._event(request, obj, "create", after=self._scrub(self._stored_snapshot(obj.pk)))

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def response_action(self, request, queryset):
        # The changelist runs actions outside a transaction; an action's writes and their
        # audit events (and the admin's log entries) commit together or not at all.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    """Users and their global roles (groups). The password is audited by state only."""

    fieldsets = (*BaseUserAdmin.fieldsets, ("Pilotgate", {"fields": ("display_name",)}))
    # Bookkeeping, not for hand edits; and the form would drop their microseconds on every
    # save, which the audit would then report as a change.
    readonly_fields = ("last_login", "date_joined")
    audit_secret_fields = ("password",)
    # What grants privileges: only a superuser changes them, so staff allowed to edit users
    # cannot make themselves (or anyone) an admin.
    privilege_fields = ("is_staff", "is_superuser", "groups", "user_permissions")
    actions = ["end_sessions"]

    @admin.action(description="End the selected users' sessions", permissions=["change"])
    def end_sessions(self, request, queryset):
        ended = sum(user_sessions_end(user=user, by=request.user) for user in queryset)
        self.message_user(request, f"{ended} session(s) ended.", messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        was_active = form.initial.get("is_active", True)
        super().save_related(request, form, formsets, change)
        # Deactivated: its API tokens and sessions end now, in the same transaction.
        if change and was_active and not form.instance.is_active:
            user_access_revoke(user=form.instance, by=request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, *self.privilege_fields)

    def audit_secret_state(self, name: str, value: Any) -> str:
        if name == "password" and value and value.startswith(UNUSABLE_PASSWORD_PREFIX):
            return "unusable"
        return super().audit_secret_state(name, value)

    def has_delete_permission(self, request, obj=None):
        # The event recording a deletion names its actor, and an actor's row is protected:
        # deleting oneself could only fail, so refuse it up front (also in bulk).
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        # Django saves this form outside a transaction and outside save_model.
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic(using=router.db_for_write(self.model)):
            user = self.get_object(request, unquote(id))
            if user is None or not self.has_change_permission(request, user):
                return super().user_change_password(request, id, form_url)
            before = self._stored_snapshot(user.pk)
            response = super().user_change_password(request, id, form_url)
            self.audit_update(request, user, before)
            return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    """Groups are the global roles: renaming one or changing its permissions is audited."""


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
