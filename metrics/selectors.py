"""Reads of metrics, rollups, alerts and signals shared by pages, API and other apps.

Callers check visibility of the pilot first (`portfolio.selectors.pilot_get`); these
functions take ids or pilots that are already allowed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Avg, Count, Max, QuerySet, Sum
from django.utils import timezone

from accounts import rules
from config.money import format_money, is_money_unit, metric_unit
from gates.engine import MetricDaily
from metrics import signal_refresh, thresholds
from metrics.models import (
    Alert,
    AlertStatus,
    MetricDefinition,
    MetricRollup,
    PilotSignal,
    RollupPeriod,
    Snapshot,
)
from metrics.signal import Signal

# Series resolution: raw points up to RAW_MAX_SPAN, hourly rollups up to HOURLY_MAX_SPAN,
# daily beyond. Keeps a response at a few thousand points whatever the range.
RAW_MAX_SPAN = timedelta(days=2)
HOURLY_MAX_SPAN = timedelta(days=31)
RAW_POINT_LIMIT = 20_000


@dataclass(frozen=True)
class SeriesPoint:
    at: datetime
    value: float  # the raw value, or the bucket mean
    minimum: float
    maximum: float
    p95: float
    count: int


@dataclass(frozen=True)
class Series:
    metric: MetricDefinition
    resolution: str  # raw, hour or day
    points: list[SeriesPoint]


def daily_rollups(
    pilot_id: int, metric_keys: Iterable[str], since: datetime
) -> dict[str, list[MetricDaily]]:
    """Daily rollups since `since` (inclusive of its day), oldest first, per metric key.

    Every key asked for is in the answer; a metric without data maps to [].
    """
    keys = list(metric_keys)
    out: dict[str, list[MetricDaily]] = {key: [] for key in keys}
    if not keys:
        return out
    day_start = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        MetricRollup.objects.filter(
            pilot_id=pilot_id,
            period=RollupPeriod.DAY,
            metric__key__in=keys,
            bucket_start__gte=day_start,
        )
        .select_related("metric")
        .order_by("metric__key", "bucket_start")
    )
    for r in rows:
        out[r.metric.key].append(
            MetricDaily(
                day=r.bucket_start.date(),
                count=r.count,
                minimum=r.minimum,
                maximum=r.maximum,
                mean=r.mean,
                p95=r.p95,
                last=r.last,
                last_at=r.last_at,
            )
        )
    return out


def open_alert_count(pilot_id: int) -> int:
    """Alerts not yet resolved (open or acknowledged)."""
    return Alert.objects.filter(pilot_id=pilot_id).exclude(status=AlertStatus.RESOLVED).count()


def open_alert_counts(pilot_ids: Sequence[int]) -> dict[int, int]:
    rows = (
        Alert.objects.filter(pilot_id__in=list(pilot_ids))
        .exclude(status=AlertStatus.RESOLVED)
        .values("pilot_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {pid: 0 for pid in pilot_ids}
    counts.update({row["pilot_id"]: row["n"] for row in rows})
    return counts


def metric_series(pilot, metric_key: str, since: datetime, until: datetime) -> Series:
    """Points of one metric between `since` (inclusive) and `until` (exclusive).

    Raw snapshots for spans up to two days, hourly rollups up to a month, daily beyond.
    Raises MetricDefinition.DoesNotExist for an unknown key.
    """
    metric = MetricDefinition.objects.get(key=metric_key)
    pilot_id = getattr(pilot, "pk", pilot)
    span = until - since
    if span <= RAW_MAX_SPAN:
        rows = (
            Snapshot.objects.filter(
                pilot_id=pilot_id, metric=metric, observed_at__gte=since, observed_at__lt=until
            )
            .order_by("observed_at", "id")
            .values_list("observed_at", "value")[:RAW_POINT_LIMIT]
        )
        points = [SeriesPoint(at, v, v, v, v, 1) for at, v in rows]
        return Series(metric, "raw", points)
    period = RollupPeriod.HOUR if span <= HOURLY_MAX_SPAN else RollupPeriod.DAY
    floor = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if period == RollupPeriod.DAY:
        floor = floor.replace(hour=0)
    rows = MetricRollup.objects.filter(
        pilot_id=pilot_id,
        metric=metric,
        period=period,
        bucket_start__gte=floor,
        bucket_start__lt=until,
    ).order_by("bucket_start")
    points = [
        SeriesPoint(r.bucket_start, r.mean, r.minimum, r.maximum, r.p95, r.count) for r in rows
    ]
    return Series(metric, str(period), points)


def portfolio_signals(pilot_ids: Sequence[int]) -> dict[int, Signal]:
    """The stored signal of each pilot; computed on the fly (in bulk) for any not stored."""
    ids = list(pilot_ids)
    stored = {
        s.pilot_id: signal_refresh.to_signal(s) for s in PilotSignal.objects.filter(pk__in=ids)
    }
    missing = [pid for pid in ids if pid not in stored]
    if missing:
        for pid, facts in signal_refresh.compute_many(missing).items():
            stored[pid] = facts.signal
    return stored


def pilot_signal_rows(pilot_ids: Sequence[int]) -> dict[int, PilotSignal]:
    """Stored signal rows (with stale and stop-recommended flags) by pilot id."""
    return {s.pilot_id: s for s in PilotSignal.objects.filter(pk__in=list(pilot_ids))}


def pilot_alerts(pilot_id: int, *, include_resolved: bool = True, limit: int = 50) -> QuerySet:
    queryset = Alert.objects.filter(pilot_id=pilot_id).select_related(
        "metric", "acknowledged_by", "resolved_by"
    )
    if not include_resolved:
        queryset = queryset.exclude(status=AlertStatus.RESOLVED)
    return queryset.order_by("-opened_at", "-id")[:limit]


def incident_minutes(pilot_id: int) -> list[float]:
    """Open-to-resolved durations of a pilot's resolved alerts, newest first."""
    rows = Alert.objects.filter(pilot_id=pilot_id, status=AlertStatus.RESOLVED).values_list(
        "opened_at", "resolved_at"
    )
    return [(resolved - opened).total_seconds() / 60 for opened, resolved in rows]


