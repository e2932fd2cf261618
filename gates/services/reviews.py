"""Gate reviews: request, decide, withdraw (discussion and follow-ups: services/followups.py).

Race safety: every write to a review first locks its row (`select_for_update`; SQLite
serialises writers anyway) and re-reads its status inside the transaction, then closes it
with a conditional update. Two governance leads deciding at once, or a decision racing a
withdrawal, therefore yield exactly one outcome; the loser gets `Conflict` (HTTP 409).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates import engine, notifications, selectors
from gates.models import (
    APPROVING,
    Condition,
    Decision,
    DecisionKind,
    Review,
    ReviewStatus,
)
from gates.services.transitions import pilot_transition
from portfolio.models import STAGE_ORDER, Pilot, Status

MAX_EVIDENCE_LINKS = 20
MAX_CONDITIONS = 20


class ReviewRefused(Conflict):
    """The gate's mandatory criteria do not all pass (or hold an unexpired waiver)."""

    def __init__(self, message: str, blocking: Sequence[engine.Result]):
        super().__init__(message)
        self.blocking = tuple(blocking)


def _clean_links(links) -> list[str]:
    if links is None:
        return []
    if isinstance(links, str):
        links = [line for line in links.splitlines()]
    if not isinstance(links, list | tuple):
        raise ValidationError({"evidence_links": "Give a list of links."})
    cleaned = []
    for raw in links:
        link = str(raw).strip()
        if not link:
            continue
        try:
            parsed = urlparse(link)
        except ValueError:  # e.g. an unclosed [ in the host
            parsed = urlparse("")
        if parsed.scheme not in {"http", "https"} or not parsed.netloc or len(link) > 2000:
            raise ValidationError(
                {"evidence_links": f"{link[:80]!r} is not a web address (http:// or https://)."}
            )
        cleaned.append(link)
    if len(cleaned) > MAX_EVIDENCE_LINKS:
        raise ValidationError(
            {"evidence_links": f"Give at most {MAX_EVIDENCE_LINKS} evidence links."}
        )
    return cleaned


def review_request(
    *, pilot: Pilot, to_stage: str, by, note: str = "", evidence_links=None, now=None
) -> Review:
    """Ask for a review of `pilot` into `to_stage` (its next stage).

    Refused (`ReviewRefused`, 409) while a mandatory criterion fails without an
    unexpired waiver; the exception lists them, and the refusal is recorded (outside the
    request's own transaction, which rolls back) so pages stop offering the same request
    until something it was refused for changes (gates.offer).
    """
    try:
        return _review_request(
            pilot=pilot, to_stage=to_stage, by=by, note=note, evidence_links=evidence_links, now=now
        )
    except ReviewRefused as exc:
        _refusal_record(pilot=pilot, to_stage=to_stage, by=by, blocking=exc.blocking)
        raise


@transaction.atomic
def _refusal_record(*, pilot: Pilot, to_stage: str, by, blocking) -> None:
    from gates.offer import REFUSED_ACTION, fingerprint

    audit_record(
        actor=by,
        action=REFUSED_ACTION,
        obj=pilot,
        pilot_id=pilot.pk,
        after={
            "to_stage": to_stage,
            "blocking": [r.criterion_key for r in blocking],
            "fingerprint": fingerprint(blocking),
        },
    )


