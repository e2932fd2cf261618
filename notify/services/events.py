"""Outbox events become notices: emails by preference, digest entries, chat messages;
and the sweep that catches up on whatever a crash or a broker outage left."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from notify import recipients
from notify.catalog import Mode
from notify.messages import Message, compose
from notify.models import (
    Channel,
    ChannelMessage,
    DeliveryStatus,
    DigestEntry,
    Email,
    HandledEvent,
)
from notify.services.delivery import _enqueue, email_queue
from notify.services.preferences import _mode_for
from outbox.models import Event
from portfolio.models import BusinessUnit, Pilot


def channels_for(event) -> list[Channel]:
    """Active channels that chose this event type, global or of the pilot's business unit.
    Confidential pilots are never posted to a shared channel."""
    if event.pilot_id is None:
        return []
    pilot = Pilot.objects.filter(pk=event.pilot_id).only("business_unit", "confidential").first()
    if pilot is None or pilot.confidential:
        return []
    chosen = [c for c in Channel.objects.filter(active=True) if event.type in c.event_types]
    unit_ids = {c.business_unit_id for c in chosen if c.business_unit_id}
    units = dict(BusinessUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    unit = (pilot.business_unit or "").casefold()
    return [
        c for c in chosen
        if c.business_unit_id is None or units.get(c.business_unit_id, "").casefold() == unit
    ]  # fmt: skip


def event_handle(*, event_id: int) -> dict:
    """Plan every notice an outbox event causes, once: emails by each recipient's
    preference (now or in the digest), and chat messages. Returns the counts."""
    counts = {"emails": 0, "digest": 0, "channels": 0}
    with transaction.atomic():
        event = Event.objects.select_related("actor").filter(pk=event_id).first()
        if event is None:
            return counts
        try:
            with transaction.atomic():
                HandledEvent.objects.create(event=event)
        except IntegrityError:
            return counts  # handled already (a sweep and the signal's task met)
        people = recipients.for_event(event)
        channels = channels_for(event)
        if not people and not channels:
            return counts
        message = compose(event)
        cache: dict = {}
        for user in people:
            mode = _mode_for(user, event.type, cache)
            if mode == Mode.DIGEST:
                DigestEntry.objects.get_or_create(
                    user=user, event=event,
                    defaults={"subject": message.subject[:255], "link": message.link[:500]},
                )  # fmt: skip
                counts["digest"] += 1
            elif mode == Mode.IMMEDIATE:
                email_queue(user=user, topic=event.type, message=message, event=event)
                counts["emails"] += 1
        for channel in channels:
            row, created = ChannelMessage.objects.get_or_create(channel=channel, event=event)
            if created:
                transaction.on_commit(lambda pk=row.pk: _enqueue("notify.send_chat", pk))
                counts["channels"] += 1
    return counts


def event_discard(*, event_id: int) -> None:
    """Mark an event handled without telling anyone (the demo data's history)."""
    HandledEvent.objects.get_or_create(event_id=event_id)


def notice_send(*, users, topic: str, message: Message) -> int:
    """Email a notice that is not an event (daily reminders) to those who want it."""
    cache: dict = {}
    sent = 0
    for user in users:
        if _mode_for(user, topic, cache) == Mode.OFF:
            continue
        email_queue(user=user, topic=topic, message=message)
        sent += 1
    return sent


# --- the sweep ---------------------------------------------------------------------------


def sweep(*, now: datetime | None = None, limit: int = 500) -> dict:
    """Catch up on what a crash or a broker outage left: events not handled yet (within
    NOTIFY_EVENT_WINDOW_HOURS), and messages whose retry is overdue by a minute."""
    now = now or timezone.now()
    window = int(getattr(settings, "NOTIFY_EVENT_WINDOW_HOURS", 24))
    events = (
        Event.objects.filter(occurred_at__gte=now - timedelta(hours=window),
                             occurred_at__lte=now - timedelta(seconds=30))
        .filter(~Exists(HandledEvent.objects.filter(event=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )  # fmt: skip
    handled = 0
    for event_id in list(events):
        event_handle(event_id=event_id)
        handled += 1
    overdue = now - timedelta(seconds=60)
    emails = list(Email.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=overdue)
                  .values_list("pk", flat=True)[:limit])  # fmt: skip
    for pk in emails:
        _enqueue("notify.send_email", pk)
    chats = list(ChannelMessage.objects.filter(status=DeliveryStatus.QUEUED,
                                               next_attempt_at__lte=overdue)
                 .values_list("pk", flat=True)[:limit])  # fmt: skip
    for pk in chats:
        _enqueue("notify.send_chat", pk)
    return {"events": handled, "emails": len(emails), "chats": len(chats)}
