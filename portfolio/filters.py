import django_filters
from django.db.models import Q
from django.utils import timezone

from accounts.models import PilotRole
from dashboard.selectors import attention
from dashboard.selectors.pilots import signal_expr
from metrics.signal import SIGNAL_CODES, SIGNAL_LABELS
from portfolio.models import Pilot, RiskTier, Stage, Status


class PilotFilter(django_filters.FilterSet):
    """Pilot list filters, shared by the page and the API."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    business_unit = django_filters.CharFilter(field_name="business_unit", label="Business unit")
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices, label="Risk tier")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only mine")
    # field_name names the annotation, not the model's `signal` relation (an integer key),
    # so the schema describes the parameter as the signal codes it takes.
    signal = django_filters.ChoiceFilter(
        field_name="signal_code",
        choices=[(c, SIGNAL_LABELS[c]) for c in SIGNAL_CODES],
        method="filter_signal",
        label="Signal",
    )
    attention = django_filters.ChoiceFilter(
        choices=list(attention.LABELS.items()), method="filter_attention", label="Needs attention"
    )

    class Meta:
        model = Pilot
        fields = [
            "q",
            "stage",
            "status",
            "business_unit",
            "risk_tier",
            "mine",
            "signal",
            "attention",
        ]

    def filter_signal(self, queryset, name, value):
        return queryset.annotate(signal_code=signal_expr()).filter(signal_code=value)

    def filter_attention(self, queryset, name, value):
        return attention.filter_pilots(queryset, value, timezone.now())

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(summary__icontains=value))

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(pk__in=PilotRole.objects.filter(user=user).values("pilot_id"))
