"""Celery tasks of the metrics app. Each takes ids (and times), reloads, calls a service.

All of them recompute from stored data, so a redelivered task (acks_late, worker lost)
does the same work again and ends in the same state.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

# Called through their modules, as before they were imported here, so a test can patch them.
from metrics import selectors, services, signal_refresh
from metrics.pulls import dispatch
from metrics.pulls import run as one_pull


@shared_task(
    name="metrics.process_ingest",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def process_ingest(spans: list[list]) -> int:
    """Rollups, threshold checks and signals for the spans an ingest batch stored."""
    parsed = [
        (int(p), int(m), datetime.fromisoformat(lo), datetime.fromisoformat(hi))
        for p, m, lo, hi in spans
    ]
    services.snapshots_process(spans=parsed)
    return len(parsed)


@shared_task(name="metrics.compute_drift", autoretry_for=(Exception,), retry_backoff=True)
def compute_drift(pilot_id: int) -> int:
    """Drift scores of one pilot's metrics, stored as drift_score snapshots."""
    return services.drift_compute(pilot_id=pilot_id).stored


@shared_task(name="metrics.compute_drift_all")
def compute_drift_all() -> int:
    """Fan out one drift task per active pilot that has snapshots (daily, from beat)."""
    ids = selectors.pilots_with_recent_data()
    for pilot_id in ids:
        compute_drift.delay(pilot_id)
    return len(ids)


@shared_task(name="metrics.refresh_signals")
def refresh_signals(pilot_ids: list[int]) -> int:
    signal_refresh.refresh([int(p) for p in pilot_ids])
    return len(pilot_ids)


@shared_task(name="metrics.refresh_expired_signals")
def refresh_expired_signals() -> int:
    """Recompute stored signals that the clock has made out of date (beat, every 5 min)."""
    return signal_refresh.refresh_expired()


# --- pull sources (metrics/pulls/) ------------------------------------------------------

PULL_MAX_RETRIES = 4
PULL_BACKOFF_BASE_SECONDS = 30
# Under the Redis visibility timeout (600 s): a retry waiting longer would be redelivered.
PULL_BACKOFF_MAX_SECONDS = 480


def pull_backoff(retries: int) -> float:
    """About 30 s, 60 s, 120 s, 240 s, capped; jittered so retries of many sources spread."""
    import random

    delay = min(PULL_BACKOFF_BASE_SECONDS * (2**retries), PULL_BACKOFF_MAX_SECONDS)
    return delay * random.uniform(0.75, 1.0)


@shared_task(name="metrics.dispatch_due_sources", acks_late=True, ignore_result=True)
def dispatch_due_sources() -> int:
    """Every minute (beat): claim the due sources and queue one pull_source each."""
    return len(dispatch.sources_dispatch_due())


@shared_task(name="metrics.enqueue_pull_batch", acks_late=True, ignore_result=True)
def enqueue_pull_batch(claimed: list[list], queue: str | None = None) -> int:
    """Fan-out: publish the pull tasks of one chunk of sources the dispatcher claimed."""
    dispatch.publish_pulls([(int(s), float(c)) for s, c in claimed], queue=queue)
    return len(claimed)


@shared_task(
    bind=True,
    name="metrics.pull_source",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=PULL_MAX_RETRIES,
    time_limit=300,
    soft_time_limit=240,
)
def pull_source(self, source_id: int, trigger: str = "schedule") -> dict | None:
    """Pull one source. Redelivery after a crash is safe: the snapshots' unique key makes a
    re-pull store nothing twice, and the lease is keyed by this task's id."""
    from django.utils import timezone

    final = self.request.retries >= self.max_retries
    report = one_pull.source_pull(
        source_id=int(source_id),
        now=timezone.now(),
        trigger="retry" if self.request.retries else trigger,
        task_id=self.request.id or "",
        final_attempt=final,
    )
    if report is None:
        return None
    if report.retry_advised:
        raise self.retry(countdown=pull_backoff(self.request.retries))
    run = report.run
    return {"run": run.pk, "outcome": run.outcome, "stored": run.stored}


@shared_task(name="metrics.prune_pull_runs", acks_late=True, ignore_result=True)
def prune_pull_runs() -> int:
    """Daily: drop old pull runs (10,000 sources every 15 minutes add ~1M rows a day)."""
    return one_pull.pull_runs_prune()
