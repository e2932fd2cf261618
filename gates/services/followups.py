"""Discussion on pending reviews, conditions of approvals, and resuming held pilots."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates.models import Comment, Condition, Review
from gates.services.reviews import lock_pending_review
from gates.services.transitions import pilot_transition
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import Pilot, Status


@transaction.atomic
def comment_add(*, review: Review, by, body: str) -> Comment:
    """A question, answer or requested change on a pending review; notifies the other side."""
    rules.ensure_visible(by, review.pilot)
    rules.ensure(
        rules.can_comment_review(by, review), by, "comment_review", f"review:{review.pk}",
        "Only the pilot's owners and governance leads take part in its review.",
    )  # fmt: skip
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment."})
    if len(body) > 8000:
        raise ValidationError({"body": "Keep the comment to 8,000 characters or fewer."})
    review = lock_pending_review(review)
    comment = Comment.objects.create(review=review, author=by, body=body)
    audit_record(
        actor=by,
        action="review.comment",
        obj=comment,
        pilot_id=review.pilot_id,
        after={"review": review.pk, "body": body},
    )
    publish(
        EventType.REVIEW_COMMENTED, pilot=review.pilot_id, actor=by,
        payload={"review_id": review.pk, "comment_id": comment.pk,
                 "author": by.get_username(), "body": body},
    )  # fmt: skip
    return comment


@transaction.atomic
def condition_mark_met(*, condition: Condition, by, now=None) -> Condition:
    """A governance lead confirms that a condition of an earlier approval is met."""
    now = now or timezone.now()
    rules.ensure_visible(by, condition.pilot)
    rules.ensure(
        rules.can_mark_condition_met(by, condition.pilot), by, "mark_condition_met",
        f"condition:{condition.pk}",
    )  # fmt: skip
    updated = Condition.objects.filter(pk=condition.pk, met_at__isnull=True).update(
        met_at=now, met_by=by
    )
    if updated != 1:
        raise Conflict("This condition is already marked as met.")
    condition.refresh_from_db()
    audit_record(
        actor=by,
        action="condition.met",
        obj=condition,
        pilot_id=condition.pilot_id,
        after={"key": condition.key, "text": condition.text},
    )
    return condition


@transaction.atomic
def pilot_resume(*, pilot: Pilot, by, reason: str) -> Pilot:
    """Take a held pilot off hold (a governance decision, like the hold itself)."""
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_resume_pilot(by, pilot), by, "resume_pilot", f"pilot:{pilot.pk}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the pilot may go on."})
    if pilot.status != Status.ON_HOLD:
        raise Conflict("Only a pilot on hold can be resumed.")
    return pilot_transition(pilot=pilot, by=by, to_status=Status.ACTIVE, reason=reason)
