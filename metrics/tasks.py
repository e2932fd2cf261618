"""Celery tasks of the metrics app. Each takes ids (and times), reloads, calls a service.

All of them recompute from stored data, so a redelivered task (acks_late, worker lost)
does the same work again and ends in the same state.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task


@shared_task(
    name="metrics.process_ingest",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def process_ingest(spans: list[list]) -> int:
    """Rollups, threshold checks and signals for the spans an ingest batch stored."""
    from metrics.services import snapshots_process

    parsed = [
        (int(p), int(m), datetime.fromisoformat(lo), datetime.fromisoformat(hi))
        for p, m, lo, hi in spans
    ]
    snapshots_process(spans=parsed)
    return len(parsed)


@shared_task(name="metrics.compute_drift", autoretry_for=(Exception,), retry_backoff=True)
def compute_drift(pilot_id: int) -> int:
    """Drift scores of one pilot's metrics, stored as drift_score snapshots."""
    from metrics.services import drift_compute

    return drift_compute(pilot_id=pilot_id).stored


@shared_task(name="metrics.compute_drift_all")
def compute_drift_all() -> int:
    """Fan out one drift task per active pilot that has snapshots (daily, from beat)."""
    from metrics.selectors import pilots_with_recent_data

    ids = pilots_with_recent_data()
    for pilot_id in ids:
        compute_drift.delay(pilot_id)
    return len(ids)


@shared_task(name="metrics.refresh_signals")
def refresh_signals(pilot_ids: list[int]) -> int:
    from metrics import signals

    signals.refresh([int(p) for p in pilot_ids])
    return len(pilot_ids)
