"""Publishing domain events."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.dispatch import Signal

from accounts.audit import to_jsonable
from outbox.catalog import EventType
from outbox.models import Event

# Sent once the transaction that published `event` commits (never for a rolled-back
# change). Receivers queue their own work; if the process dies first, the row is still
# there for a consumer's sweep to find (consumers track their progress by event id).
published = Signal()


def publish(
    type: str,
    *,
    pilot=None,
    actor=None,
    payload: dict | None = None,
    now: datetime | None = None,
) -> Event:
    """Record one event in the caller's transaction. `pilot` (a Pilot or its id) and
    `actor` (a user, or None for the system) are optional."""
    if type not in EventType.values:
        raise ValueError(f"unknown event type {type!r}: add it to outbox.catalog")
    pilot_id = getattr(pilot, "pk", pilot)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    fields = {"type": type, "pilot_id": pilot_id, "actor_id": actor_id,
              "payload": to_jsonable(payload or {})}  # fmt: skip
    if now is not None:
        fields["occurred_at"] = now
    event = Event.objects.create(**fields)
    transaction.on_commit(lambda: published.send_robust(sender=Event, event=event))
    return event
