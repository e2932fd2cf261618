from django.contrib import admin

from portfolio.models import Pilot


@admin.register(Pilot)
class PilotAdmin(admin.ModelAdmin):
    """Read-only: pilot writes go through services so they are audited."""

    list_display = ("name", "business_unit", "stage", "status", "risk_tier", "confidential")
    list_filter = ("stage", "status", "risk_tier", "business_unit")
    search_fields = ("name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
