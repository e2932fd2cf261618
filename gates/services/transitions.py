"""State changes of a pilot. The only place that writes `Pilot.stage` and `Pilot.status`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from portfolio import events
from portfolio.models import STAGE_ORDER, Pilot, Status


@transaction.atomic
def pilot_transition(
    *,
    pilot: Pilot,
    by,
    to_stage: str | None = None,
    to_status: str | None = None,
    reason: str = "",
    authorized: bool = False,
) -> Pilot:
    """Move a pilot to another stage and/or status, race-safely.

    The update is conditional on the stage and status the caller saw: if another
    request changed them first, nothing is written and Conflict (409) is raised.
    `authorized=True` is for gate decisions, whose service has already checked the
    decider; otherwise only admins may move a pilot directly.
    """
    if not authorized:
        rules.ensure_visible(by, pilot)
        rules.ensure(
            rules.can_transition_pilot(by, pilot), by, "transition_pilot", f"pilot:{pilot.pk}"
        )
    if to_stage is None and to_status is None:
        raise ValidationError({"to_stage": "Give a stage or a status to move to."})
    if to_stage is not None and to_stage not in STAGE_ORDER:
        raise ValidationError({"to_stage": f"Unknown stage {to_stage!r}."})
    if to_status is not None and to_status not in Status.values:
        raise ValidationError({"to_status": f"Unknown status {to_status!r}."})
    if pilot.status == Status.STOPPED:
        raise Conflict("This pilot is stopped; it can no longer change stage or status.")

    now = timezone.now()
    updates: dict = {"updated_at": now}
    if to_stage is not None and to_stage != pilot.stage:
        updates["stage"] = to_stage
        updates["stage_entered_at"] = now
    if to_status is not None and to_status != pilot.status:
        updates["status"] = to_status
    moved = Pilot.objects.filter(pk=pilot.pk, stage=pilot.stage, status=pilot.status).update(
        **updates
    )
    if moved != 1:
        raise Conflict("This pilot changed while you were looking at it; reload and try again.")
    before = {"stage": pilot.stage, "status": pilot.status}
    pilot.refresh_from_db()
    audit_record(
        actor=by,
        action="pilot.transition",
        obj=pilot,
        pilot_id=pilot.pk,
        before=before,
        after={"stage": pilot.stage, "status": pilot.status, "reason": reason},
    )
    if {"stage", "status"} & updates.keys():
        # The dashboard's portfolio aggregates are grouped by stage and status. Ask after
        # commit, as ingest does, so a rebuild that started before this move was visible
        # cannot clear the request; a burst of moves queues one task. Robust: the move is
        # committed, so a broker that is down must not turn it into an error page (the
        # beat task rebuilds within minutes anyway).
        transaction.on_commit(lambda: events.aggregates_stale.send(sender=Pilot), robust=True)
    return pilot
