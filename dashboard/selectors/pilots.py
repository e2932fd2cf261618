"""The pilots in view: the confidential rule, then every filter, then the risk flags.

Everything on the dashboard starts from `dashboard_pilots(user=, filters=)`, which applies
accounts.rules.visible_pilots before anything else, so no aggregate, list or export can
count a pilot the user may not see.

The risk flags read the stored signal row (metrics.PilotSignal), which metrics keeps up to
date when alerts, sources and snapshots change, so "at risk" is a lookup on one joined row
per pilot. Only "stale" depends on the clock, so it is computed from the pilot's stage and
whether a review is pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import rules
from dashboard.filters import DashboardFilters, apply_pilot_filters
from gates.models import Review
from metrics.signal import INSUFFICIENT_DATA, stale_before
from portfolio.models import Pilot, Status


def signal_expr():
    """The pilot's signal code; a pilot without a stored signal has insufficient data."""
    return Coalesce(F("signal__code"), Value(INSUFFICIENT_DATA))


def open_alerts_q() -> Q:
    return Q(signal__open_alerts__gt=0)


def stop_q() -> Q:
    return Q(signal__stop_recommended=True)


def degraded_q() -> Q:
    return Q(signal__degraded_sources__gt=0)


def pending_review_q() -> Q:
    return Q(Exists(Review.objects.filter(pilot=OuterRef("pk"), status="pending")))


def expected_stage_days() -> tuple[tuple[str, int], ...]:
    """settings.PILOTGATE_EXPECTED_STAGE_DAYS as a hashable part of a query's shape."""
    return tuple(sorted(settings.PILOTGATE_EXPECTED_STAGE_DAYS.items()))


def over_expected_q(now: datetime) -> Q:
    """In a stage longer than expected (settings.PILOTGATE_EXPECTED_STAGE_DAYS; part of
    every InView's shape, so a compiled query never keeps another setting's offsets)."""
    q = Q(pk__in=[])
    for stage, before in stale_before(now, dict(expected_stage_days())).items():
        q |= Q(stage=stage, stage_entered_at__lt=before)
    return q


def stale_q(now: datetime) -> Q:
    """The "permanent demo" of metrics.signal.is_stale, as SQL: active, too long in stage,
    no review requested."""
    return Q(status=Status.ACTIVE) & over_expected_q(now) & ~pending_review_q()


def flag_q(flag: str, now: datetime) -> Q:
    return {
        "alerts": open_alerts_q,
        "stop": stop_q,
        "degraded": degraded_q,
        "stale": lambda: stale_q(now),
    }[flag]()


def at_risk_q(now: datetime) -> Q:
    return open_alerts_q() | stop_q() | degraded_q() | stale_q(now)


def dashboard_pilots(*, user, filters: DashboardFilters, now: datetime | None = None) -> QuerySet:
    """The visible pilots matching every filter. The base of every dashboard number."""
    view = in_view(user=user, filters=filters, now=now or timezone.now())
    return pilots_in(view.shape, view.values)


# The filters whose value only flows into the query; the others (signal, days in stage,
# risk flag) choose its structure, so their value is part of the shape.
VALUE_FILTERS = ("business_unit", "stage", "status", "risk_tier", "owner")


@dataclass(frozen=True)
class InView:
    """The pilots in view as a query shape and its values (dashboard.compiled):
    who reads (their id, whether they see every pilot and read whole aggregates) and the
    filters. Selectors build their queries from `pilots_in(shape, values)`."""

    shape: tuple
    values: dict
    filters: DashboardFilters
    whole: bool  # accounts.rules.sees_whole_aggregates

    @property
    def now(self) -> datetime:
        return self.values["now"]


def in_view(*, user, filters: DashboardFilters, now: datetime) -> InView:
    reader = "nobody"
    if user is not None and user.is_authenticated and user.is_active:
        reader = "all" if rules.sees_all_pilots(user) else "roles"
    used = tuple(name for name in VALUE_FILTERS if getattr(filters, name) not in ("", None))
    values = {"now": now, **{name: getattr(filters, name) for name in used}}
    if reader == "roles":
        values["reader"] = user.pk
    return InView(
        shape=(reader, used, filters.signal, filters.age, filters.flag, expected_stage_days()),
        values=values,
        filters=filters,
        whole=rules.sees_whole_aggregates(user),
    )


def pilots_in(shape: tuple, values) -> QuerySet:
    """The visible pilots matching every filter, for an InView's shape and values (real or
    the sentinels dashboard.compiled compiles with)."""
    reader, used, signal, age, flag, _stage_days = shape
    if reader == "nobody":
        return Pilot.objects.none()
    queryset = rules.visible_pilots_of(
        values.get("reader"), sees_all=reader == "all", queryset=Pilot.objects.all()
    )
    filters = DashboardFilters(
        **{name: values[name] for name in used}, signal=signal, age=age, flag=flag
    )
    now = values["now"]
    queryset = apply_pilot_filters(queryset, filters, now=now)
    if signal == INSUFFICIENT_DATA:
        queryset = queryset.filter(Q(signal__isnull=True) | Q(signal__code=INSUFFICIENT_DATA))
    elif signal:
        queryset = queryset.filter(signal__code=signal)
    if flag:
        queryset = queryset.filter(flag_q(flag, now))
    return queryset.order_by()
