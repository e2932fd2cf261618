"""The stored portfolio signal per pilot: gather inputs in bulk, run the pure function.

Inputs per pilot, all read with a fixed number of queries for any number of pilots:
- each metric's mean over the last `WINDOW_DAYS` days of daily rollups (count-weighted);
- its target (a `target` expectation) and its breach threshold (a `stop` or
  `rollback` expectation, else a `monitor` threshold) from the workbooks;
- the number of unresolved alerts on reliability metrics (the operating burden; alerts
  on value or cost metrics already count in their own dimension); an unresolved `stop`
  alert sets `stop_recommended`;
- the number of degraded metric sources (stored for the dashboard's pilots at risk);
- the net annual value of the economic case when the workbooks app provides it;
- staleness (`metrics.signal.is_stale`) from the stage, its entry time and whether a
  review is pending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from metrics.models import (
    Alert,
    AlertStatus,
    ExpectationKind,
    MetricDefinition,
    MetricRollup,
    MetricSource,
    PilotSignal,
    RollupPeriod,
    SourceStatus,
)
from metrics.signal import (
    DimensionAssessment,
    MetricStatus,
    Signal,
    SignalInputs,
    is_stale,
    portfolio_signal,
)
from metrics.thresholds import expectations_for
from portfolio.models import Pilot

WINDOW_DAYS = 7


@dataclass(frozen=True)
class PilotSignalFacts:
    signal: Signal
    open_alerts: int
    degraded_sources: int
    stale: bool
    stop_recommended: bool
    stop_reason: str


def _pending_review_pilot_ids(pilot_ids: Sequence[int]) -> set[int]:
    """Pilots with a review waiting for a decision (none until the gates app has reviews)."""
    try:
        from gates.models import Review
    except ImportError:
        return set()
    return set(
        Review.objects.filter(pilot_id__in=list(pilot_ids), status="pending").values_list(
            "pilot_id", flat=True
        )
    )


def _net_annual_values(pilot_ids: Sequence[int]) -> dict[int, float]:
    """Net annual value of each complete economic case (one query for all pilots)."""
    try:
        from portfolio.workbooks.models import StrategyWorkbook
        from portfolio.workbooks.selectors import economic_case_of
    except ImportError:
        return {}
    values: dict[int, float] = {}
    for workbook in StrategyWorkbook.objects.filter(pilot_id__in=list(pilot_ids)):
        try:
            case = economic_case_of(workbook)
        except (ValueError, ArithmeticError):
            continue
        if case.complete:
            values[workbook.pilot_id] = float(case.net_annual_value)
    return values


def compute_many(
    pilot_ids: Sequence[int], *, expectations_provider: Callable | None = None
) -> dict[int, PilotSignalFacts]:
    pilot_ids = list(pilot_ids)
    if not pilot_ids:
        return {}
    now = timezone.now()
    catalog = {m.pk: m for m in MetricDefinition.objects.all()}
    by_key = {m.key: m for m in catalog.values()}
    means: dict[int, dict[int, float]] = defaultdict(dict)
    rows = (
        MetricRollup.objects.filter(
            period=RollupPeriod.DAY,
            pilot_id__in=pilot_ids,
            bucket_start__gte=now - timedelta(days=WINDOW_DAYS),
        )
        .values("pilot_id", "metric_id")
        .annotate(n=Sum("count"), total=Sum("total"))
        .order_by()
    )
    for row in rows:
        if row["n"]:
            means[row["pilot_id"]][row["metric_id"]] = row["total"] / row["n"]

    targets: dict[tuple[int, str], float] = {}
    limits: dict[tuple[int, str], float] = {}
    # A breach limit: a stop condition or rollback trigger, else a monitoring threshold.
    rank = {ExpectationKind.STOP: 0, ExpectationKind.ROLLBACK: 1, ExpectationKind.MONITOR: 2}
    limit_rank: dict[tuple[int, str], int] = {}
    for e in expectations_for(pilot_ids, expectations_provider):
        key = (int(e.pilot_id), e.metric_key)
        if e.kind == ExpectationKind.TARGET:
            targets.setdefault(key, float(e.value))
        elif e.kind in rank and rank[e.kind] < limit_rank.get(key, 9):
            limits[key] = float(e.value)
            limit_rank[key] = rank[e.kind]

    open_counts: dict[int, int] = defaultdict(int)
    burden_counts: dict[int, int] = defaultdict(int)
    for pilot_id, metric_id, n in (
        Alert.objects.filter(pilot_id__in=pilot_ids)
        .exclude(status=AlertStatus.RESOLVED)
        .values("pilot_id", "metric_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("pilot_id", "metric_id", "n")
    ):
        open_counts[pilot_id] += n
        # Only reliability alerts are operating burden; a cost or value alert already
        # shows in its own dimension and counting it twice would blur the signal.
        if metric_id in catalog and catalog[metric_id].dimension == "reliability":
            burden_counts[pilot_id] += n
    stop_alerts: dict[int, str] = {}
    for alert in (
        Alert.objects.filter(pilot_id__in=pilot_ids, kind=ExpectationKind.STOP)
        .exclude(status=AlertStatus.RESOLVED)
        .select_related("metric")
        .order_by("opened_at")
    ):
        stop_alerts.setdefault(
            alert.pilot_id,
            f"Stop condition met: {alert.metric.key} is {alert.observed_value:g} "
            f"({alert.op} {alert.threshold:g})",
        )
    net_values = _net_annual_values(pilot_ids)
    pending = _pending_review_pilot_ids(pilot_ids)
    degraded = dict(
        MetricSource.objects.filter(pilot_id__in=pilot_ids, status=SourceStatus.DEGRADED)
        .values("pilot_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("pilot_id", "n")
    )
    pilots = Pilot.objects.filter(pk__in=pilot_ids).only("id", "stage", "stage_entered_at")

    out: dict[int, PilotSignalFacts] = {}
    for pilot in pilots:
        metrics: dict[str, MetricStatus] = {}
        keys = {catalog[m].key for m in means.get(pilot.pk, {})}
        keys |= {k for (p, k) in targets if p == pilot.pk} | {
            k for (p, k) in limits if p == pilot.pk
        }
        for key in sorted(keys):
            definition = by_key.get(key)
            if definition is None:
                continue
            metrics[key] = MetricStatus(
                key=key,
                dimension=definition.dimension,
                value=means.get(pilot.pk, {}).get(definition.pk),
                target=targets.get((pilot.pk, key)),
                direction=definition.direction,
                threshold=limits.get((pilot.pk, key)),
            )
        open_alerts = open_counts.get(pilot.pk, 0)
        signal = portfolio_signal(
            SignalInputs(
                metrics=metrics,
                open_alerts=burden_counts.get(pilot.pk, 0),
                net_annual_value=net_values.get(pilot.pk),
            )
        )
        out[pilot.pk] = PilotSignalFacts(
            signal=signal,
            open_alerts=open_alerts,
            degraded_sources=degraded.get(pilot.pk, 0),
            stale=is_stale(pilot.stage, pilot.stage_entered_at, pilot.pk in pending, now),
            stop_recommended=pilot.pk in stop_alerts,
            stop_reason=stop_alerts.get(pilot.pk, "")[:300],
        )
    return out


@transaction.atomic
def refresh(
    pilot_ids: Sequence[int], *, expectations_provider: Callable | None = None
) -> dict[int, PilotSignalFacts]:
    """Recompute and store the signal of these pilots."""
    facts = compute_many(pilot_ids, expectations_provider=expectations_provider)
    now = timezone.now()
    PilotSignal.objects.bulk_create(
        [
            PilotSignal(
                pilot_id=pilot_id,
                code=f.signal.code,
                label=f.signal.label,
                reasons=list(f.signal.reasons),
                value_status=f.signal.value.status,
                reliability_status=f.signal.reliability.status,
                economics_status=f.signal.economics.status,
                open_alerts=f.open_alerts,
                degraded_sources=f.degraded_sources,
                stale=f.stale,
                stop_recommended=f.stop_recommended,
                stop_reason=f.stop_reason,
                computed_at=now,
            )
            for pilot_id, f in facts.items()
        ],
        update_conflicts=True,
        unique_fields=["pilot"],
        update_fields=[
            "code",
            "label",
            "reasons",
            "value_status",
            "reliability_status",
            "economics_status",
            "open_alerts",
            "degraded_sources",
            "stale",
            "stop_recommended",
            "stop_reason",
            "computed_at",
        ],
    )
    return facts


def refresh_on_commit(pilot_id: int) -> None:
    """Refresh one pilot's stored signal once the current transaction commits (after a
    change to what it counts: alerts, source health)."""
    transaction.on_commit(lambda: refresh([pilot_id]))


def to_signal(stored: PilotSignal) -> Signal:
    """Rebuild the pure Signal from its stored row (dimension reasons are in `reasons`)."""
    return Signal(
        code=stored.code,
        label=stored.label,
        reasons=tuple(stored.reasons),
        value=DimensionAssessment(stored.value_status),
        reliability=DimensionAssessment(stored.reliability_status),
        economics=DimensionAssessment(stored.economics_status),
    )
