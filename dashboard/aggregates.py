"""Rebuild the portfolio-level aggregates (dashboard.models) from daily rollups.

`aggregates_rebuild()` replaces every aggregate row in one transaction, so a reader sees
the old set or the new one, never a mix. It runs from Celery beat every few minutes
(dashboard.tasks) and soon after ingest has refreshed rollups or a pilot has changed stage
or status: ingest and gates.services.pilot_transition send `portfolio.events.aggregates_stale`,
and dashboard.rebuilds' conditional update queues one task for a burst of batches or
moves. Two rebuilds never interleave: a transaction-scoped advisory lock on PostgreSQL
(SQLite serialises writers anyway); the state row is written last, so asking for a
rebuild never waits for one to finish.

The two INSERT ... SELECT statements wrap the ORM's SQL of the queries the live paths use
(`trend_sums`, `realized_means` and `has_case_q`, defined here once), so the stored rows
and the live figures cannot disagree on a rule. They read at most TREND_DAYS /
REALIZED_DAYS of daily rollups (the index rollup_portfolio_trend serves the range) and
write one row per group of pilots.
"""

from __future__ import annotations

import functools
import operator
import time
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from dashboard.models import PortfolioAggregateState, PortfolioRealized, PortfolioTrendDay
from metrics.models import MetricRollup
from portfolio.workbooks.spec import CASE_FIELDS

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
        "trend": qn(PortfolioTrendDay._meta.db_table),
        "realized": qn(PortfolioRealized._meta.db_table),
    }


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


def has_case_q(pilot: str = "") -> Q:
    """The strategy workbook states at least a benefit, a volume or a build cost.
    `pilot` is the path to the pilot from the queried model ("pilot__" from a rollup)."""
    return functools.reduce(
        operator.or_, (Q(**{f"{pilot}strategyworkbook__{f}__isnull": False}) for f in CASE_FIELDS)
    )


def realized_means(since: datetime, *, group: dict | None = None, **pilots) -> QuerySet:
    """Each pilot's mean of each REALIZED_METRICS metric over its daily rollups since
    `since` (its sum over its count), as rows of pilot_id, metric__key and mean: the one
    definition of a realized figure, live (dashboard.selectors) and stored (below).
    `pilots` filters the rollups: pilot_id__in=ids, or pilot=OuterRef("pk"); `group`
    names more columns of each row (expressions on the rollup)."""
    rollups = MetricRollup.objects.filter(
        # A rollup of no observations adds nothing to a mean (and would divide by zero).
        metric__key__in=REALIZED_METRICS,
        period="day",
        bucket_start__gte=since,
        count__gt=0,
        **pilots,
    )
    if group:
        rollups = rollups.annotate(**group)
    return (
        rollups.values("pilot_id", "metric__key", *(group or {}))
        .annotate(mean=Sum("total") / Sum("count"))
        .order_by()
    )


def _rebuild_realized(since: datetime) -> int:
    t = _names()
    columns = {f"g_{c}": F(f"pilot__{c}") for c in GROUP_COLUMNS}
    has_case = Case(
        When(has_case_q("pilot__"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    per_pilot = realized_means(
        since, group={"g_key": F("metric__key"), **columns, "g_has_case": has_case}
    )
    select, params = per_pilot.query.sql_with_params()
    group = ", ".join(
        ["per_pilot.g_key", *(f"per_pilot.{c}" for c in columns), "per_pilot.g_has_case"]
    )
    # Each pilot's mean first, then the sum of those means per group, as
    # dashboard.selectors.economics adds them up.
    sql = f"""
        INSERT INTO {t["realized"]}
            (metric_key, {", ".join(GROUP_COLUMNS)}, has_case, pilots, mean_sum)
        SELECT {group}, COUNT(*), SUM(per_pilot.mean)
        FROM ({select}) per_pilot
        GROUP BY {group}
    """  # noqa: S608 (table and column names are ours, the select is the ORM's)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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
