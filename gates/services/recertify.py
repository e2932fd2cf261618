"""Recertification of pilots at scale: the policy, the request, reminders and auto-hold.

The review itself is a `Review` of kind "recertification" (services/reviews.py and
services/decisions.py, the same quorum, separation of duties, frozen evaluation and
decisions as a gate review). It is requested by the pilot's owners, not opened by the
system: a review needs a person who answers for the evidence, and the system only
reminds them (and, if PILOTGATE_RECERTIFICATION_AUTO_HOLD is on, holds an overdue pilot).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from accounts.system import SYSTEM
from config.errors import Conflict
from gates import recertification
from gates.models import RecertificationPolicy, Review, ReviewKind
from gates.services.reviews import review_request
from gates.services.transitions import pilot_transition
from outbox.catalog import EventType
from outbox.models import Event
from outbox.services import publish
from portfolio.models import Pilot, RiskTier, Stage, Status

MIN_MONTHS, MAX_MONTHS = 1, 60


def recertification_request(
    *, pilot: Pilot, by, note: str = "", evidence_links=None, evidence_uploads=None, now=None
) -> Review:
    """The owners ask for their pilot at scale to be recertified (a Review of that kind)."""
    return review_request(
        pilot=pilot, to_stage=Stage.SCALE, by=by, note=note, evidence_links=evidence_links,
        evidence_uploads=evidence_uploads, now=now, kind=ReviewKind.RECERTIFICATION,
    )  # fmt: skip


@transaction.atomic
def recertification_policy_set(*, by, risk_tier: str, months) -> RecertificationPolicy:
    """Set how many months a pilot at scale of `risk_tier` goes between recertifications."""
    rules.ensure(
        rules.can_edit_recertification_policy(by), by, "edit_recertification_policy",
        f"recertification_policy:{risk_tier}",
        "Only governance leads change how often pilots are recertified.",
    )  # fmt: skip
    if risk_tier not in RiskTier.values:
        raise ValidationError({"risk_tier": f"Unknown risk tier {risk_tier!r}."})
    try:
        months = int(str(months).strip())
    except (TypeError, ValueError):
        raise ValidationError({"months": f"Months: {months!r} is not a whole number."}) from None
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise ValidationError(
            {"months": f"Months: give a number from {MIN_MONTHS} to {MAX_MONTHS}."}
        )
    policy, _ = RecertificationPolicy.objects.select_for_update().get_or_create(
        risk_tier=risk_tier,
        defaults={"months": recertification.DEFAULT_MONTHS[RiskTier(risk_tier)]},
    )
    before = policy.months
    if before == months:
        return policy
    policy.months, policy.updated_by, policy.updated_at = months, by, timezone.now()
    policy.save()
    audit_record(
        actor=by,
        action="recertification_policy.update",
        obj=policy,
        before={"risk_tier": risk_tier, "months": before},
        after={"risk_tier": risk_tier, "months": months},
    )
    return policy


def _already_published(pilot_id: int, due_on: str, overdue: bool) -> bool:
    return Event.objects.filter(
        type=EventType.RECERTIFICATION_DUE,
        pilot_id=pilot_id,
        payload__due_on=due_on,
        payload__overdue=overdue,
    ).exists()


def remind_recertifications(*, now: datetime) -> int:
    """Publish `recertification.due` (the notify app emails the owners) once when a pilot at
    scale comes due and once more when it is overdue (per due date: an approval starts a new cycle).
    Returns how many pilots were reminded."""
    months = recertification.policy_months()
    reminded = 0
    due = recertification.due_pilots(Pilot.objects.all(), now).prefetch_related("roles__user")
    for pilot in due:
        when = recertification.due_date(pilot, months)
        overdue = when <= now
        due_on = when.date().isoformat()
        with transaction.atomic():
            # Lock the pilot so two beat runs at once publish one event.
            Pilot.objects.select_for_update().filter(pk=pilot.pk).first()
            if _already_published(pilot.pk, due_on, overdue):
                continue
            publish(
                EventType.RECERTIFICATION_DUE, pilot=pilot, actor=None, now=now,
                payload={"due_on": due_on, "overdue": overdue, "risk_tier": pilot.risk_tier,
                         "months": months.get(pilot.risk_tier)},
            )  # fmt: skip
        reminded += 1
    return reminded


def hold_overdue(*, now: datetime) -> list[int]:
    """With PILOTGATE_RECERTIFICATION_AUTO_HOLD on, put each active overdue pilot on hold
    (by the system, audited by pilot_transition). Returns the held pilots' ids."""
    if not settings.PILOTGATE_RECERTIFICATION_AUTO_HOLD:
        return []
    held = []
    overdue = recertification.overdue_pilots(Pilot.objects.filter(status=Status.ACTIVE), now)
    for pilot in overdue:
        if pilot.reviews.filter(kind=ReviewKind.RECERTIFICATION, status="pending").exists():
            continue  # the recertification is under way: leave it to the leads
        when = recertification.due_date(pilot)
        try:
            pilot_transition(
                pilot=pilot, by=SYSTEM, to_status=Status.ON_HOLD,
                reason=f"Recertification overdue since {when:%Y-%m-%d}",
            )  # fmt: skip
        except Conflict:
            continue  # changed meanwhile: the next run looks again
        held.append(pilot.pk)
    return held
