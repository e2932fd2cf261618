from django.contrib import admin

from accounts.admin import AuditedAdmin, ReadOnlyAdmin
from metrics.models import MetricDefinition, MetricSource, PullRun


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(AuditedAdmin):
    """Every add, change and delete of the catalog here is audited."""

    list_display = (
        "key",
        "name",
        "unit",
        "direction",
        "dimension",
        "min_value",
        "max_value",
        "default_threshold",
    )
    list_filter = ("dimension", "direction")
    search_fields = ("key", "name")


# --- pull sources: the secret value is never shown, not even to admins -------------------


@admin.register(MetricSource)
class MetricSourceAdmin(ReadOnlyAdmin):
    """Sources are created and changed on the pilot pages, where the rules and audit apply."""

    list_display = ("name", "pilot", "kind", "enabled", "status", "consecutive_failures")
    list_filter = ("kind", "status", "enabled")
    search_fields = ("name", "pilot__name")
    exclude = ("secret_header_value", "pull_lease_until", "pull_lease_task")
    readonly_fields = (
        "status",
        "consecutive_failures",
        "last_success_at",
        "last_attempt_at",
        "last_error",
    )
    raw_id_fields = ("pilot", "created_by")


@admin.register(PullRun)
class PullRunAdmin(ReadOnlyAdmin):
    list_display = ("source", "started_at", "trigger", "outcome", "stored", "duplicate", "rejected")
    list_filter = ("outcome", "trigger")
