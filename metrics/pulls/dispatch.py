"""The dispatcher: the beat claims every due source and queues one pull task each (by
task name: metrics.pull_source), through fan-out tasks when there are many."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from metrics.models import MetricSource
from portfolio.models import Status


def _enqueue_pull(
    source_id: int, *, trigger: str, countdown: float = 0, producer=None, queue=None
) -> None:
    options = {"queue": queue} if queue else {}
    current_app.tasks["metrics.pull_source"].apply_async(
        args=[source_id],
        kwargs={"trigger": trigger},
        countdown=countdown or None,
        producer=producer,
        **options,
    )


def jitter_seconds(interval_minutes: int) -> float:
    """Spread pulls over a short window so sources due together do not hit at once."""
    cap = float(getattr(settings, "PILOTGATE_PULL_JITTER_SECONDS", 20))
    return random.uniform(0, min(cap, interval_minutes * 60 / 4))


def sources_dispatch_due(
    *,
    now: datetime | None = None,
    limit: int = 20_000,
    enqueue: Callable[[Iterable[tuple[int, float]]], None] | None = None,
) -> list[int]:
    """Claim every due source and queue one pull each; returns the claimed ids.

    The claim moves `next_due_at` one interval ahead inside one transaction. Rows are
    locked with SKIP LOCKED on PostgreSQL (SQLite serialises writers), and the update is
    conditional on the source still being due, so two beats running at once never
    dispatch the same source twice. Tasks are queued after commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            MetricSource.objects.filter(enabled=True, next_due_at__lte=now)
            .exclude(pilot__status=Status.STOPPED)
            .order_by("next_due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", "interval_minutes")[:limit]
        )
        by_interval: dict[int, list[int]] = {}
        for source_id, minutes in due:
            by_interval.setdefault(minutes, []).append(source_id)
        claimed: list[tuple[int, float]] = []
        for minutes, ids in by_interval.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                updated = MetricSource.objects.filter(
                    id__in=chunk, enabled=True, next_due_at__lte=now
                ).update(next_due_at=now + timedelta(minutes=minutes))
                if updated != len(chunk):
                    # Another dispatcher got some of these first: take only what is still
                    # ours (none of them, on PostgreSQL, thanks to the row locks).
                    raise IntegrityError("due sources changed during the claim")
                claimed += [(source_id, jitter_seconds(minutes)) for source_id in chunk]
        transaction.on_commit(lambda: (enqueue or enqueue_pulls)(claimed))
    return [source_id for source_id, _ in claimed]


# Past this many, the dispatcher hands publishing to workers in chunks: publishing a
# Celery message costs ~1-3 ms of Python, so 10,000 from one beat process would take long.
FANOUT_CHUNK = 500


def enqueue_pulls(claimed: Iterable[tuple[int, float]], *, queue: str | None = None) -> None:
    """Queue one pull task per claimed source (via fan-out tasks for large batches)."""
    claimed = [(int(source_id), float(countdown)) for source_id, countdown in claimed]
    if current_app.conf.task_always_eager or len(claimed) <= FANOUT_CHUNK:
        publish_pulls(claimed, queue=queue)
        return
    options = {"queue": queue} if queue else {}
    with current_app.producer_or_acquire() as producer:
        for start in range(0, len(claimed), FANOUT_CHUNK):
            current_app.tasks["metrics.enqueue_pull_batch"].apply_async(
                args=[claimed[start : start + FANOUT_CHUNK]],
                kwargs={"queue": queue},
                producer=producer,
                **options,
            )


def publish_pulls(claimed: Iterable[tuple[int, float]], *, queue: str | None = None) -> None:
    """Publish one pull_source message per source over a single broker connection.

    Redelivery of a half-done fan-out task publishes some pulls twice; that is harmless
    (the lease skips a concurrent duplicate, the unique key a later one)."""
    if current_app.conf.task_always_eager:
        for source_id, _countdown in claimed:
            _enqueue_pull(source_id, trigger="schedule")
        return
    with current_app.producer_or_acquire() as producer:
        for source_id, countdown in claimed:
            _enqueue_pull(
                source_id, trigger="schedule", countdown=countdown, producer=producer, queue=queue
            )
