"""Daily reminders: reviews waiting too long, operations reviews past their date.

Emailed through notify (queued, sent from Celery, by each person's preference)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gates.models import Review, ReviewStatus
from notify import recipients
from notify.catalog import REMINDERS
from notify.messages import Message, absolute, plural, review_link, step
from notify.services import notice_send
from portfolio.models import Pilot, Status
from portfolio.workbooks.provides import workbook_facts_many

logger = logging.getLogger(__name__)


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def remind_pending_reviews(*, now: datetime) -> int:
    """Email leads about each review pending longer than the limit, at most once a day."""
    days = getattr(settings, "PILOTGATE_REVIEW_REMINDER_DAYS", 5)
    cutoff = now - timedelta(days=days)
    sent = 0
    stale = Review.objects.filter(status=ReviewStatus.PENDING, requested_at__lte=cutoff)
    for review in stale.select_related("pilot"):
        # Claim the reminder first: a second beat run the same day finds nothing to claim.
        claimed = (
            Review.objects.filter(pk=review.pk, status=ReviewStatus.PENDING)
            .exclude(reminded_at__gt=now - timedelta(hours=20))
            .update(reminded_at=now)
        )
        if claimed:
            sent += review_waiting(review, now=now)
    return sent


def remind_operations_reviews(*, today: date, chunk: int = 500) -> int:
    """Email owners of active pilots whose operations-workbook review date has passed."""
    sent = 0
    ids = list(Pilot.objects.filter(status=Status.ACTIVE).values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        batch = ids[start : start + chunk]
        facts = workbook_facts_many(batch)
        due_by_pilot = {}
        for pilot_id in batch:
            operations = facts.get(pilot_id, {}).get("operations")
            due = _as_date(operations.fields.get("next_review_date")) if operations else None
            if due is not None and due < today:
                due_by_pilot[pilot_id] = due
        for pilot in Pilot.objects.filter(pk__in=due_by_pilot).prefetch_related("roles__user"):
            sent += operations_review_overdue(pilot, due=due_by_pilot[pilot.pk])
    return sent


def review_waiting(review, *, now) -> int:
    pilot = review.pilot
    age = plural((now - review.requested_at).days, "day", "days")
    message = Message(
        f"Waiting {age}: review of {pilot.name}",
        [f"The review of {pilot.name} ({step(review.from_stage, review.to_stage)}) has waited "
         f"{age} for a decision."],
        review_link(review.pk), "Open the review",
    )  # fmt: skip
    with transaction.atomic():
        return notice_send(
            users=recipients.governance_leads_for(pilot.pk), topic=REMINDERS, message=message
        )


def operations_review_overdue(pilot, *, due) -> int:
    message = Message(
        f"Operations review of {pilot.name} is overdue",
        [f"The operations workbook of {pilot.name} set the next review for {due:%Y-%m-%d}, "
         "which has passed. Hold the review and set the next date."],
        absolute(pilot.get_absolute_url()), "Open the pilot",
    )  # fmt: skip
    with transaction.atomic():
        return notice_send(users=recipients.owners_of(pilot.pk), topic=REMINDERS, message=message)


@shared_task(name="notify.daily_reminders", acks_late=True, time_limit=600)
def daily_reminders() -> dict:
    now = timezone.now()
    reviews = remind_pending_reviews(now=now)
    operations = remind_operations_reviews(today=now.date())
    logger.info("gate reminders sent: %s review, %s operations", reviews, operations)
    return {"reviews": reviews, "operations": operations}
