"""Bulk storage of validated snapshot rows behind `metrics.services.snapshots_ingest`.

Two storage paths give the same answers:

- PostgreSQL: the good rows go through psycopg 3's binary COPY into a session TEMP table,
  then one `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING` moves them into
  `metrics_snapshot` and tells us exactly which rows were new. COPY avoids per-row
  statements; the conflict clause makes a re-push (or a concurrent push of the same rows)
  a no-op instead of an error.
- Anything else (SQLite): look up which keys already exist, then `bulk_create` the rest
  with `ignore_conflicts`. SQLite serialises writers, so nothing can slip in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from metrics.ingest import CleanRow
from metrics.models import Snapshot


def store(clean: list[CleanRow], source: str) -> set[int]:
    """Insert the rows that are new; return the indexes of the rows actually stored.

    Of rows repeating one key inside the batch, the first is stored, the rest are
    duplicates, whatever is already in the table.
    """
    if not clean:
        return set()
    if connection.vendor == "postgresql":
        return _store_postgres(clean, source)
    kept, _ = dedupe(clean)
    return _store_portable(kept, source)


def _store_portable(clean: list[CleanRow], source: str) -> set[int]:
    pilots = {r.pilot_id for r in clean}
    metrics = {r.metric_id for r in clean}
    lo = min(r.observed_at for r in clean)
    hi = max(r.observed_at for r in clean)
    existing = set(
        Snapshot.objects.filter(
            pilot_id__in=pilots,
            metric_id__in=metrics,
            source=source,
            observed_at__gte=lo,
            observed_at__lte=hi,
        ).values_list("pilot_id", "metric_id", "observed_at")
    )
    fresh = [r for r in clean if (r.pilot_id, r.metric_id, r.observed_at) not in existing]
    now = db_datetime(timezone.now())
    table = Snapshot._meta.db_table
    # Plain executemany: the ORM's per-field preparation costs more than SQLite's insert.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (pilot_id, metric_id, observed_at, value, source, ingested_at)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (r.pilot_id, r.metric_id, db_datetime(r.observed_at), r.value, source, now)
                for r in fresh
            ],
        )
    return {r.index for r in fresh}


def db_datetime(moment: datetime):
    """A datetime as the backend stores it: aware for PostgreSQL; for SQLite the naive
    UTC text Django writes (so equality and uniqueness match rows the ORM wrote)."""
    if connection.vendor == "postgresql":
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


_STAGE = "metrics_snapshot_stage"


def _store_postgres(clean: list[CleanRow], source: str) -> set[int]:
    table = Snapshot._meta.db_table
    with connection.cursor() as cursor:
        # ON COMMIT DELETE ROWS empties the table after each transaction; the TRUNCATE
        # covers two ingests inside one outer transaction.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ("
            " idx integer, pilot_id bigint, metric_id bigint,"
            " observed_at timestamptz, value double precision"
            ") ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")
        raw = cursor.cursor
        with raw.copy(
            f"COPY {_STAGE} (idx, pilot_id, metric_id, observed_at, value)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int4", "int8", "int8", "timestamptz", "float8"])
            write = copy.write_row
            for r in clean:  # a CleanRow is already a tuple in the staging table's order
                write(r)
        # Sorting by key (then batch position) makes concurrent batches take index locks
        # in one order, and makes the first of repeated keys the one that is stored: DO
        # NOTHING also skips a row conflicting with one inserted earlier by this command.
        # Table names are module constants, never input.
        cursor.execute(
            f"INSERT INTO {table} (pilot_id, metric_id, observed_at, value, source, ingested_at)"  # noqa: S608
            f" SELECT pilot_id, metric_id, observed_at, value, %s, now() FROM {_STAGE}"
            f" ORDER BY pilot_id, metric_id, observed_at, idx"
            f" ON CONFLICT (pilot_id, metric_id, observed_at, source) DO NOTHING"
            f" RETURNING pilot_id, metric_id, observed_at",
            [source],
        )
        inserted = cursor.fetchall()
    if len(inserted) == len(clean):
        return {r.index for r in clean}  # the usual case: everything was new
    first_index: dict[tuple[int, int, datetime], int] = {}
    for r in clean:
        first_index.setdefault((r.pilot_id, r.metric_id, r.observed_at), r.index)
    return {first_index[(p, m, at)] for p, m, at in inserted}


def dedupe(clean: Iterable[CleanRow]) -> tuple[list[CleanRow], list[int]]:
    """Keep the first of rows sharing a key within one batch; return (kept, repeat indexes)."""
    seen: set[tuple[int, int, datetime]] = set()
    kept: list[CleanRow] = []
    repeats: list[int] = []
    for r in clean:
        key = (r.pilot_id, r.metric_id, r.observed_at)
        if key in seen:
            repeats.append(r.index)
        else:
            seen.add(key)
            kept.append(r)
    return kept, repeats
