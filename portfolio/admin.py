from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from portfolio.models import Pilot


@admin.register(Pilot)
class PilotAdmin(ReadOnlyAdmin):
    """Read-only: pilot writes go through services so they are audited."""

    list_display = ("name", "business_unit", "stage", "status", "risk_tier", "confidential")
    list_filter = ("stage", "status", "risk_tier", "business_unit")
    search_fields = ("name",)
