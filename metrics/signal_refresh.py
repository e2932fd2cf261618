"""The portfolio signal per pilot: gather inputs in bulk, run the pure function.

Inputs per pilot, all read with a fixed number of queries for any number of pilots:
- each metric's mean over the last `WINDOW_DAYS` days of daily rollups (count-weighted),
  and over the `WINDOW_DAYS` before that (the trend of value metrics);
- its target and baseline (success metrics), its breach threshold (a rollback trigger,
  else a monitoring threshold, else the catalog's default) and its stop conditions;
- the latest value in the window of each metric with a stop condition;
- the number of unresolved alerts on reliability metrics (the operating burden);
- the planned economic case and the realised one (portfolio.economics.realised_economics)
  from the last `ECONOMICS_DAYS` days of cost and benefit metrics;
- staleness (`metrics.signal.is_stale`) from the stage, its entry time, whether a review
  is pending and settings.PILOTGATE_EXPECTED_STAGE_DAYS.

Everything is relative to `now`: a pilot whose data stopped arriving has no data in the
window, so its metric dimensions are unknown. A stored signal is current until the next
UTC midnight (the window moves by whole days, by-dates are dates); pages and the API
compute the signal where they read it, and beat refreshes stored rows that have expired
(`refresh_expired`) for the dashboard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from config.money import number_unit
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
    STOP,
    DimensionAssessment,
    MetricStatus,
    Signal,
    SignalInputs,
    StopCondition,
    is_stale,
    portfolio_signal,
)
from metrics.thresholds import expectations_for
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.economics import realised_economics
from portfolio.models import Pilot
from portfolio.workbooks.models import StrategyWorkbook
from portfolio.workbooks.selectors import economic_case_of, economic_inputs_of

WINDOW_DAYS = 7
ECONOMICS_DAYS = 30
ECONOMICS_METRICS = ("monthly_run_cost", "cost_per_transaction", "realized_benefit")


@dataclass(frozen=True)
class PilotSignalFacts:
    signal: Signal
    open_alerts: int
    degraded_sources: int
    stale: bool
    stop_recommended: bool
    stop_reason: str
    planned_net_value: Decimal | None = None
    realized_net_value: Decimal | None = None
    realised: dict | None = None  # RealisedEconomics.as_dict()
    last_data_at: datetime | None = None


def expected_stage_days() -> dict[str, int]:
    return dict(getattr(settings, "PILOTGATE_EXPECTED_STAGE_DAYS", {}))


def day_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# Reviews belong to the gates app, a layer above this one: it registers how to find the
# pilots waiting for a decision (GatesConfig.ready). None registered: no pending reviews.
PENDING_REVIEW_FINDERS: list[Callable[[Sequence[int]], set[int]]] = []


def _pending_review_pilot_ids(pilot_ids: Sequence[int]) -> set[int]:
    """Pilots with a review waiting for a decision."""
    return set().union(*(find(pilot_ids) for find in PENDING_REVIEW_FINDERS))


def _economics(pilot_ids: Sequence[int], measured: dict[int, dict[str, float]]) -> dict:
    """pilot id -> (planned net, realised economics or None), one query for all pilots."""
    out: dict[int, tuple] = {}
    for workbook in StrategyWorkbook.objects.filter(pilot_id__in=list(pilot_ids)):
        try:
            inputs = economic_inputs_of(workbook)
            case = economic_case_of(workbook)
            figures = measured.get(workbook.pilot_id, {})
            realised = realised_economics(
                inputs,
                monthly_run_cost=figures.get("monthly_run_cost"),
                cost_per_transaction=figures.get("cost_per_transaction"),
                monthly_benefit=figures.get("realized_benefit"),
            )
        except (ValueError, ArithmeticError):
            continue
        out[workbook.pilot_id] = (case.net_annual_value if case.complete else None, realised)
    return out


def compute_many(
    pilot_ids: Sequence[int],
    *,
    expectations_provider: Callable | None = None,
    now: datetime | None = None,
) -> dict[int, PilotSignalFacts]:
    pilot_ids = list(pilot_ids)
    if not pilot_ids:
        return {}
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    current_from = now - timedelta(days=WINDOW_DAYS)
    previous_from = now - timedelta(days=2 * WINDOW_DAYS)
    economics_from = now - timedelta(days=ECONOMICS_DAYS)
    catalog = {m.pk: m for m in MetricDefinition.objects.all()}
    by_key = {m.key: m for m in catalog.values()}
    economics_ids = [by_key[k].pk for k in ECONOMICS_METRICS if k in by_key]

    current: dict[int, dict[int, float]] = defaultdict(dict)
    previous: dict[int, dict[int, float]] = defaultdict(dict)
    measured: dict[int, dict[str, float]] = defaultdict(dict)
    recent = Q(bucket_start__gte=current_from, bucket_start__lte=now)
    before = Q(bucket_start__gte=previous_from, bucket_start__lt=current_from)
    costs = Q(bucket_start__gte=economics_from, bucket_start__lte=now, metric_id__in=economics_ids)
    rows = (
        MetricRollup.objects.filter(
            period=RollupPeriod.DAY,
            pilot_id__in=pilot_ids,
            bucket_start__gte=min(previous_from, economics_from),
            bucket_start__lte=now,
        )
        .values("pilot_id", "metric_id")
        .annotate(
            n_now=Sum("count", filter=recent),
            total_now=Sum("total", filter=recent),
            n_before=Sum("count", filter=before),
            total_before=Sum("total", filter=before),
            n_cost=Sum("count", filter=costs),
            total_cost=Sum("total", filter=costs),
        )
        .order_by()
    )
    for row in rows:
        pid, mid = row["pilot_id"], row["metric_id"]
        if row["n_now"]:
            current[pid][mid] = row["total_now"] / row["n_now"]
        if row["n_before"]:
            previous[pid][mid] = row["total_before"] / row["n_before"]
        if row["n_cost"] and mid in catalog:
            measured[pid][catalog[mid].key] = row["total_cost"] / row["n_cost"]

    targets: dict[tuple[int, str], float] = {}
    baselines: dict[tuple[int, str], float] = {}
    limits: dict[tuple[int, str], float] = {}
    stops: dict[int, list] = defaultdict(list)
    # A breach limit: a rollback trigger, else a workbook's monitoring threshold, else
    # the catalog's default. Stop conditions are their own rule, not a dimension limit.
    rank = {ExpectationKind.ROLLBACK: 0, ExpectationKind.MONITOR: 1}
    limit_rank: dict[tuple[int, str], int] = {}
    for e in expectations_for(pilot_ids, expectations_provider, catalog=list(catalog.values())):
        key = (int(e.pilot_id), e.metric_key)
        if e.kind == ExpectationKind.TARGET:
            targets.setdefault(key, float(e.value))
            if getattr(e, "baseline", None) is not None:
                baselines.setdefault(key, float(e.baseline))
        elif e.kind == ExpectationKind.STOP:
            stops[key[0]].append(e)
        elif e.kind in rank:
            order = rank[e.kind] * 2 + (getattr(e, "origin", "workbook") == "catalog")
            if order < limit_rank.get(key, 9):
                limits[key] = float(e.value)
                limit_rank[key] = order
    latest = _latest_in_window(stops, by_key, since=current_from, now=now)

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
    economics = _economics(pilot_ids, measured)
    pending = _pending_review_pilot_ids(pilot_ids)
    degraded = dict(
        MetricSource.objects.filter(pilot_id__in=pilot_ids, status=SourceStatus.DEGRADED)
        .values("pilot_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("pilot_id", "n")
    )
    pilots = Pilot.objects.filter(pk__in=pilot_ids).only("id", "stage", "stage_entered_at")
    stage_days = expected_stage_days()

    out: dict[int, PilotSignalFacts] = {}
    for pilot in pilots:
        metrics: dict[str, MetricStatus] = {}
        keys = {catalog[m].key for m in current.get(pilot.pk, {})}
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
                value=current.get(pilot.pk, {}).get(definition.pk),
                target=targets.get((pilot.pk, key)),
                direction=definition.direction,
                threshold=limits.get((pilot.pk, key)),
                baseline=baselines.get((pilot.pk, key)),
                previous=previous.get(pilot.pk, {}).get(definition.pk),
                name=definition.name,
                unit=number_unit(definition.unit),
            )
        conditions = tuple(
            StopCondition(
                key=e.metric_key,
                op=e.op,
                threshold=float(e.value),
                action=e.action or "end",
                by_date=e.by_date,
                observed=latest.get((pilot.pk, e.metric_key)),
                name=by_key[e.metric_key].name if e.metric_key in by_key else "",
                unit=number_unit(by_key[e.metric_key].unit) if e.metric_key in by_key else "",
            )
            for e in stops.get(pilot.pk, [])
        )
        planned_net, realised = economics.get(pilot.pk, (None, None))
        signal = portfolio_signal(
            SignalInputs(
                metrics=metrics,
                open_alerts=burden_counts.get(pilot.pk, 0),
                net_annual_value=planned_net,
                realized_net_annual_value=realised.net_annual_value if realised else None,
                realised_basis=realised.basis if realised else "",
                stop_conditions=conditions,
                today=today,
            )
        )
        stop = signal.code == STOP
        out[pilot.pk] = PilotSignalFacts(
            signal=signal,
            open_alerts=open_counts.get(pilot.pk, 0),
            degraded_sources=degraded.get(pilot.pk, 0),
            stale=is_stale(
                pilot.stage, pilot.stage_entered_at, pilot.pk in pending, now, stage_days
            ),
            # One recommendation: "stop recommended" is exactly a stop signal.
            stop_recommended=stop,
            stop_reason=(signal.reasons[0] if stop else "")[:300],
            planned_net_value=planned_net,
            realized_net_value=realised.net_annual_value if realised else None,
            realised=realised.as_dict() if realised else None,
        )
    return out


def _latest_in_window(stops: dict, by_key: dict, *, since: datetime, now: datetime) -> dict:
    """(pilot id, metric key) -> the latest value in the window, for stop-condition metrics
    only (the same value the alerts compare: the last observation)."""
    pairs = {(pid, e.metric_key) for pid, items in stops.items() for e in items}
    pairs = {(pid, key) for pid, key in pairs if key in by_key}
    if not pairs:
        return {}
    rows = (
        MetricRollup.objects.filter(
            period=RollupPeriod.DAY,
            pilot_id__in={pid for pid, _ in pairs},
            metric_id__in={by_key[key].pk for _, key in pairs},
            bucket_start__gte=day_start(since),
            last_at__lte=now,
        )
        .order_by("bucket_start")
        .values_list("pilot_id", "metric__key", "last", "last_at")
    )
    latest: dict[tuple[int, str], float] = {}
    for pilot_id, key, last, last_at in rows:
        if last_at >= since:
            latest[(pilot_id, key)] = last
    return latest


_STORED_FIELDS = [
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
    "table_code",
    "explanation",
    "economics_basis",
    "planned_net_value",
    "realized_net_value",
    "computed_at",
]


def _money(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    # The column holds 18 digits before the point; a larger figure is not money.
    return value if abs(value) < Decimal("1e18") else None


@transaction.atomic
def refresh(
    pilot_ids: Sequence[int],
    *,
    expectations_provider: Callable | None = None,
    now: datetime | None = None,
) -> dict[int, PilotSignalFacts]:
    """Recompute and store the signal of these pilots."""
    now = now or timezone.now()
    facts = compute_many(pilot_ids, expectations_provider=expectations_provider, now=now)
    before = dict(
        PilotSignal.objects.filter(pilot_id__in=list(facts)).values_list("pilot_id", "code")
    )
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
                table_code=f.signal.table_code,
                explanation=f.signal.explain(),
                economics_basis=f.signal.economics_basis,
                planned_net_value=_money(f.planned_net_value),
                realized_net_value=_money(f.realized_net_value),
                computed_at=now,
            )
            for pilot_id, f in facts.items()
        ],
        update_conflicts=True,
        unique_fields=["pilot"],
        update_fields=[name for name in _STORED_FIELDS],
    )
    for pilot_id, f in facts.items():
        # A first signal is no change; a pilot with none before is new to the portfolio.
        if pilot_id in before and before[pilot_id] != f.signal.code:
            publish(
                EventType.SIGNAL_CHANGED, pilot=pilot_id, now=now,
                payload={"from_code": before[pilot_id], "to_code": f.signal.code,
                         "label": f.signal.label, "reasons": list(f.signal.reasons)},
            )  # fmt: skip
    return facts


REFRESH_BATCH = 500


def refresh_expired(*, now: datetime | None = None, limit: int = 20_000) -> int:
    """Refresh stored signals computed before today's UTC midnight (the window and the
    by-dates moved since), and pilots that have none yet. Returns how many."""
    now = now or timezone.now()
    expired = list(
        Pilot.objects.filter(Q(signal__isnull=True) | Q(signal__computed_at__lt=day_start(now)))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(expired), REFRESH_BATCH):
        refresh(expired[start : start + REFRESH_BATCH], now=now)
    return len(expired)


def current(pilot, *, now: datetime | None = None) -> PilotSignalFacts:
    """The pilot's signal as of now, computed where it is read (pages, API): true without
    new data arriving. Not stored (a read never writes)."""
    return compute_many([pilot.pk], now=now)[pilot.pk]


def refresh_on_commit(pilot_id: int) -> None:
    """Refresh one pilot's stored signal once the current transaction commits (after a
    change to what it counts: alerts, source health)."""
    transaction.on_commit(lambda: refresh([pilot_id]))


def to_signal(stored: PilotSignal) -> Signal:
    """Rebuild the pure Signal from its stored row (dimension reasons are in `reasons`)."""
    explanation = stored.explanation or {}
    return Signal(
        code=stored.code,
        label=stored.label,
        reasons=tuple(stored.reasons),
        value=DimensionAssessment(stored.value_status),
        reliability=DimensionAssessment(stored.reliability_status),
        economics=DimensionAssessment(stored.economics_status),
        table_code=stored.table_code,
        rule=explanation.get("rule", ""),
        rule_from_source=bool(explanation.get("rule_from_source")),
        economics_basis=stored.economics_basis,
        stop_conditions_met=tuple(explanation.get("stop_conditions_met", ())),
    )
