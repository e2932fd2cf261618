"""Dashboard filters: one GET form shared by the page, the CSV export and the summary API.

A bad value never fails the page: the form reports it and that filter is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.utils import timezone

from accounts.models import PilotRole, PilotRoleKind
from metrics.signal import SIGNAL_CODES, SIGNAL_LABELS
from portfolio.models import RiskTier, Stage, Status

# Buckets of "days in the current stage", used by the time-in-stage chart and its drill-down.
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-30", "0–30 days", 0, 30),
    ("31-90", "31–90 days", 31, 90),
    ("91-180", "91–180 days", 91, 180),
    ("181+", "Over 180 days", 181, None),
)

RISK_FLAGS = {
    "alerts": "Open alerts",
    "stop": "Stop recommended",
    "degraded": "Degraded sources",
    "stale": "Stale in stage",
}

FILTER_FIELDS = ("business_unit", "stage", "status", "owner", "risk_tier", "signal", "age", "flag")


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "Any"), *choices]


class DashboardFilterForm(forms.Form):
    business_unit = forms.CharField(required=False, max_length=100, label="Business unit")
    stage = forms.ChoiceField(required=False, choices=_blank(Stage.choices))
    status = forms.ChoiceField(required=False, choices=_blank(Status.choices))
    owner = forms.IntegerField(required=False, min_value=1, label="Business owner")
    risk_tier = forms.ChoiceField(
        required=False, choices=_blank(RiskTier.choices), label="Risk tier"
    )
    signal = forms.ChoiceField(
        required=False, choices=_blank([(c, SIGNAL_LABELS[c]) for c in SIGNAL_CODES])
    )
    age = forms.ChoiceField(
        required=False,
        choices=_blank([(k, label) for k, label, _, _ in AGE_BUCKETS]),
        label="Days in stage",
    )
    flag = forms.ChoiceField(required=False, choices=_blank(list(RISK_FLAGS.items())), label="Risk")
    budget = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        label="Budget (first year)",
        help_text="Build cost plus one year of running cost the portfolio can fund.",
    )
    measured_only = forms.BooleanField(
        required=False,
        label="Rank on measured value only",
        help_text="Leave out candidates whose value is only the owner's estimate.",
    )


@dataclass(frozen=True)
class DashboardFilters:
    business_unit: str = ""
    stage: str = ""
    status: str = ""
    owner: int | None = None
    risk_tier: str = ""
    signal: str = ""
    age: str = ""
    flag: str = ""
    budget: Decimal | None = None
    measured_only: bool = False

    @property
    def active(self) -> dict[str, str]:
        """The filters in use, as URL parameters (budget excluded: it filters nothing)."""
        out = {}
        for name in FILTER_FIELDS:
            value = getattr(self, name)
            if value not in ("", None):
                out[name] = str(value)
        return out

    def with_(self, **changes) -> dict[str, str]:
        """URL parameters of these filters with some changed (drill-down links)."""
        params = self.active
        for key, value in changes.items():
            if value in ("", None):
                params.pop(key, None)
            else:
                params[key] = str(value)
        if self.budget is not None:
            params["budget"] = str(self.budget)
        if self.measured_only:
            params["measured_only"] = "true"
        return params


def parse_filters(data: QueryDict | dict) -> tuple[DashboardFilters, DashboardFilterForm]:
    """Bound form plus the filters that validated; invalid fields are left out."""
    form = DashboardFilterForm(data or None)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    values = {}
    for name in (*FILTER_FIELDS, "budget", "measured_only"):
        if name in cleaned and cleaned[name] not in ("", None):
            values[name] = (
                cleaned[name].strip() if isinstance(cleaned[name], str) else cleaned[name]
            )
    return DashboardFilters(**values), form


def apply_pilot_filters(queryset: QuerySet, filters: DashboardFilters, *, now=None) -> QuerySet:
    """Filters that are plain pilot columns or role/age/flag conditions.

    The signal and the flags that need metrics data are applied by the selectors, which know
    where those facts live.
    """
    now = now or timezone.now()
    if filters.business_unit:
        queryset = queryset.filter(business_unit=filters.business_unit)
    if filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.risk_tier:
        queryset = queryset.filter(risk_tier=filters.risk_tier)
    if filters.owner:
        owns = PilotRole.objects.filter(
            pilot=OuterRef("pk"), role=PilotRoleKind.BUSINESS_OWNER, user_id=filters.owner
        )
        queryset = queryset.filter(Exists(owns))
    if filters.age:
        low, high = next((lo, hi) for key, _, lo, hi in AGE_BUCKETS if key == filters.age)
        # Entered `low` days ago or earlier, and (if bounded) less than `high + 1` days ago.
        queryset = queryset.filter(stage_entered_at__lte=now - timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(stage_entered_at__gt=now - timedelta(days=high + 1))
    return queryset
