import django_filters
from django.utils import timezone

from dashboard.selectors import attention
from dashboard.selectors.pilots import signal_expr
from metrics.signal import SIGNAL_CODES, SIGNAL_LABELS
from portfolio.filters import PilotFilter


class PortfolioPilotFilter(PilotFilter):
    """The pilot list's filters: the pilot's own fields, plus its signal and whether it
    needs attention (read through the dashboard's selectors). Page and API share it."""

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

    class Meta(PilotFilter.Meta):
        fields = [*PilotFilter.Meta.fields, "signal", "attention"]

    def filter_signal(self, queryset, name, value):
        return queryset.annotate(signal_code=signal_expr()).filter(signal_code=value)

    def filter_attention(self, queryset, name, value):
        return attention.filter_pilots(queryset, value, timezone.now())