def pilots_with_recent_data(days: int = 35) -> list[int]:
    since = timezone.now() - timedelta(days=days)
    return list(
        MetricRollup.objects.filter(period=RollupPeriod.DAY, bucket_start__gte=since)
        .values_list("pilot_id", flat=True)
        .distinct()
        .order_by("pilot_id")
    )


def latest_snapshot_times(pilot_ids: Sequence[int]) -> dict[int, datetime]:
    """When each pilot last reported anything (from hourly rollups)."""
    rows = (
        MetricRollup.objects.filter(period=RollupPeriod.HOUR, pilot_id__in=list(pilot_ids))
        .values("pilot_id")
        .annotate(at=Max("last_at"))
        .order_by()
    )
    return {row["pilot_id"]: row["at"] for row in rows}


def daily_means(pilot_id: int, since: datetime) -> dict[int, list[tuple[datetime, float, int]]]:
    """(day, mean, count) per metric id since `since`, oldest first (for drift)."""
    out: dict[int, list[tuple[datetime, float, int]]] = defaultdict(list)
    rows = MetricRollup.objects.filter(
        pilot_id=pilot_id, period=RollupPeriod.DAY, bucket_start__gte=since
    ).order_by("metric_id", "bucket_start")
    for r in rows.values_list("metric_id", "bucket_start", "total", "count"):
        metric_id, day, total, count = r
        if count:
            out[metric_id].append((day, total / count, count))
    return out


@dataclass(frozen=True)
class MetricRow:
    key: str
    name: str
    unit: str
    dimension: str
    latest: float | None
    latest_at: datetime | None
    mean_7d: float | None
    target: str
    limit: str
    breached: bool
    money: bool = False  # an amount in the installation's currency (config.money)


