"""Beat tasks of the gates app: waivers that expired, recertifications that came due."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="gates.publish_expired_waivers", acks_late=True, time_limit=120)
def publish_expired_waivers() -> int:
    """Beat: one `waiver.expired` event per waiver that passed its expiry."""
    from gates.services import waivers_publish_expired

    return waivers_publish_expired()


@shared_task(name="gates.recertification_daily", acks_late=True, time_limit=600)
def recertification_daily() -> dict:
    """Beat, daily: publish `recertification.due` for pilots at scale that came due or
    overdue (the notify app tells their owners), and, with
    PILOTGATE_RECERTIFICATION_AUTO_HOLD on, put overdue pilots on hold."""
    from gates.services import recertify

    now = timezone.now()
    reminded = recertify.remind_recertifications(now=now)
    held = recertify.hold_overdue(now=now)
    logger.info("recertification: %s reminded, %s held", reminded, len(held))
    return {"recertifications": reminded, "held_overdue": len(held)}
