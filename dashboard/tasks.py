"""Celery tasks of the dashboard app."""

from __future__ import annotations

from celery import shared_task

from dashboard.aggregates import aggregates_claim_request, aggregates_rebuild


@shared_task(name="portfolio.rebuild_aggregates", acks_late=True, ignore_result=True)
def rebuild_aggregates() -> int:
    """Rebuild the dashboard's portfolio aggregates (beat, and after ingest asked for it).

    Idempotent: it recomputes everything from the rollups, so a redelivered or duplicate
    task only does the same work again. Returns how long the rebuild took (ms)."""
    aggregates_claim_request()
    return aggregates_rebuild().duration_ms
