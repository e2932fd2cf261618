"""State changes of a pilot. The only place that writes `Pilot.stage` and `Pilot.status`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import Entry, audit_record, audit_record_many
from accounts.system import is_system
from config.errors import Conflict
from outbox.catalog import EventType
from outbox.services import publish
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
    decision=None,
) -> Pilot:
    """Move a pilot to another stage and/or status, race-safely.

    The update is conditional on the stage and status the caller saw: if another
    request changed them first, nothing is written and Conflict (409) is raised.
    Who may is `rules.can_move_pilot`: a gate decision passes the Decision it applies
    (`decision`), a lead resumes a held pilot, admins move a pilot directly, and a caller
    that is not a person passes `by=accounts.system.SYSTEM` (audited as "system").
    """
    if not is_system(by):
        rules.ensure_visible(by, pilot)
    allowed = rules.can_move_pilot(
        by, pilot, to_stage=to_stage, to_status=to_status, decision=decision
    )
    rules.ensure(allowed, by, "transition_pilot", f"pilot:{pilot.pk}")
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
        publish(
            EventType.STAGE_CHANGED, pilot=pilot, actor=None if is_system(by) else by,
            now=now,
            payload={"from_stage": before["stage"], "to_stage": pilot.stage,
                     "from_status": before["status"], "to_status": pilot.status,
                     "reason": reason},
        )  # fmt: skip
        # The dashboard's portfolio aggregates are grouped by stage and status. Ask after
        # commit, as ingest does, so a rebuild that started before this move was visible
        # cannot clear the request; a burst of moves queues one task. Robust: the move is
        # committed, so a broker that is down must not turn it into an error page (the
        # beat task rebuilds within minutes anyway).
        transaction.on_commit(lambda: events.aggregates_stale.send(sender=Pilot), robust=True)
    return pilot


@transaction.atomic
def pilots_move_stage(*, moves: list[tuple[Pilot, str]], by, reason: str = "") -> int:
    """`pilot_transition` of many pilots to a stage each, by one actor, in a few statements
    (a bulk import's administrative moves): the same rule (rules.can_move_pilot, no
    decision), the same race-safe conditional update, one audit event and one
    `pilot.stage_changed` event per pilot. Returns how many moved."""
    moves = [(pilot, stage) for pilot, stage in moves if stage != pilot.stage]
    for pilot, to_stage in moves:
        if not is_system(by):
            rules.ensure_visible(by, pilot)
        allowed = rules.can_move_pilot(by, pilot, to_stage=to_stage)
        rules.ensure(allowed, by, "transition_pilot", f"pilot:{pilot.pk}")
        if to_stage not in STAGE_ORDER:
            raise ValidationError({"to_stage": f"Unknown stage {to_stage!r}."})
        if pilot.status == Status.STOPPED:
            raise Conflict(f"{pilot.name} is stopped; it can no longer change stage.")
    if not moves:
        return 0
    now = timezone.now()
    groups: dict[tuple[str, str, str], list[Pilot]] = {}
    for pilot, to_stage in moves:
        groups.setdefault((pilot.stage, pilot.status, to_stage), []).append(pilot)
    for (from_stage, status, to_stage), pilots in groups.items():
        ids = [p.pk for p in pilots]
        moved = Pilot.objects.filter(pk__in=ids, stage=from_stage, status=status).update(
            stage=to_stage, stage_entered_at=now, updated_at=now
        )
        if moved != len(ids):
            raise Conflict("A pilot changed while it was being moved; reload and try again.")
    entries = []
    for pilot, to_stage in moves:
        before = {"stage": pilot.stage, "status": pilot.status}
        pilot.stage, pilot.stage_entered_at, pilot.updated_at = to_stage, now, now
        entries.append(
            Entry(
                action="pilot.transition", object_type=pilot._meta.label_lower,
                object_id=pilot.pk, pilot_id=pilot.pk, before=before,
                after={"stage": pilot.stage, "status": pilot.status, "reason": reason},
            )
        )  # fmt: skip
        publish(
            EventType.STAGE_CHANGED, pilot=pilot, actor=None if is_system(by) else by, now=now,
            payload={"from_stage": before["stage"], "to_stage": pilot.stage,
                     "from_status": before["status"], "to_status": pilot.status,
                     "reason": reason},
        )  # fmt: skip
    audit_record_many(actor=by, entries=entries)
    transaction.on_commit(lambda: events.aggregates_stale.send(sender=Pilot), robust=True)
    return len(moves)
