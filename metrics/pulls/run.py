"""One pull of a source: fetch outside any transaction, ingest in batches, record the run,
update the source's health (degraded after repeated failures, announced as a domain event).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from metrics import signal_refresh
from metrics.connectors import ConnectorError, FetchResult, http_json, prometheus
from metrics.models import MetricSource, PullOutcome, PullRun, SourceKind, SourceStatus
from metrics.services import snapshots_ingest
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import Status

logger = logging.getLogger(__name__)

INGEST_BATCH = 5_000
# Longer than the task's hard time limit, so a live pull never loses its lease.
PULL_LEASE = timedelta(minutes=10)
MAX_PROBLEMS_KEPT = 50


def degraded_after() -> int:
    return int(getattr(settings, "PILOTGATE_SOURCE_DEGRADED_AFTER", 3))


@dataclass
class PullReport:
    """What `source_pull` did; `retry_advised` asks the task to try again later."""

    run: PullRun
    retry_advised: bool = False


def _fetch(source: MetricSource, now: datetime) -> FetchResult:
    secret = (source.secret_header_name, source.secret_header_value) if source.has_secret else None
    if source.kind == SourceKind.PROMETHEUS:
        return prometheus.pull(
            source.config, now=now, since=source.last_success_at, secret_header=secret
        )
    return http_json.pull(source.config, now=now, secret_header=secret)


def _claim_lease(source_id: int, now: datetime, task_id: str) -> bool:
    free = Q(pull_lease_until__isnull=True) | Q(pull_lease_until__lt=now)
    if task_id:
        free |= Q(pull_lease_task=task_id)
    claimed = (
        MetricSource.objects.filter(pk=source_id, enabled=True)
        .filter(free)
        .update(pull_lease_until=now + PULL_LEASE, pull_lease_task=task_id, last_attempt_at=now)
    )
    return claimed == 1


def _rejection_texts(rows: list[dict], result) -> list[str]:
    texts = []
    for rejected in result.rejected_rows()[:MAX_PROBLEMS_KEPT]:
        row = rows[rejected.index]
        reasons = "; ".join(m for msgs in rejected.errors.values() for m in msgs)
        texts.append(f"{row['metric']} at {row['observed_at']:%Y-%m-%d %H:%M:%S}: {reasons}")
    return texts


def source_pull(
    *,
    source_id: int,
    now: datetime | None = None,
    trigger: str = "schedule",
    task_id: str = "",
    final_attempt: bool = True,
) -> PullReport | None:
    """Pull one source now: fetch, ingest, record a PullRun, update the source's health.

    Returns None when there is nothing to do (source gone, disabled, its pilot stopped,
    or another pull of it still running). Network I/O happens outside any transaction;
    each ingest batch commits on its own, and a crash part-way is repaired by pulling
    again (the unique key drops what was stored already).

    A transient failure (timeout, 5xx) on a non-final attempt does not count against the
    source's health: the task retries. A failure on the final attempt does; after
    PILOTGATE_SOURCE_DEGRADED_AFTER of them in a row the source is degraded.
    """
    now = now or timezone.now()
    source = MetricSource.objects.select_related("pilot").filter(pk=source_id).first()
    if source is None or not source.enabled or source.pilot.status == Status.STOPPED:
        return None
    if not _claim_lease(source_id, now, task_id):
        return None
    # Holding the lease means no other pull of this source is alive: a run still marked
    # running was cut short (worker killed), and this pull redoes its work.
    PullRun.objects.filter(source_id=source_id, outcome=PullOutcome.RUNNING).update(
        outcome=PullOutcome.FAILED,
        finished_at=now,
        error="The worker stopped before this pull finished; the next pull redid it.",
    )
    run = PullRun.objects.create(source=source, trigger=trigger[:16], started_at=now)
    try:
        fetched = _fetch(source, now)
    except ConnectorError as exc:
        return _finish_failed(source, run, exc.message, exc.transient, final_attempt, task_id)
    except Exception:
        logger.exception("pull of source %s failed unexpectedly", source_id)
        return _finish_failed(
            source,
            run,
            "The pull failed unexpectedly; the error was logged.",
            True,
            final_attempt,
            task_id,
        )
    stored = duplicate = rejected = 0
    problems = list(fetched.problems[:MAX_PROBLEMS_KEPT])
    points = fetched.points
    batch = int(getattr(settings, "PILOTGATE_PULL_INGEST_BATCH", INGEST_BATCH))
    for start in range(0, len(points), batch):
        rows = [
            {
                "pilot": source.pilot_id,
                "metric": p.metric,
                "observed_at": p.observed_at,
                "value": p.value,
            }
            for p in points[start : start + batch]
        ]
        result = snapshots_ingest(rows=rows, source=source.ingest_source)
        stored += result.stored
        duplicate += result.duplicate
        rejected += result.rejected
        if len(problems) < MAX_PROBLEMS_KEPT:
            problems += _rejection_texts(rows, result)[: MAX_PROBLEMS_KEPT - len(problems)]
    counts = {"points": len(points), "stored": stored, "duplicate": duplicate, "rejected": rejected}
    if points and stored + duplicate == 0:
        message = "Every value was rejected: " + "; ".join(problems[:3])
        return _finish_failed(
            source, run, message, False, final_attempt, task_id, counts=counts, problems=problems
        )
    return _finish_ok(source, run, now, task_id, counts, problems)


def _release(source_id: int, task_id: str, **fields) -> None:
    MetricSource.objects.filter(pk=source_id, pull_lease_task=task_id).update(
        pull_lease_until=None, pull_lease_task="", **fields
    )


@transaction.atomic
def _finish_ok(source, run, now, task_id, counts, problems) -> PullReport | None:
    finished = timezone.now()
    PullRun.objects.filter(pk=run.pk).update(
        outcome=PullOutcome.OK, finished_at=finished, problems=problems, **counts
    )
    # Only the pull that holds the lease writes health, so an expired straggler cannot
    # overwrite a newer result.
    _release(
        source.pk,
        task_id,
        status=SourceStatus.OK,
        consecutive_failures=0,
        last_success_at=now,
        last_error="",
    )
    if source.status == SourceStatus.DEGRADED:
        signal_refresh.refresh_on_commit(source.pilot_id)
    run = PullRun.objects.filter(pk=run.pk).first()
    if run is None:
        return None  # disconnected while it was being pulled (its runs went with it)
    return PullReport(run=run)


@transaction.atomic
def _finish_failed(
    source, run, message, transient, final_attempt, task_id, *, counts=None, problems=None
) -> PullReport | None:
    retry = transient and not final_attempt
    PullRun.objects.filter(pk=run.pk).update(
        outcome=PullOutcome.FAILED,
        finished_at=timezone.now(),
        error=message[:2000],
        problems=problems or [],
        will_retry=retry,
        **(counts or {}),
    )
    current = MetricSource.objects.select_for_update().filter(pk=source.pk).first()
    if current is None:
        return None  # disconnected while it was being pulled: nothing left to record
    fields: dict[str, Any] = {"last_error": message[:2000]}
    if not retry:
        failures = current.consecutive_failures + 1
        fields["consecutive_failures"] = failures
        if failures >= degraded_after():
            fields["status"] = SourceStatus.DEGRADED
    _release(source.pk, task_id, **fields)
    if fields.get("status", current.status) != current.status:
        publish(
            EventType.SOURCE_DEGRADED, pilot=source.pilot_id,
            payload={"source_id": source.pk, "source": current.name,
                     "consecutive_failures": fields["consecutive_failures"],
                     "last_error": message[:500]},
        )  # fmt: skip
        signal_refresh.refresh_on_commit(source.pilot_id)
    run.refresh_from_db()
    return PullReport(run=run, retry_advised=retry)


def pull_runs_prune(*, now: datetime | None = None, keep_days: int | None = None) -> int:
    """Delete pull runs older than the retention (14 days by default); returns how many.

    Each source keeps its most recent run whatever its age, so a source pulled rarely
    still shows what happened last time.
    """
    now = now or timezone.now()
    days = keep_days or int(getattr(settings, "PILOTGATE_PULL_RUN_RETENTION_DAYS", 14))
    cutoff = now - timedelta(days=days)
    newest = (
        PullRun.objects.filter(source_id=OuterRef("source_id"))
        .order_by("-started_at", "-id")
        .values("id")[:1]
    )
    deleted, _ = PullRun.objects.filter(started_at__lt=cutoff).exclude(id=Subquery(newest)).delete()
    return deleted