def pilot_metrics_section(pilot, *, user) -> dict:
    """Everything the pilot page's metrics section shows, in a fixed number of queries.

    The signal is not here: the page header shows it (dashboard.pilot)."""
    alerts = list(pilot_alerts(pilot.pk))
    catalog = {m.pk: m for m in MetricDefinition.objects.all()}
    latest = thresholds.latest_values([pilot.pk])
    since = timezone.now() - timedelta(days=signal_refresh.WINDOW_DAYS)
    means = {
        row["metric_id"]: row["total"] / row["n"]
        for row in MetricRollup.objects.filter(
            pilot_id=pilot.pk, period=RollupPeriod.DAY, bucket_start__gte=since
        )
        .values("metric_id")
        .annotate(n=Sum("count"), total=Sum("total"))
        .order_by()
        if row["n"]
    }
    expectations = thresholds.expectations_for([pilot.pk], catalog=list(catalog.values()))
    targets: dict[str, list[str]] = defaultdict(list)
    limits: dict[str, list[str]] = defaultdict(list)
    money_keys = {m.key for m in catalog.values() if is_money_unit(m.unit)}
    for e in expectations:
        value = format_money(e.value, exact=True) if e.metric_key in money_keys else f"{e.value:g}"
        text = f"{e.op} {value}"
        if getattr(e, "origin", "workbook") == "catalog":
            text += " (catalog default)"
        (targets if e.kind == "target" else limits)[e.metric_key].append(text)
    unresolved = {(a.metric_id, a.kind) for a in alerts if not a.is_resolved}
    metric_ids = {m for (_, m) in latest} | set(means)
    by_key = {m.key: m for m in catalog.values()}
    metric_ids |= {by_key[k].pk for k in list(targets) + list(limits) if k in by_key}
    rows = []
    for metric_id in sorted(metric_ids, key=lambda i: (catalog[i].dimension, catalog[i].key)):
        metric = catalog[metric_id]
        value, at = latest.get((pilot.pk, metric_id), (None, None))
        rows.append(
            MetricRow(
                key=metric.key,
                name=metric.name,
                unit=metric_unit(metric.unit),
                dimension=metric.get_dimension_display(),
                latest=value,
                latest_at=at,
                mean_7d=means.get(metric_id),
                target=", ".join(targets.get(metric.key, [])),
                limit=", ".join(limits.get(metric.key, [])),
                breached=any(mid == metric_id for mid, _ in unresolved),
                money=metric.key in money_keys,
            )
        )
    resolved = [a for a in alerts if a.is_resolved]
    durations = [a.duration_minutes for a in resolved if a.duration_minutes is not None]
    return {
        "pilot": pilot,
        "metric_rows": rows,
        "alerts": alerts,
        "open_alerts": [a for a in alerts if not a.is_resolved],
        "incident_count": len(durations),
        "mttr_minutes": sum(durations) / len(durations) if durations else None,
        "can_manage_alerts": rules.can_manage_alerts(user, pilot),
    }


def _amount(value) -> str | None:
    return None if value is None else str(value)


def pilot_signal_detail(pilot, *, now: datetime | None = None) -> dict:
    """The pilot's signal as of now (computed here, so true without new data arriving),
    with the decision-table cell and its inputs, staleness and planned versus realised
    economics. Shared by the pilot page and `GET /api/pilots/{id}/signal/`."""
    now = now or timezone.now()
    facts = signal_refresh.current(pilot, now=now)
    last_data_at = latest_snapshot_times([pilot.pk]).get(pilot.pk)
    reporting = last_data_at is not None and last_data_at >= now - timedelta(
        days=signal_refresh.WINDOW_DAYS
    )
    signal = facts.signal
    return {
        "pilot": pilot.pk,
        "code": signal.code,
        "label": signal.label,
        "reasons": list(signal.reasons),
        "computed_at": now,
        "stale": facts.stale,
        "expected_stage_days": signal_refresh.expected_stage_days().get(pilot.stage),
        "reporting": reporting,
        "last_data_at": last_data_at,
        "window_days": signal_refresh.WINDOW_DAYS,
        "stop_recommended": facts.stop_recommended,
        "stop_reason": facts.stop_reason,
        "open_alerts": facts.open_alerts,
        "explanation": signal.explain(),
        "economics": {
            "basis": signal.economics_basis,
            "planned_net_value": _amount(facts.planned_net_value),
            "realized_net_value": _amount(facts.realized_net_value),
            "realised": facts.realised,
            "realised_window_days": signal_refresh.ECONOMICS_DAYS,
        },
    }


def window_means(
    *, pilot, windows: Sequence[tuple[datetime, datetime]]
) -> dict[str, list[tuple[float | None, int]]]:
    """metric key -> [(mean, count)] per [start, end) window, from the raw snapshots (one
    query per window): the before-and-after comparison of a change."""
    out: dict[str, list[tuple[float | None, int]]] = {}
    for index, (start, end) in enumerate(windows):
        rows = (
            Snapshot.objects.filter(pilot=pilot, observed_at__gte=start, observed_at__lt=end)
            .values("metric__key")
            .annotate(mean=Avg("value"), n=Count("id"))
        )
        for row in rows:
            means = out.setdefault(row["metric__key"], [(None, 0)] * len(windows))
            means[index] = (row["mean"], row["n"])
    return out
