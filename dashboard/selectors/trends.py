"""Reliability trends across the portfolio: one point per metric and day.

Rates are weighted by observation count (sum of totals / sum of counts); latency is the
mean of the pilots' daily p95. Read from the portfolio aggregate when the view allows
(scope.Scope.served), else from the pilots' daily rollups; both give the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import QuerySet, Sum

from dashboard.aggregates import RELIABILITY_METRICS, TREND_DAYS, trend_since, trend_sums
from dashboard.compiled import CompiledQuery
from dashboard.models import PortfolioTrendDay
from dashboard.selectors.pilots import pilots_in
from dashboard.selectors.scope import Scope, groups, pilots_outside_groups
from metrics.models import MetricRollup

# metric key -> day -> [pilots, observations, total, p95_sum]
Sums = dict[str, dict[datetime, list[float]]]


def _add(sums: Sums, rows) -> None:
    for key, day, pilots, observations, total, p95_sum in rows:
        cell = sums[key].setdefault(day, [0, 0, 0.0, 0.0])
        cell[0] += pilots
        cell[1] += observations or 0
        cell[2] += total or 0.0
        cell[3] += p95_sum or 0.0


def _rollup_sums(pilots: QuerySet, since: datetime) -> QuerySet:
    return trend_sums(
        MetricRollup.objects.filter(bucket_start__gte=since, pilot_id__in=pilots.values("pk"))
    )


# Shapes: the InView's shape (all pilots in view), or ("outside", InView's shape).
_FROM_ROLLUPS = CompiledQuery(
    lambda shape, values: _rollup_sums(
        pilots_outside_groups(shape[1], values)
        if shape[0] == "outside"
        else pilots_in(shape, values),
        values["since"],
    )
)


def _groups_query(group_shape: tuple, values) -> QuerySet:
    return (
        groups(PortfolioTrendDay, group_shape, values)
        .filter(day__gte=values["since"], metric_key__in=RELIABILITY_METRICS)
        .values("metric_key", "day")
        .annotate(
            n=Sum("pilots"),
            obs=Sum("observations"),
            sum_total=Sum("total"),
            sum_p95=Sum("p95_sum"),
        )
        .values_list("metric_key", "day", "n", "obs", "sum_total", "sum_p95")
    )


_FROM_GROUPS = CompiledQuery(_groups_query)


def reliability_trends(scope: Scope, *, now: datetime) -> dict:
    view = scope.view
    values = {**view.values, "since": trend_since(now)}
    sums: Sums = defaultdict(dict)
    if scope.served:
        _add(sums, _FROM_GROUPS.rows(scope.group_shape, values))
        if scope.outside_groups:
            _add(sums, _FROM_ROLLUPS.rows(("outside", view.shape), values))
    else:
        _add(sums, _FROM_ROLLUPS.rows(view.shape, values))
    series: dict[str, list[dict]] = {key: [] for key in RELIABILITY_METRICS}
    for key in RELIABILITY_METRICS:
        for day in sorted(sums.get(key, {})):
            pilots, observations, total, p95_sum = sums[key][day]
            if key == "p95_latency_ms":
                value = p95_sum / pilots if pilots else None
            else:
                value = total / observations if observations else None
            series[key].append(
                {
                    "day": day.date().isoformat(),
                    "value": None if value is None else round(value, 4),
                    "pilots": pilots,
                }
            )
    return {"available": True, "series": series, "days": TREND_DAYS, "as_of": scope.as_of}
