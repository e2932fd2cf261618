"""A governance lead's decision on a gate review, and what each decision does.

`decision_effects` and `decided_summary` word, for the review page, exactly what
`review_decide` and `_apply` do, so the page never promises another outcome.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from gates import engine, selectors
from gates.models import (
    APPROVED_STATUSES,
    APPROVING,
    Condition,
    Decision,
    DecisionKind,
    Review,
    ReviewKind,
    ReviewStatus,
)
from gates.services.reviews import _close, lock_pending_review
from gates.services.transitions import pilot_transition
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import STAGE_ORDER, Pilot, Stage, Status

MAX_CONDITIONS = 20
_STAGES = dict(Stage.choices)
_LABELS = dict(DecisionKind.choices)
_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _stage(code: str) -> str:
    return _STAGES.get(code, code)


def send_back_stages(review: Review) -> list[str]:
    """The stages a redesign may send the pilot back to: those before the review's stage
    (a pilot at the first stage goes back to the start of that same stage)."""
    index = STAGE_ORDER.index(review.from_stage) if review.from_stage in STAGE_ORDER else 0
    return STAGE_ORDER[:index] or STAGE_ORDER[:1]


def approvals_so_far(review: Review) -> int:
    return len({d.decided_by_id for d in review.decisions.all() if d.decision in APPROVING})


def decision_effects(review: Review) -> dict[str, str]:
    """decision -> one sentence saying what recording it on `review` now will do."""
    still_needed = review.approvals_needed - approvals_so_far(review)
    to = _stage(review.to_stage)
    # A change or recertification review keeps the pilot in its stage.
    outcome = {
        ReviewKind.CHANGE: "the change is applied",
        ReviewKind.RECERTIFICATION: "the pilot is recertified and stays at scale",
    }.get(review.kind, f"the pilot moves to {to}")
    if still_needed <= 1:
        approve = f"{outcome[0].upper()}{outcome[1:]} now."
    else:
        approve = (
            f"Counts as one approval; {outcome} once {still_needed} leads have approved in all."
        )
    following = engine.next_stage(review.to_stage)
    later_gate = f"the {to} → {_stage(following)} gate" if following else "the next gate"
    return {
        DecisionKind.APPROVE: approve,
        DecisionKind.APPROVE_WITH_CONDITIONS: approve[:-1]
        + f"; each condition becomes a mandatory criterion of {later_gate}.",
        DecisionKind.REJECT: f"Closes this review; the pilot stays in {_stage(review.from_stage)} "
        "and its owners may request a review again.",
        DecisionKind.HOLD: "Closes this review and puts the pilot on hold: no reviews until a "
        "governance lead resumes it.",
        DecisionKind.REDESIGN: "Closes this review and sends the pilot back to the stage you "
        f"choose ({_stage(send_back_stages(review)[-1])} unless you pick another), with the "
        "narrowed scope you describe.",
        DecisionKind.STOP: "Closes this review and stops the pilot for good: no more reviews, "
        "waivers or edits.",
    }


def decided_summary(decision: Decision, review: Review) -> str:
    """What `decision`'s author sees in place of the form once they have decided."""
    when = timezone.localtime(decision.created_at).strftime("%-d %b %Y at %H:%M")
    kind = decision.decision
    if kind in APPROVING:
        did = "approved" if kind == DecisionKind.APPROVE else "approved with conditions"
        if review.status == ReviewStatus.PENDING:
            have = approvals_so_far(review)
            still = review.approvals_needed - have
            waiting = (
                f"a {_ORDINALS.get(have + 1, 'further')} lead"
                if still == 1
                else f"{still} more leads"
            )
            return f"You {did} on {when}; waiting for {waiting}."
        if review.status in APPROVED_STATUSES:
            if review.kind == ReviewKind.CHANGE:
                return f"You {did} on {when}; the change was applied."
            if review.kind == ReviewKind.RECERTIFICATION:
                return f"You {did} on {when}; the pilot was recertified."
            return f"You {did} on {when}; the pilot moved to {_stage(review.to_stage)}."
        return f"You {did} on {when}; the review was then {review.get_status_display().lower()}."
    if kind == DecisionKind.REJECT:
        return (
            f"You rejected this review on {when}; the pilot stayed in {_stage(review.from_stage)}."
        )
    if kind == DecisionKind.HOLD:
        return f"You put the pilot on hold on {when}."
    if kind == DecisionKind.REDESIGN:
        return (
            f"You sent the pilot back to {_stage(decision.redesign_to_stage)} for redesign "
            f"on {when}."
        )
    return f"You stopped the pilot on {when}."


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


