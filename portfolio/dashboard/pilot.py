"""The pilot page's header signal and metric charts (rollups only, a fixed number of queries).

Queries: the stored signal (1), a year of daily rollups with their metric definitions (1),
targets and thresholds from the workbooks (1, metrics.thresholds.expectations_for), alerts
of the year (1).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import CharField
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from config.money import is_money_unit, metric_unit
from metrics.models import Alert, MetricRollup, PilotSignal
from metrics.signal import INSUFFICIENT_DATA, SIGNAL_LABELS
from metrics.thresholds import expectations_for

HISTORY_DAYS = 365
REALIZED_DAYS = 30  # as the dashboard (portfolio.dashboard.aggregates)

# What each workbook expectation (metrics.thresholds) is called on a chart.
LINE_LABELS = {
    "target": "Target",
    "stop": "Stop condition",
    "rollback": "Rollback trigger",
    "monitor": "Alert threshold",
}


def pilot_signal(pilot) -> dict:
    """Signal code, label and reasons as stored by metrics; insufficient data when none."""
    stored = PilotSignal.objects.filter(pilot_id=pilot.pk).first()
    if stored is None:
        return {
            "available": True,
            "code": INSUFFICIENT_DATA,
            "label": SIGNAL_LABELS[INSUFFICIENT_DATA],
            "reasons": ["No signal has been computed for this pilot yet."],
            "computed_at": None,
            "stop_recommended": False,
            "stop_reason": "",
            "open_alerts": 0,
            "stale": False,
        }
    return {
        "available": True,
        "code": stored.code,
        "label": stored.label or SIGNAL_LABELS.get(stored.code, stored.code),
        "reasons": list(stored.reasons or []),
        "computed_at": stored.computed_at,
        "stop_recommended": stored.stop_recommended,
        "stop_reason": stored.stop_reason,
        "open_alerts": stored.open_alerts,
        "stale": stored.stale,
    }


def pilot_metric_series(pilot, *, now: datetime | None = None, days: int = HISTORY_DAYS) -> dict:
    """Per metric: daily points, lines (targets and thresholds), alerts, monthly table."""
    now = now or timezone.now()
    since = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    # A year of days for every metric (thousands of rows): fetched as tuples of the columns
    # used, and each metric's name, unit and direction kept once.
    # The day comes back as ISO text ("2026-03-01"): no timestamp to parse per row.
    rows = (
        MetricRollup.objects.filter(pilot_id=pilot.pk, period="day", bucket_start__gte=since)
        .annotate(day=Cast(TruncDate("bucket_start"), CharField()))
        .values_list(
            "metric__key",
            "metric__name",
            "metric__unit",
            "metric__direction",
            "day",
            "total",
            "count",
            "p95",
        )
        .order_by("metric__key", "bucket_start")
    )
    series: dict[str, dict] = {}
    points: list[dict] = []
    current = None
    for key, name, unit, direction, day, total, count, p95 in rows:
        if key != current:
            current = key
            points = []
            series[key] = {
                "key": key,
                "label": name or key,
                "unit": metric_unit(unit),
                "money": is_money_unit(unit),
                "direction": direction,
                "points": points,
                "lines": [],
                "alerts": [],
            }
        points.append(
            {
                "day": day,
                "mean": round(total / count, 4) if count else None,
                "p95": p95,
            }
        )

    for expectation in expectations_for([pilot.pk]):
        if expectation.metric_key in series:
            series[expectation.metric_key]["lines"].append(
                {
                    "label": LINE_LABELS.get(expectation.kind, expectation.kind),
                    "value": expectation.value,
                    "op": expectation.op,
                }
            )

    alerts = (
        Alert.objects.filter(pilot_id=pilot.pk, observed_at__gte=since)
        .values("metric__key", "observed_at", "observed_value", "status", "kind")
        .order_by("observed_at")
    )
    for alert in alerts:
        if alert["metric__key"] in series:
            series[alert["metric__key"]]["alerts"].append(
                {
                    "day": alert["observed_at"].date().isoformat(),
                    "value": alert["observed_value"],
                    "status": alert["status"],
                    "kind": alert["kind"],
                }
            )

    for entry in series.values():
        entry["monthly"] = _monthly(entry["points"])
        means = [p["mean"] for p in entry["points"] if p["mean"] is not None]
        entry["latest"] = means[-1] if means else None
        recent = [p["mean"] for p in entry["points"][-30:] if p["mean"] is not None]
        entry["mean_30d"] = round(sum(recent) / len(recent), 4) if recent else None
    return {"available": True, "metrics": sorted(series.values(), key=lambda s: s["key"])}


def _monthly(points: list[dict]) -> list[dict]:
    """Mean of the daily means per calendar month (the chart's numbers, table-sized)."""
    buckets: dict[str, list[float]] = defaultdict(list)
    for p in points:
        if p["mean"] is not None:
            buckets[p["day"][:7]].append(p["mean"])
    return [
        {"month": month, "mean": round(sum(v) / len(v), 4), "days": len(v)}
        for month, v in sorted(buckets.items())
    ]


def pilot_economics(pilot, *, now: datetime | None = None) -> dict:
    """Planned (the strategy workbook's economic case) beside realized (metrics, the mean
    of the last REALIZED_DAYS days, as the dashboard reads them) for the pilot page.

    Queries: the strategy workbook (1), the realized means (1). Each row's `realized` is
    None until measured; a realized net annual value appears once the realized economics
    (portfolio.dashboard.selectors.economics) measure one per pilot.
    """
    from portfolio.dashboard.selectors.economics import realized_for_pilots
    from portfolio.workbooks.models import StrategyWorkbook
    from portfolio.workbooks.selectors import economic_case_of
    from portfolio.workbooks.spec import CASE_FIELDS

    now = now or timezone.now()
    workbook = StrategyWorkbook.objects.filter(pilot_id=pilot.pk).first()
    has_case = workbook is not None and any(
        getattr(workbook, name) is not None for name in CASE_FIELDS
    )
    case = economic_case_of(workbook) if has_case else None
    realized = realized_for_pilots([pilot.pk], now=now).get(pilot.pk, {})
    rows = [
        {
            "label": "First-year ROI",
            "kind": "percent",
            "planned": case.roi_pct if case else None,
            "realized": realized.get("roi_pct"),
            "metric": "roi_pct",
        },
        {
            "label": "Annual run cost",
            "kind": "money",
            "planned": case.total_annual_cost if case else None,
            "realized": realized.get("annual_cost"),
            "metric": "monthly_run_cost",
        },
        {
            "label": "Net annual value",
            "kind": "money",
            "planned": case.net_annual_value if case else None,
            "realized": realized.get("net_value"),
            "metric": None,  # worked out from several metrics, not reported as one
        },
    ]
    return {
        "has_case": has_case,
        "rows": rows,
        "measured": any(r["realized"] is not None for r in rows),
        "days": REALIZED_DAYS,
    }
