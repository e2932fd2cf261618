"""Benchmark data and timing for `manage.py bench_dashboard` (PostgreSQL only).

Builds a portfolio with COPY, derives the daily rollups in SQL, then times the dashboard,
the pilot page and the summary API in-process (Django test client: middleware, view,
template, everything but the socket) beside the same SQL run raw on a cursor.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.aggregates import aggregates_rebuild
from metrics.models import MetricDefinition

UNITS = [
    "Customer Service",
    "Finance",
    "Claims",
    "Sales",
    "HR",
    "Supply Chain",
    "Legal",
    "IT Operations",
]
STAGES = ["discovery"] * 4 + ["pilot"] * 3 + ["readiness"] * 2 + ["scale"]
STATUSES = ["active"] * 8 + ["on_hold", "stopped"]
RISKS = ["low", "medium", "high"]
SIGNALS = ["scale", "hold", "redesign", "stop", "insufficient_data"]
# Metrics every pilot reports: four reliability metrics often, two economic ones daily.
FREQUENT = ["hallucination_rate", "tool_call_success_rate", "p95_latency_ms", "uptime_pct"]
DAILY = ["roi_pct", "monthly_run_cost"]


def _ts(moment: datetime) -> str:
    return moment.isoformat()


def _copy(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of text-ready values; None is NULL) into `table`."""
    count = 0
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 (fixed names)
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _copy_text(table: str, columns: list[str], chunks) -> None:
    """COPY pre-formatted tab-separated text chunks (the fast path for snapshots)."""
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 (fixed names)
        with cursor.cursor.copy(sql) as copy:
            for chunk in chunks:
                copy.write(chunk)


