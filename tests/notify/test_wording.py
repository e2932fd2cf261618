"""Emails read like the pages: stages and tiers by their labels, counts with their plural."""

import pytest

from gates import services
from gates.models import Review
from tests.notify.helpers import deliver_all

pytestmark = pytest.mark.django_db


def test_review_request_email_names_stages_and_tier_and_counts_approvals(
    ready_pilot, owner, governance_lead, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    deliver_all()
    (message,) = mailoutbox
    assert message.subject == "Review requested: Ready pilot (Discovery → Pilot)"
    assert "Risk tier medium: 1 approval needed." in message.body
    assert "approval(s)" not in message.body and "discovery" not in message.body


def test_reminder_counts_days_with_their_plural(ready_pilot, owner, governance_lead, mailoutbox):
    from datetime import timedelta

    from notify.reminders import review_waiting

    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    review = Review.objects.select_related("pilot").get(pk=review.pk)
    deliver_all()
    mailoutbox.clear()
    review_waiting(review, now=review.requested_at + timedelta(days=1, hours=1))
    deliver_all()
    assert mailoutbox[-1].subject == "Waiting 1 day: review of Ready pilot"
    assert "has waited 1 day for a decision" in mailoutbox[-1].body
