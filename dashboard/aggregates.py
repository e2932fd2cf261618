"""Rebuild the portfolio-level aggregates (dashboard.models) from daily rollups.

`aggregates_rebuild()` replaces every aggregate row in one transaction, so a reader sees
the old set or the new one, never a mix. It runs from Celery beat every few minutes
(dashboard.tasks) and soon after ingest has refreshed rollups or a pilot has changed stage
or status: ingest and gates.services.pilot_transition send `portfolio.events.aggregates_stale`,
and dashboard.rebuilds' conditional update queues one task for a burst of batches or
moves. Two rebuilds never interleave: a transaction-scoped advisory lock on PostgreSQL
(SQLite serialises writers anyway); the state row is written last, so asking for a
rebuild never waits for one to finish.

The two INSERT ... SELECT statements are plain SQL that PostgreSQL and SQLite both run;
they read at most TREND_DAYS / REALIZED_DAYS of daily rollups (the index
rollup_portfolio_trend serves the range) and write one row per group of pilots.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from dashboard.models import PortfolioAggregateState, PortfolioRealized, PortfolioTrendDay
from metrics.models import MetricDefinition, MetricRollup
from portfolio.models import Pilot, StrategyWorkbook

RELIABILITY_METRICS = (
    "hallucination_rate",
    "tool_call_success_rate",
    "p95_latency_ms",
    "uptime_pct",
)
REALIZED_METRICS = ("roi_pct", "monthly_run_cost")
TREND_DAYS = 30
REALIZED_DAYS = 30
GROUP_COLUMNS = ("business_unit", "stage", "status", "risk_tier", "confidential")


def trend_since(now: datetime) -> datetime:
    """First day (UTC midnight) of the reliability trend window."""
    return (now - timedelta(days=TREND_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)


def realized_since(now: datetime) -> datetime:
    return now - timedelta(days=REALIZED_DAYS)


def _names() -> dict[str, str]:
    qn = connection.ops.quote_name
    return {
        "rollup": qn(MetricRollup._meta.db_table),
        "metric": qn(MetricDefinition._meta.db_table),
        "pilot": qn(Pilot._meta.db_table),
        "workbook": qn(StrategyWorkbook._meta.db_table),
        "trend": qn(PortfolioTrendDay._meta.db_table),
        "realized": qn(PortfolioRealized._meta.db_table),
    }


def _in_list(values) -> tuple[str, list]:
    return ", ".join(["%s"] * len(values)), list(values)


def trend_sums(rollups: QuerySet, *group: str) -> QuerySet:
    """Per metric and day (and `group` columns): pilots reporting, observations, the sum
    of totals and of p95s of the daily RELIABILITY_METRICS rollups in `rollups`. The one
    definition of a trend cell: the stored aggregates are this query grouped by the pilot
    columns, the live trend (dashboard.selectors.trends) is it over the pilots in view."""
    return (
        rollups.filter(period="day", metric__key__in=RELIABILITY_METRICS)
        .values("metric__key", "bucket_start", *group)
        .annotate(
            # One rollup per pilot, metric and day, so rows are pilots (no DISTINCT sort).
            n=Count("id"),
            observations=Sum("count"),
            sum_total=Sum("total"),
            p95_sum=Sum("p95"),
        )
        .order_by()
        .values_list(
            "metric__key", "bucket_start", *group, "n", "observations", "sum_total", "p95_sum"
        )
    )


def _rebuild_trend(since: datetime) -> int:
    t = _names()
    rows = trend_sums(
        MetricRollup.objects.filter(bucket_start__gte=since),
        *(f"pilot__{c}" for c in GROUP_COLUMNS),
    )
    select, params = rows.query.sql_with_params()
    sql = f"""
        INSERT INTO {t["trend"]}
            (metric_key, day, {", ".join(GROUP_COLUMNS)}, pilots, observations, total, p95_sum)
        {select}
    """  # noqa: S608 (table and column names are ours, the select is the ORM's)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _rebuild_realized(since: datetime) -> int:
    t = _names()
    group = ", ".join(f"p.{c}" for c in GROUP_COLUMNS)
    placeholders, keys = _in_list(REALIZED_METRICS)
    # Each pilot's mean first (its sum over its count), then the sum of those means per
    # group, as dashboard.selectors.economics adds them up.
    sql = f"""
        INSERT INTO {t["realized"]}
            (metric_key, {", ".join(GROUP_COLUMNS)}, has_case, pilots, mean_sum)
        SELECT per_pilot.key, {group}, p.has_case, COUNT(*), SUM(per_pilot.mean)
        FROM (
            SELECT r.pilot_id, m.key, SUM(r.total) / SUM(r.count) AS mean
            FROM {t["rollup"]} r
            JOIN {t["metric"]} m ON m.id = r.metric_id
            WHERE r.period = 'day' AND r.bucket_start >= %s AND m.key IN ({placeholders})
            GROUP BY r.pilot_id, m.key
            HAVING SUM(r.count) > 0
        ) per_pilot
        JOIN (
            SELECT pilot.id, {", ".join(f"pilot.{c}" for c in GROUP_COLUMNS)},
                   CASE WHEN w.expected_annual_benefit IS NOT NULL
                        OR w.annual_volume IS NOT NULL
                        OR w.one_time_build_cost IS NOT NULL THEN 1 ELSE 0 END AS has_case
            FROM {t["pilot"]} pilot
            LEFT JOIN {t["workbook"]} w ON w.pilot_id = pilot.id
        ) p ON p.id = per_pilot.pilot_id
        GROUP BY per_pilot.key, {group}, p.has_case
    """  # noqa: S608 (table and column names are ours, values are parameters)
    if connection.vendor == "postgresql":
        # PostgreSQL wants a boolean, SQLite stores 1/0; the CASE is otherwise the same.
        sql = sql.replace("THEN 1 ELSE 0 END", "THEN true ELSE false END")
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(since), *keys])
        return cursor.rowcount


_LOCK_KEY = 7_402_110_552  # arbitrary, fixed: "the portfolio aggregates"


@transaction.atomic
def aggregates_rebuild(*, now: datetime | None = None) -> PortfolioAggregateState:
    """Replace the portfolio aggregates with sums of the current daily rollups."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    now = now or timezone.now()
    started = time.perf_counter()
    PortfolioTrendDay.objects.all().delete()
    PortfolioRealized.objects.all().delete()
    _rebuild_trend(trend_since(now))
    _rebuild_realized(realized_since(now))
    fields = {
        "built_at": now,
        "trend_since": trend_since(now),
        "realized_since": realized_since(now),
        "duration_ms": round((time.perf_counter() - started) * 1000),
    }
    state, _created = PortfolioAggregateState.objects.update_or_create(
        key="portfolio", defaults=fields
    )
    return state


def aggregates_claim_request() -> None:
    """Clear the pending request before rebuilding (see the module docstring)."""
    PortfolioAggregateState.objects.filter(rebuild_requested_at__isnull=False).update(
        rebuild_requested_at=None
    )


def aggregates_state() -> PortfolioAggregateState | None:
    """When the aggregates were built (None: never, so readers use the rollups)."""
    return PortfolioAggregateState.objects.filter(key="portfolio").first()
