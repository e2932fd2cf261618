from django.contrib import admin

from metrics.models import MetricDefinition


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "unit", "direction", "dimension", "min_value", "max_value")
    list_filter = ("dimension", "direction")
    search_fields = ("key", "name")


# --- pull sources: the secret value is never shown, not even to admins -------------------

from metrics.models import MetricSource, PullRun  # noqa: E402


@admin.register(MetricSource)
class MetricSourceAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        # Sources are created through the pilot pages, where the rules and audit apply.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PullRun)
class PullRunAdmin(admin.ModelAdmin):
    list_display = ("source", "started_at", "trigger", "outcome", "stored", "duplicate", "rejected")
    list_filter = ("outcome", "trigger")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