def _drop_indexes_and_constraints(table: str) -> list[str]:
    """Drop `table`'s secondary indexes and constraints (not its primary key); return the
    statements that recreate them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ]


def _restore(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@dataclass
class Built:
    pilots: int
    snapshots: int
    rollups: int
    year_pilot_id: int
    executive_id: int
    timings: dict[str, float]


def build(*, pilots: int, snapshots: int, log: Callable[[str], None]) -> Built:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    timings: dict[str, float] = {}
    now = timezone.now().replace(minute=0, second=0, microsecond=0)

    executive, _ = User.objects.get_or_create(username="bench-exec")
    executive.groups.add(Group.objects.get(name="executive"))
    owners = [User.objects.get_or_create(username=f"bench-owner-{i}")[0] for i in range(50)]
    metric_ids = dict(MetricDefinition.objects.values_list("key", "id"))

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM portfolio_pilot")
        first_id = cursor.fetchone()[0] + 1
    pilot_rows = (
        (
            first_id + i,
            f"Pilot {i:05d}",
            "Benchmark pilot.",
            UNITS[i % len(UNITS)],
            STAGES[(i * 7) % len(STAGES)],
            STATUSES[(i * 3) % len(STATUSES)],
            RISKS[i % 3],
            i % 10 == 0,
            _ts(now - timedelta(days=400)),
            _ts(now),
            _ts(now - timedelta(days=(i * 13) % 400)),
        )
        for i in range(pilots)
    )
    _copy(
        "portfolio_pilot",
        [
            "id",
            "name",
            "summary",
            "business_unit",
            "stage",
            "status",
            "risk_tier",
            "confidential",
            "created_at",
            "updated_at",
            "stage_entered_at",
        ],
        pilot_rows,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('portfolio_pilot', 'id'), %s)",
            [first_id + pilots],
        )
    ids = range(first_id, first_id + pilots)
    _copy(
        "accounts_pilotrole",
        ["pilot_id", "role", "user_id", "assigned_at"],
        ((pid, "business_owner", owners[pid % len(owners)].pk, _ts(now)) for pid in ids),
    )
    _copy(
        "portfolio_strategyworkbook",
        [
            "pilot_id",
            "updated_at",
            "business_problem",
            "target_workflow",
            "decision_improved",
            "kpi",
            "why_now",
            "primary_risk",
            "readiness_criteria",
            "expected_annual_benefit",
            "annual_volume",
            "cost_per_transaction",
            "human_review_rate_pct",
            "minutes_per_review",
            "loaded_hourly_cost",
            "failure_handling_cost",
            "one_time_build_cost",
        ],
        (
            (
                pid,
                _ts(now),
                *([""] * 7),
                50_000 + (pid * 7919) % 900_000,
                10_000 + (pid * 31) % 500_000,
                "0.05",
                (pid % 20),
                "3",
                "55",
                (pid * 13) % 20_000,
                20_000 + (pid * 101) % 300_000,
            )
            for pid in ids
            if pid % 10 < 7
        ),
    )
    _copy(
        "metrics_pilotsignal",
        [
            "pilot_id",
            "code",
            "label",
            "reasons",
            "value_status",
            "reliability_status",
            "economics_status",
            "open_alerts",
            "stale",
            "stop_recommended",
            "stop_reason",
            "computed_at",
            "table_code",
            "explanation",
            "economics_basis",
            "realized_net_value",
        ],
        (
            (
                pid,
                SIGNALS[pid % 5],
                SIGNALS[pid % 5].replace("_", " ").capitalize(),
                json.dumps(["Benchmark signal"]),
                "healthy",
                "weak",
                "healthy",
                1 if pid % 20 == 0 else 0,
                False,
                pid % 5 == 3 and pid % 3 == 0,
                "",
                _ts(now),
                SIGNALS[pid % 5],
                "{}",
                # A third measure their costs, so the planner ranks measured and estimated.
                "realised" if pid % 3 == 0 else "planned",
                f"{(pid * 7919) % 400000 - 50000}.00" if pid % 3 == 0 else None,
            )
            for pid in ids
        ),
    )
    _copy(
        "metrics_alert",
        [
            "pilot_id",
            "metric_id",
            "kind",
            "op",
            "threshold",
            "observed_value",
            "observed_at",
            "action",
            "status",
            "opened_at",
            "resolution_note",
        ],
        (
            (
                pid,
                metric_ids["p95_latency_ms"],
                "monitor",
                ">",
                800,
                950,
                _ts(now - timedelta(hours=pid % 48)),
                "investigate",
                "open",
                _ts(now - timedelta(hours=pid % 48)),
                "",
            )
            for pid in ids
            if pid % 20 == 0
        ),
    )
    timings["pilots_and_facts_s"] = time.perf_counter() - started
    log(f"pilots, roles, workbooks, signals, alerts: {timings['pilots_and_facts_s']:.1f} s")

    # Snapshots: the year pilot gets 365 days of every metric, every pilot else an even
    # share of the rest: the four frequent metrics every 2 hours, the daily ones daily.
    year_pilot = first_id + 1  # not confidential, active
    per_pilot = max(snapshots // pilots, len(FREQUENT) + len(DAILY))
    started = time.perf_counter()
    total = 0

    def values_for(pid: int, key: str, step: int) -> float:
        base = {
            "hallucination_rate": 0.02,
            "tool_call_success_rate": 0.97,
            "p95_latency_ms": 650.0,
            "uptime_pct": 99.5,
            "roi_pct": 120.0,
            "monthly_run_cost": 4000.0,
        }[key]
        wobble = ((pid * 31 + step * 17) % 100) / 1000
        return round(base * (1 + wobble), 4)

    stamp = _ts(now)
    hours = [_ts(now - timedelta(hours=h)) for h in range(0, 365 * 24 + 1)]

    def chunks():
        nonlocal total
        for pid in ids:
            lines = []
            if pid == year_pilot:
                # Four readings a day for a year, every metric.
                for key in FREQUENT + DAILY:
                    for step in range(365 * 4):
                        lines.append(
                            f"{pid}\t{metric_ids[key]}\t{hours[6 * step]}\t"
                            f"{values_for(pid, key, step)}\tbench\t{stamp}\n"
                        )
            else:
                daily_days = max(1, per_pilot // 40)
                frequent_each = (per_pilot - daily_days * len(DAILY)) // len(FREQUENT)
                for key in FREQUENT:
                    for step in range(frequent_each):
                        lines.append(
                            f"{pid}\t{metric_ids[key]}\t{hours[2 * step]}\t"
                            f"{values_for(pid, key, step)}\tbench\t{stamp}\n"
                        )
                for key in DAILY:
                    for step in range(daily_days):
                        lines.append(
                            f"{pid}\t{metric_ids[key]}\t{hours[24 * step]}\t"
                            f"{values_for(pid, key, step)}\tbench\t{stamp}\n"
                        )
            total += len(lines)
            yield "".join(lines)

    # A bulk load as a DBA would do it: indexes and foreign keys off during COPY, rebuilt
    # after (each is timed on its own line).
    saved = _drop_indexes_and_constraints("metrics_snapshot")
    _copy_text(
        "metrics_snapshot",
        ["pilot_id", "metric_id", "observed_at", "value", "source", "ingested_at"],
        chunks(),
    )
    timings["snapshots_copy_s"] = time.perf_counter() - started
    log(f"COPY {total:,} snapshots: {timings['snapshots_copy_s']:.1f} s")
    started = time.perf_counter()
    _restore(saved)
    timings["snapshot_indexes_s"] = time.perf_counter() - started
    log(f"rebuild snapshot indexes and foreign keys: {timings['snapshot_indexes_s']:.1f} s")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO metrics_metricrollup
                (pilot_id, metric_id, period, bucket_start, count, minimum, maximum, total,
                 p95, last, last_at, updated_at)
            SELECT pilot_id, metric_id, 'day', date_trunc('day', observed_at), count(*),
                   min(value), max(value), sum(value),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY value),
                   (array_agg(value ORDER BY observed_at DESC))[1], max(observed_at), now()
            FROM metrics_snapshot
            GROUP BY pilot_id, metric_id, date_trunc('day', observed_at)
            """
        )
        rollups = cursor.rowcount
        cursor.execute("ANALYZE")
    timings["rollups_s"] = time.perf_counter() - started
    log(f"{rollups:,} daily rollups from the snapshots, then ANALYZE: {timings['rollups_s']:.1f} s")
    timings["aggregates_s"] = rebuild_aggregates(log)
    return Built(
        pilots=pilots,
        snapshots=total,
        rollups=rollups,
        year_pilot_id=year_pilot,
        executive_id=executive.pk,
        timings=timings,
    )


