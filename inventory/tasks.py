"""The daily end-of-life sweep (beat: config.settings CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from inventory import services


@shared_task(name="inventory.end_of_life_alerts", time_limit=300)
def end_of_life_alerts() -> int:
    """Idempotent: the alerts are unique per asset, pilot and date."""
    return len(services.end_of_life_alerts_open(today=timezone.localdate()))
