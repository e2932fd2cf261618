import django_filters
from django.db.models import Q

from accounts.models import PilotRole
from portfolio.models import Pilot, RiskTier, Stage, Status


class PilotFilter(django_filters.FilterSet):
    """Pilot list filters on the pilot's own fields, shared by the page and the API; the
    dashboard adds the filters that read other apps (dashboard.pilot_pages.filters)."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    business_unit = django_filters.CharFilter(field_name="business_unit", label="Business unit")
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices, label="Risk tier")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only mine")

    class Meta:
        model = Pilot
        fields = [
            "q",
            "stage",
            "status",
            "business_unit",
            "risk_tier",
            "mine",
        ]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(summary__icontains=value))

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(pk__in=PilotRole.objects.filter(user=user).values("pilot_id"))