def rebuild_aggregates(log: Callable[[str], None]) -> float:
    """What the beat task does every few minutes: rebuild the portfolio aggregates."""
    started = time.perf_counter()
    aggregates_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portfolio_portfoliotrendday, portfolio_portfoliorealized")
    seconds = time.perf_counter() - started
    log(f"portfolio aggregates rebuilt (the beat task's work): {seconds:.1f} s")
    return seconds


@dataclass
class Measured:
    name: str
    queries: int
    median_ms: float
    p95_ms: float
    raw_median_ms: float

    @property
    def ratio(self) -> float:
        return self.median_ms / self.raw_median_ms if self.raw_median_ms else float("inf")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(client, name: str, url: str, *, repeat: int, warmup: int = 2) -> Measured:
    """Median and p95 of `repeat` requests, and of the same SQL run raw.

    Nothing is cached between requests: every request runs all of its queries."""
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    # The statements the page really ran (session and user loading included: they are
    # part of both sides), replayed below on the driver's cursor.
    statements = [q["sql"] for q in ctx.captured_queries]
    # Page and raw SQL take turns, so a change in the machine's load moves both alike.
    times, raw_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # the driver's own cursor: no Django in between
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            raw_times.append((time.perf_counter() - started) * 1000)
    return Measured(
        name=name,
        queries=len(statements),
        median_ms=statistics.median(times),
        p95_ms=_percentile(times, 0.95),
        raw_median_ms=statistics.median(raw_times),
    )
