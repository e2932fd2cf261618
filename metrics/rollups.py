"""Hourly and daily rollups, rebuilt for the buckets an ingest batch touched.

Choice: recompute the touched buckets from raw snapshots, rather than merge a sketch.

- Exact: count, min, max, sum and last are exact, and p95 is the exact linear-interpolated
  95th percentile (PostgreSQL's `percentile_cont(0.95)`), so gate criteria and hand checks
  agree to the last digit. A mergeable sketch (fixed histogram, t-digest) would make p95
  approximate and needs care for negative values and metrics of very different scales.
- Idempotent and order-free: a bucket's row is a pure function of the raw rows, so a
  redelivered task, two overlapping batches or a late backfill all converge. An
  incremental merge would need exactly-once application of each batch.
- Cost: per batch, one `INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE` per
  period on PostgreSQL (aggregation and upsert happen in the database, reading through
  the snapshot unique index led by pilot, metric, observed_at), reading
  every raw row of each touched (pilot, metric) between the first and last *day* the batch
  touched. For a live push that is the rows of today; a backfill of N days re-reads N
  days once. SQLite fetches those rows and aggregates in Python (same definition).
- Bounded: only values within ±METRIC_VALUE_LIMIT (config/bounds.py), which is all that
  ingest accepts, are aggregated. A value stored before that bound existed (1.7e308)
  would overflow the sum and fail every rollup of its hour and day for good; it is left
  out instead, so one value can never stop the others from being rolled up.
- Concurrency: on PostgreSQL each (pilot, metric) is locked with a transaction-level
  advisory lock before its raw rows are read, so a slower task cannot overwrite a bucket
  with an older view after a newer task has written it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.bounds import METRIC_VALUE_LIMIT
from metrics.models import MetricRollup, RollupPeriod, Snapshot
from metrics.snapshot_store import db_datetime

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_LOCK_SPACE = 1_000_000_000  # second advisory-lock key: metric id offset, "rollups"


@dataclass(frozen=True)
class Bucket:
    pilot_id: int
    metric_id: int
    period: str
    start: datetime
    count: int
    minimum: float
    maximum: float
    total: float
    p95: float
    last: float
    last_at: datetime


def floor_hour(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    rank = fraction * (len(sorted_values) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def _merge(spans: Iterable[tuple[int, int, datetime, datetime]]) -> dict:
    merged: dict[tuple[int, int], tuple[datetime, datetime]] = {}
    for pilot_id, metric_id, lo, hi in spans:
        key = (pilot_id, metric_id)
        if key in merged:
            old_lo, old_hi = merged[key]
            merged[key] = (min(old_lo, lo), max(old_hi, hi))
        else:
            merged[key] = (lo, hi)
    # Whole days: the daily bucket needs every raw row of each touched day.
    return {key: (floor_day(lo), floor_day(hi) + DAY) for key, (lo, hi) in merged.items()}


@transaction.atomic
def refresh(spans: Iterable[tuple[int, int, datetime, datetime]]) -> int:
    """Rebuild the hourly and daily rollups covering `spans`; return buckets written."""
    ranges = _merge(spans)
    if not ranges:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for pilot_id, metric_id in sorted(ranges):
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [pilot_id, _LOCK_SPACE + metric_id],
                )
        return _refresh_postgres(ranges, "hour") + _refresh_postgres(ranges, "day")
    buckets = _compute_python(ranges)
    _write(buckets)
    return len(buckets)


_PG_SQL = """
INSERT INTO {rollup} (pilot_id, metric_id, period, bucket_start, count, minimum, maximum,
                      total, p95, last, last_at, updated_at)
SELECT s.pilot_id, s.metric_id, %s,
       date_trunc(%s, s.observed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       count(*), min(s.value), max(s.value), sum(s.value),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY s.value),
       (array_agg(s.value ORDER BY s.observed_at DESC, s.id DESC))[1],
       max(s.observed_at), now()
