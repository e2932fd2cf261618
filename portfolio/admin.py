from django.contrib import admin

from accounts import rules
from accounts.admin import AuditedAdmin, ReadOnlyAdmin
from portfolio import services
from portfolio.models import BusinessUnit, Pilot


@admin.register(Pilot)
class PilotAdmin(ReadOnlyAdmin):
    """Read-only: pilot writes go through services so they are audited."""

    list_display = ("name", "business_unit", "stage", "status", "risk_tier", "confidential")
    list_filter = ("stage", "status", "risk_tier", "business_unit")
    search_fields = ("name",)


@admin.register(BusinessUnit)
class BusinessUnitAdmin(AuditedAdmin):
    """The managed list of business units: admins add, rename and retire them (audited as
    admin.business_unit.create / update). Never deleted: pilots point at them."""

    list_display = ("name", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    fields = ("name", "active")

    def has_view_permission(self, request, obj=None):
        return rules.is_admin(request.user)

    def has_add_permission(self, request):
        return rules.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return rules.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # retire a unit (active off) instead

    def has_module_permission(self, request):
        return rules.is_admin(request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.business_unit_pilots_follow(unit=form.instance)
