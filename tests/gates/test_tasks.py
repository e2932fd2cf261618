"""The daily reminder task."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from gates import services
from gates.models import Review
from gates.tasks import daily_reminders, remind_operations_reviews, remind_pending_reviews
from portfolio.workbooks.services import workbook_replace

pytestmark = pytest.mark.django_db


def test_daily_reminders_is_scheduled_by_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["gates-daily-reminders"]
    assert entry["task"] == daily_reminders.name == "gates.daily_reminders"


def test_reviews_pending_too_long_are_reminded_once_a_day(
    ready_pilot, owner, governance_lead, mailoutbox
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    now = timezone.now()
    assert remind_pending_reviews(now=now) == 0
    Review.objects.filter(pk=review.pk).update(requested_at=now - timedelta(days=6))
    assert remind_pending_reviews(now=now) == 1
    assert mailoutbox[-1].to == [governance_lead.email]
    assert "Waiting 6 days" in mailoutbox[-1].subject
    assert remind_pending_reviews(now=now + timedelta(hours=2)) == 0
    assert remind_pending_reviews(now=now + timedelta(days=1)) == 1


def test_past_operations_review_date_reminds_the_owners(ready_pilot, owner, mailoutbox):
    past = (timezone.localdate() - timedelta(days=2)).isoformat()
    result = workbook_replace(
        pilot=ready_pilot,
        phase="operations",
        by=owner,
        data={"next_review_date": past},
        partial=True,
    )
    assert not result.errors
    sent = remind_operations_reviews(today=timezone.localdate())
    assert sent >= 1
    assert any("Operations review of Ready pilot is overdue" in m.subject for m in mailoutbox)
    assert remind_operations_reviews(today=timezone.localdate() - timedelta(days=5)) == 0


def test_task_runs_end_to_end(ready_pilot):
    assert daily_reminders.apply().get() == {
        "reviews": 0,
        "operations": 0,
        "recertifications": 0,
        "held_overdue": 0,
    }
