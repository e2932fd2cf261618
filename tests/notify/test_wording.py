"""Emails read like the pages: stages and tiers by their labels, counts with their plural."""

import pytest

from gates import services
from gates.models import Review

pytestmark = pytest.mark.django_db


def test_review_request_email_names_stages_and_tier_and_counts_approvals(
    ready_pilot, owner, governance_lead, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    (message,) = mailoutbox
    assert message.subject == "Review requested: Ready pilot (Discovery → Pilot)"
    assert "Risk tier medium: 1 approval needed." in message.body
    assert "approval(s)" not in message.body and "discovery" not in message.body


def test_reminder_counts_days_with_their_plural(ready_pilot, owner, governance_lead, mailoutbox):
    from datetime import timedelta

    from gates import notifications

    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    review = Review.objects.get(pk=review.pk)
    mailoutbox.clear()
    notifications.review_waiting(review.pk, now=review.requested_at + timedelta(days=1, hours=1))
    assert mailoutbox[-1].subject == "Waiting 1 day: review of Ready pilot"
    assert "has waited 1 day for a decision" in mailoutbox[-1].body