@transaction.atomic
def _review_request(
    *, pilot: Pilot, to_stage: str, by, note: str = "", evidence_links=None, now=None
) -> Review:
    now = now or timezone.now()
    rules.ensure_visible(by, pilot)
    if pilot.is_stopped:
        raise Conflict("This pilot is stopped; it can have no further reviews.")
    rules.ensure(
        rules.can_request_review(by, pilot), by, "request_review", f"pilot:{pilot.pk}",
        "Only the pilot's business or technical owner can request a review.",
    )  # fmt: skip
    # Lock the pilot: its stage must not move, and no second request slip in, meanwhile.
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.status == Status.STOPPED:
        raise Conflict("This pilot is stopped; it can have no further reviews.")
    if pilot.status == Status.ON_HOLD:
        raise Conflict("This pilot is on hold; a governance lead must resume it first.")
    if to_stage not in STAGE_ORDER:
        raise ValidationError({"to_stage": f"Unknown stage {to_stage!r}."})
    # A known stage the pilot is not next to is a conflict with its state, not bad input.
    following = engine.next_stage(pilot.stage)
    if following is None:
        raise Conflict("This pilot is at the last stage already.")
    if to_stage != following:
        raise Conflict(f"A pilot in {pilot.stage} can only be reviewed for {following}.")
    if Review.objects.filter(pilot=pilot, status=ReviewStatus.PENDING).exists():
        raise Conflict("This pilot already has a pending review; withdraw it or wait.")
    note = (note or "").strip()
    if len(note) > 4000:
        raise ValidationError({"note": "Keep the note to 4,000 characters or fewer."})
    links = _clean_links(evidence_links)
    gate = selectors.gate_get(from_stage=pilot.stage, to_stage=to_stage)
    if gate is None:
        raise Conflict(f"No gate is defined from {pilot.stage} to {to_stage}.")
    live = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=now)
    if not live.evaluation.passed:
        blocking = live.evaluation.blocking
        raise ReviewRefused(
            f"{len(blocking)} mandatory criteria do not pass yet: "
            + "; ".join(f"{r.label} ({r.reason})" for r in blocking),
            blocking,
        )
    try:
        with transaction.atomic():
            review = Review.objects.create(
                pilot=pilot,
                from_stage=pilot.stage,
                to_stage=to_stage,
                criteria_version=live.version,
                evaluation=live.to_dict(),
                approvals_needed=gate.approvals_needed(pilot.risk_tier),
                note=note,
                evidence_links=links,
                requested_by=by,
                requested_at=now,
            )
    except IntegrityError as exc:
        raise Conflict("This pilot already has a pending review; withdraw it or wait.") from exc
    audit_record(
        actor=by,
        action="review.request",
        obj=review,
        pilot_id=pilot.pk,
        after={
            "from_stage": review.from_stage,
            "to_stage": review.to_stage,
            "criteria_version": live.version.number,
            "approvals_needed": review.approvals_needed,
            "waived": [r.criterion_key for r in live.evaluation.results if r.waived],
        },
    )
    transaction.on_commit(lambda: notifications.review_requested(review.pk))
    return review


def lock_pending_review(review: Review) -> Review:
    locked = Review.objects.select_for_update().select_related("pilot").get(pk=review.pk)
    if locked.status != ReviewStatus.PENDING:
        raise Conflict(
            f"This review is already closed ({locked.get_status_display().lower()}); "
            "reload to see the outcome."
        )
    return locked


def _close(review: Review, status: str, now) -> None:
    closed = Review.objects.filter(pk=review.pk, status=ReviewStatus.PENDING).update(
        status=status, closed_at=now
    )
    if closed != 1:
        raise Conflict("This review was closed by someone else a moment ago; reload.")
    review.status, review.closed_at = status, now


def _clean_conditions(conditions) -> list[str]:
    if conditions is None:
        return []
    if isinstance(conditions, str):
        conditions = conditions.splitlines()
    if not isinstance(conditions, list | tuple):
        raise ValidationError({"conditions": "Give a list of conditions."})
    cleaned = [str(c).strip() for c in conditions if str(c).strip()]
    if any(len(c) > 1000 for c in cleaned):
        raise ValidationError({"conditions": "Keep each condition to 1,000 characters or fewer."})
    if len(cleaned) > MAX_CONDITIONS:
        raise ValidationError({"conditions": f"Give at most {MAX_CONDITIONS} conditions."})
    return cleaned


