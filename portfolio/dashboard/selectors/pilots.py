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

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import rules
from gates.models import Review
from metrics.signal import EXPECTED_STAGE_DAYS, INSUFFICIENT_DATA
from portfolio.dashboard.filters import DashboardFilters, apply_pilot_filters
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


def over_expected_q(now: datetime) -> Q:
    """In a stage longer than expected (metrics.signal.EXPECTED_STAGE_DAYS)."""
    q = Q(pk__in=[])
    for stage, days in EXPECTED_STAGE_DAYS.items():
        q |= Q(stage=stage, stage_entered_at__lt=now - timedelta(days=days))
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
    now = now or timezone.now()
    queryset = apply_pilot_filters(
        rules.visible_pilots(user, Pilot.objects.all()), filters, now=now
    )
    if filters.signal == INSUFFICIENT_DATA:
        queryset = queryset.filter(Q(signal__isnull=True) | Q(signal__code=INSUFFICIENT_DATA))
    elif filters.signal:
        queryset = queryset.filter(signal__code=filters.signal)
    if filters.flag:
        queryset = queryset.filter(flag_q(filters.flag, now))
    return queryset.order_by()