def _belongs_only_to(field: str, kind: str, decision: str) -> str:
    return (
        f"{field} belongs only to “{_LABELS[kind]}”, not to “{_LABELS[decision]}”: "
        "clear it, or choose that decision."
    )


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
        errors["conditions"] = _belongs_only_to(
            "Conditions", DecisionKind.APPROVE_WITH_CONDITIONS, decision
        )
    if decision == DecisionKind.REDESIGN:
        if not scope_note:
            errors["scope_note"] = "Describe the narrowed scope the pilot goes back with."
        allowed = send_back_stages(review)
        if not redesign_to_stage:
            redesign_to_stage = allowed[-1]
        elif redesign_to_stage not in STAGE_ORDER:
            errors["redesign_to_stage"] = f"Unknown stage {redesign_to_stage!r}."
        elif redesign_to_stage not in allowed:
            conflict = (
                f"Redesign sends the pilot back to a stage before {review.from_stage}, "
                f"not to {redesign_to_stage}."
            )
    else:
        if scope_note:
            errors["scope_note"] = _belongs_only_to(
                "Narrowed scope", DecisionKind.REDESIGN, decision
            )
        if redesign_to_stage:
            errors["redesign_to_stage"] = _belongs_only_to(
                "Send back to", DecisionKind.REDESIGN, decision
            )
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
    Who may decide, and when, is `rules.decide_refusal` (the rule the pages show).
    """
    now = now or timezone.now()
    rules.ensure_visible(by, review.pilot)
    # Who may decide (403), then the input (400), then the review's state (409).
    rules.ensure_can_decide(by, review, state=False)
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
    rules.ensure_can_decide(by, review)
    review = lock_pending_review(review)
    pilot = Pilot.objects.select_for_update().get(pk=review.pilot_id)
    review.pilot = pilot
    # Re-check on the locked rows: roles, the pilot or the votes may have changed since.
    rules.ensure_can_decide(by, review)
    live = selectors.pilot_evaluation(pilot=pilot, gate=review.criteria_version.gate, now=now)
    recorded = Decision.objects.create(
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
    outcome = _apply(review=review, pilot=pilot, decision=recorded, by=by, now=now,
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
    publish(
        EventType.REVIEW_DECIDED, pilot=pilot, actor=by, now=now,
        payload={"review_id": review.pk, "kind": review.kind, "decision": decision,
                 "status": review.status, "decided_by": by.get_username(),
                 "rationale": rationale},
    )  # fmt: skip
    return review


def _apply(*, review, pilot, decision, by, now, rationale, scope_note, redesign_to_stage) -> str:
    """Close the review and move the pilot as `decision` (the Decision just recorded) says;
    pilot_transition checks the move is that decision's (rules.can_move_pilot)."""
    recorded, decision = decision, decision.decision
    if decision in APPROVING:
        votes = list(review.decisions.filter(decision__in=APPROVING))
        approvers = {v.decided_by_id for v in votes}
        if len(approvers) < review.approvals_needed:
            return f"approval {len(approvers)} of {review.approvals_needed}"
        with_conditions = [v for v in votes if v.decision == DecisionKind.APPROVE_WITH_CONDITIONS]
        status = ReviewStatus.APPROVED_WITH_CONDITIONS if with_conditions else ReviewStatus.APPROVED
        _close(review, status, now)
        if review.kind == ReviewKind.CHANGE:
            # A change review leaves the stage alone (review_closed applies the change).
            _carry_conditions(review, pilot, with_conditions)
            return "approved; change applied"
        if review.kind == ReviewKind.RECERTIFICATION:
            # The pilot stays where it is; the approval restarts its recertification clock
            # (gates.recertification counts from this review's closing).
            return "recertified"
        pilot_transition(
            pilot=pilot, by=by, to_stage=review.to_stage, reason=rationale or "Gate approved",
            decision=recorded,
        )  # fmt: skip
        _carry_conditions(review, pilot, with_conditions)
        return f"moved to {review.to_stage}"
    return _close_other(review=review, pilot=pilot, decision=recorded, by=by, now=now,
                        rationale=rationale, scope_note=scope_note,
                        redesign_to_stage=redesign_to_stage)  # fmt: skip


def _carry_conditions(review, pilot, with_conditions) -> None:
    """Each condition of an approval becomes a mandatory criterion of the next gate."""
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


def _close_other(*, review, pilot, decision, by, now, rationale, scope_note, redesign_to_stage):
    """Every decision but an approval closes the review at once."""
    recorded, decision = decision, decision.decision
    if decision == DecisionKind.REJECT:
        _close(review, ReviewStatus.REJECTED, now)
        return "stays in stage"
    if decision == DecisionKind.HOLD:
        _close(review, ReviewStatus.ON_HOLD, now)
        pilot_transition(
            pilot=pilot, by=by, to_status=Status.ON_HOLD, reason=rationale, decision=recorded
        )
        return "on hold"
    if decision == DecisionKind.REDESIGN:
        _close(review, ReviewStatus.REDESIGN, now)
        pilot_transition(
            pilot=pilot, by=by, to_stage=redesign_to_stage, reason=f"Redesign: {scope_note}",
            decision=recorded,
        )  # fmt: skip
        return f"back to {redesign_to_stage}"
    _close(review, ReviewStatus.STOPPED, now)
    pilot_transition(
        pilot=pilot, by=by, to_status=Status.STOPPED, reason=rationale, decision=recorded
    )
    return "stopped"