def _validate_decision(
    *, review: Review, decision: str, rationale: str, conditions: list[str], scope_note: str,
    redesign_to_stage: str,
) -> str:  # fmt: skip
    if decision not in DecisionKind.values:
        raise ValidationError(
            {"decision": f"Unknown decision {decision!r}; use one of {', '.join(DecisionKind)}."}
        )
    errors: dict[str, str] = {}
    if decision != DecisionKind.APPROVE and not rationale:
        errors["rationale"] = "Give the reasons for this decision."
    if len(rationale) > 8000:
        errors["rationale"] = "Keep the rationale to 8,000 characters or fewer."
    # Rules that depend on the review's stages are conflicts with its state (409), once
    # the input itself is fine.
    conflict = ""
    if decision == DecisionKind.APPROVE_WITH_CONDITIONS:
        if not conditions:
            errors["conditions"] = "List at least one condition, one per line."
        elif engine.next_stage(review.to_stage) is None:
            conflict = (
                f"There is no gate after {review.to_stage} to carry conditions; approve, or "
                "reject with reasons."
            )
    elif conditions:
        errors["conditions"] = "Conditions belong only to 'approve with conditions'."
    if decision == DecisionKind.REDESIGN:
        if not scope_note:
            errors["scope_note"] = "Describe the narrowed scope the pilot goes back with."
        earliest_ok = STAGE_ORDER.index(review.from_stage)
        if not redesign_to_stage:
            redesign_to_stage = STAGE_ORDER[max(earliest_ok - 1, 0)]
        elif redesign_to_stage not in STAGE_ORDER:
            errors["redesign_to_stage"] = f"Unknown stage {redesign_to_stage!r}."
        elif STAGE_ORDER.index(redesign_to_stage) > earliest_ok or (
            earliest_ok > 0 and STAGE_ORDER.index(redesign_to_stage) == earliest_ok
        ):
            conflict = (
                f"Redesign sends the pilot back to a stage before {review.from_stage}, "
                f"not to {redesign_to_stage}."
            )
    elif redesign_to_stage or scope_note:
        errors["scope_note"] = "A scope note and a stage to go back to belong only to redesign."
    if errors:
        raise ValidationError(errors)
    if conflict:
        raise Conflict(conflict)
    return redesign_to_stage


@transaction.atomic
def review_decide(
    *,
    review: Review,
    decision: str,
    by,
    rationale: str = "",
    conditions=None,
    scope_note: str = "",
    redesign_to_stage: str = "",
    now=None,
) -> Review:
    """Record `by`'s decision on a pending review and apply its outcome.

    Approvals count towards the review's quorum (distinct governance leads); the pilot
    moves when the quorum is reached. Any other decision closes the review at once.
    """
    now = now or timezone.now()
    rules.ensure_visible(by, review.pilot)
    rules.ensure(
        rules.can_decide(by, review), by, "decide_review", f"review:{review.pk}",
        "Only a governance lead without a role on this pilot, who did not request the "
        "review, can decide it.",
    )  # fmt: skip
    rationale = (rationale or "").strip()
    scope_note = (scope_note or "").strip()
    cleaned = _clean_conditions(conditions)
    redesign_to_stage = _validate_decision(
        review=review,
        decision=decision,
        rationale=rationale,
        conditions=cleaned,
        scope_note=scope_note,
        redesign_to_stage=(redesign_to_stage or "").strip(),
    )
    review = lock_pending_review(review)
    pilot = Pilot.objects.select_for_update().get(pk=review.pilot_id)
    # Re-check on the locked rows: roles may have changed since the page was loaded.
    rules.ensure(rules.can_decide(by, review), by, "decide_review", f"review:{review.pk}")
    if pilot.stage != review.from_stage or pilot.status != Status.ACTIVE:
        raise Conflict(
            f"The pilot is now {pilot.get_status_display().lower()} in {pilot.stage}; this "
            "review no longer applies. Withdraw it."
        )
    if review.decisions.filter(decided_by=by).exists():
        raise Conflict("You have already decided this review; it waits for another lead.")
    live = selectors.pilot_evaluation(pilot=pilot, gate=review.criteria_version.gate, now=now)
    Decision.objects.create(
        review=review,
        decided_by=by,
        decision=decision,
        rationale=rationale,
        conditions=cleaned,
        scope_note=scope_note,
        redesign_to_stage=redesign_to_stage if decision == DecisionKind.REDESIGN else "",
        evaluation=live.to_dict(),
        created_at=now,
    )
    outcome = _apply(review=review, pilot=pilot, decision=decision, by=by, now=now,
                     rationale=rationale, scope_note=scope_note,
                     redesign_to_stage=redesign_to_stage)  # fmt: skip
    audit_record(
        actor=by,
        action="review.decide",
        obj=review,
        pilot_id=pilot.pk,
        before={"status": ReviewStatus.PENDING},
        after={
            "decision": decision,
            "status": review.status,
            "rationale": rationale,
            "conditions": cleaned,
            "scope_note": scope_note,
            "redesign_to_stage": redesign_to_stage if decision == DecisionKind.REDESIGN else "",
            "outcome": outcome,
        },
    )
    if review.status != ReviewStatus.PENDING:
        transaction.on_commit(lambda: notifications.review_decided(review.pk))
    return review


