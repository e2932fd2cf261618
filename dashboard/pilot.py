"""The pilot page's signal block and metric charts (a fixed number of queries).

Queries: the signal computed as of now (metrics.selectors.pilot_signal_detail), a year of
daily rollups with their metric definitions (1), targets and thresholds from the workbooks
and the catalog (metrics.thresholds.expectations_for), alerts of the year (1).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import CharField
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from config.money import is_money_unit, metric_unit
from dashboard.aggregates import REALIZED_DAYS
from dashboard.selectors.economics import realized_for_pilots
from inventory.selectors import change_markers
from metrics.models import Alert, MetricRollup
from metrics.selectors import pilot_signal_detail
from metrics.signal import SIGNAL_LABELS, STATUS_LABELS
from metrics.thresholds import expectations_for
from portfolio.workbooks.models import StrategyWorkbook
from portfolio.workbooks.selectors import economic_case_of
from portfolio.workbooks.spec import CASE_FIELDS

HISTORY_DAYS = 365

# What each workbook expectation (metrics.thresholds) is called on a chart.
LINE_LABELS = {
    "target": "Target",
    "stop": "Stop condition",
    "rollback": "Rollback trigger",
    "monitor": "Alert threshold",
}


DIMENSIONS = (
    ("value", "Value"),
    ("reliability", "Reliability and support burden"),
    ("economics", "Economics"),
)


def _signal_detail(pilot, *, now: datetime | None = None) -> dict:
    """The pilot's signal detail as of now, computed once per pilot object (the signal block
    and the economics block of one page read the same figures)."""
    if now is not None:
        return pilot_signal_detail(pilot, now=now)
    detail = getattr(pilot, "_signal_detail", None)
    if detail is None:
        detail = pilot._signal_detail = pilot_signal_detail(pilot)
    return detail


def pilot_signal(pilot, *, now: datetime | None = None) -> dict:
    """The signal block of the pilot page: one recommendation, the decision-table cell it
    came from with each dimension's inputs, staleness and planned versus realised net
    value. Computed as of now (metrics.selectors.pilot_signal_detail), never a stored copy."""
    detail = _signal_detail(pilot, now=now)
    explanation = detail["explanation"]
    economics = detail["economics"]
    basis = economics["basis"]
    rows = []
    for key, label in DIMENSIONS:
        status = explanation["cell"][key]
        if key == "economics" and basis in ("realised", "planned"):
            label = f"{label} ({basis})"
        rows.append(
            {
                "key": key,
                "label": label,
                "status": status,
                "status_label": STATUS_LABELS.get(status, status),
                "reasons": explanation["inputs"][key],
            }
        )
    realised = economics["realised"]
    return {
        **detail,
        "available": True,
        "headline": detail["reasons"][0] if detail["reasons"] else "",
        "dimensions": rows,
        "table_label": explanation["table_label"],
        "overridden": explanation["table_signal"] != detail["code"],
        "planned_net": _decimal(economics["planned_net_value"]),
        "realized_net": _decimal(economics["realized_net_value"]),
        "realised_basis": realised["basis"] if realised else "",
        "label": detail["label"] or SIGNAL_LABELS.get(detail["code"], detail["code"]),
    }


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


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

    # Changes to what the pilot uses (inventory): marked on every metric's chart.
    changes = [
        {"day": at.date().isoformat(), "label": label}
        for at, label in change_markers(pilot=pilot)
        if at >= since
    ]
    for entry in series.values():
        # Only inside the metric's own data range: an earlier change would stretch its axis.
        first = entry["points"][0]["day"] if entry["points"] else None
        entry["changes"] = [c for c in changes if first is not None and c["day"] >= first]
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
    (dashboard.selectors.economics) measure one per pilot.
    """
    signal = _signal_detail(pilot, now=now)
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
            "realized": _decimal(signal["economics"]["realized_net_value"]),
            "metric": None,  # worked out from several metrics, not reported as one
        },
    ]
    return {
        "has_case": has_case,
        "rows": rows,
        "measured": any(r["realized"] is not None for r in rows),
        "days": REALIZED_DAYS,
    }