FROM {snapshot} s
JOIN unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[])
     AS k(pilot_id, metric_id, lo, hi)
  ON s.pilot_id = k.pilot_id AND s.metric_id = k.metric_id
 AND s.observed_at >= k.lo AND s.observed_at < k.hi
WHERE s.value BETWEEN %s AND %s
GROUP BY 1, 2, 3, 4
ON CONFLICT (pilot_id, metric_id, period, bucket_start) DO UPDATE SET
  count = excluded.count, minimum = excluded.minimum, maximum = excluded.maximum,
  total = excluded.total, p95 = excluded.p95, last = excluded.last,
  last_at = excluded.last_at, updated_at = excluded.updated_at
"""


def _refresh_postgres(ranges: dict, period: str) -> int:
    """Aggregate and upsert in one statement: no row leaves the database."""
    keys = sorted(ranges)
    params = [
        period,
        period,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [ranges[k][0] for k in keys],
        [ranges[k][1] for k in keys],
        -METRIC_VALUE_LIMIT,
        METRIC_VALUE_LIMIT,
    ]
    sql = _PG_SQL.format(rollup=MetricRollup._meta.db_table, snapshot=Snapshot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _compute_python(ranges: dict) -> list[Bucket]:
    groups: dict[tuple, list[tuple[datetime, int, float]]] = defaultdict(list)
    keys = sorted(ranges)
    for start in range(0, len(keys), 200):  # keep the OR-ed filter within SQLite's limits
        condition = Q()
        for pilot_id, metric_id in keys[start : start + 200]:
            lo, hi = ranges[(pilot_id, metric_id)]
            condition |= Q(
                pilot_id=pilot_id, metric_id=metric_id, observed_at__gte=lo, observed_at__lt=hi
            )
        rows = Snapshot.objects.filter(condition).values_list(
            "pilot_id", "metric_id", "observed_at", "id", "value"
        )
        for pilot_id, metric_id, observed_at, pk, value in rows.iterator(chunk_size=5000):
            if not -METRIC_VALUE_LIMIT <= value <= METRIC_VALUE_LIMIT:
                continue  # stored before the bound existed; see the module's notes
            groups[(pilot_id, metric_id, "hour", floor_hour(observed_at))].append(
                (observed_at, pk, value)
            )
            groups[(pilot_id, metric_id, "day", floor_day(observed_at))].append(
                (observed_at, pk, value)
            )
    buckets = []
    for (pilot_id, metric_id, period, bucket_start), points in groups.items():
        values = sorted(v for _, _, v in points)
        latest = max(points, key=lambda point: (point[0], point[1]))
        buckets.append(
            Bucket(
                pilot_id=pilot_id,
                metric_id=metric_id,
                period=period,
                start=bucket_start,
                count=len(values),
                minimum=values[0],
                maximum=values[-1],
                total=math.fsum(values),
                p95=percentile(values, 0.95),
                last=latest[2],
                last_at=latest[0],
            )
        )
    return buckets


_UPSERT = """
INSERT INTO {table} (pilot_id, metric_id, period, bucket_start, count, minimum, maximum,
                     total, p95, last, last_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (pilot_id, metric_id, period, bucket_start) DO UPDATE SET
  count = excluded.count, minimum = excluded.minimum, maximum = excluded.maximum,
  total = excluded.total, p95 = excluded.p95, last = excluded.last,
  last_at = excluded.last_at, updated_at = excluded.updated_at
"""


def _write(buckets: list[Bucket]) -> None:
    """Upsert with plain executemany (the ORM's per-row preparation dominated bulk loads)."""
    if not buckets:
        return

    now = db_datetime(timezone.now())
    params = [
        (
            b.pilot_id,
            b.metric_id,
            b.period,
            db_datetime(b.start),
            b.count,
            b.minimum,
            b.maximum,
            b.total,
            b.p95,
            b.last,
            db_datetime(b.last_at),
            now,
        )
        for b in buckets
    ]
    sql = _UPSERT.format(table=MetricRollup._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start : start + 5000])


PERIODS = (RollupPeriod.HOUR, RollupPeriod.DAY)