def _apply(*, review, pilot, decision, by, now, rationale, scope_note, redesign_to_stage) -> str:
    if decision in APPROVING:
        votes = list(review.decisions.filter(decision__in=APPROVING))
        approvers = {v.decided_by_id for v in votes}
        if len(approvers) < review.approvals_needed:
            return f"approval {len(approvers)} of {review.approvals_needed}"
        with_conditions = [v for v in votes if v.decision == DecisionKind.APPROVE_WITH_CONDITIONS]
        status = ReviewStatus.APPROVED_WITH_CONDITIONS if with_conditions else ReviewStatus.APPROVED
        _close(review, status, now)
        pilot_transition(
            pilot=pilot, by=by, to_stage=review.to_stage, reason=rationale or "Gate approved",
            authorized=True,
        )  # fmt: skip
        following = engine.next_stage(review.to_stage)
        for vote in with_conditions:
            for text in vote.conditions:
                Condition.objects.create(
                    pilot=pilot,
                    review=review,
                    key=f"condition_{review.pk}_{secrets.token_hex(4)}",
                    text=text,
                    from_stage=review.to_stage,
                    to_stage=following,
                )
        return f"moved to {review.to_stage}"
    if decision == DecisionKind.REJECT:
        _close(review, ReviewStatus.REJECTED, now)
        return "stays in stage"
    if decision == DecisionKind.HOLD:
        _close(review, ReviewStatus.ON_HOLD, now)
        pilot_transition(
            pilot=pilot, by=by, to_status=Status.ON_HOLD, reason=rationale, authorized=True
        )
        return "on hold"
    if decision == DecisionKind.REDESIGN:
        _close(review, ReviewStatus.REDESIGN, now)
        pilot_transition(
            pilot=pilot, by=by, to_stage=redesign_to_stage, reason=f"Redesign: {scope_note}",
            authorized=True,
        )  # fmt: skip
        return f"back to {redesign_to_stage}"
    _close(review, ReviewStatus.STOPPED, now)
    pilot_transition(
        pilot=pilot, by=by, to_status=Status.STOPPED, reason=rationale, authorized=True
    )
    return "stopped"


@transaction.atomic
def review_withdraw(*, review: Review, by, now=None) -> Review:
    """The requester or an owner takes back a pending review."""
    now = now or timezone.now()
    rules.ensure_visible(by, review.pilot)
    rules.ensure(
        rules.can_withdraw_review(by, review), by, "withdraw_review", f"review:{review.pk}",
        "Only the pilot's owners can withdraw its review.",
    )  # fmt: skip
    review = lock_pending_review(review)
    _close(review, ReviewStatus.WITHDRAWN, now)
    audit_record(
        actor=by,
        action="review.withdraw",
        obj=review,
        pilot_id=review.pilot_id,
        before={"status": ReviewStatus.PENDING},
        after={"status": ReviewStatus.WITHDRAWN},
    )
    return review
