from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import ApiToken, AuditEvent, PilotRole, User


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
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "digest",
        "created_at",
        "last_used_at",
        "revoked_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
