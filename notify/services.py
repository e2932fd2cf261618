"""Every write of notifications: handling outbox events, queuing and sending email and chat
messages, preferences, unsubscribing, channels, and the digests.

Sending never happens inside a user's request: a service records the message and queues
its Celery task on commit. The task claims the row, sends, and records the outcome; a
failure leaves the row queued with the next attempt's time, so a mail server or chat
service that is down delays the message and loses nothing (notify.sweep re-queues rows
whose task was lost).
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from metrics.connectors import ConnectorError
from metrics.connectors.safety import UnsafeURL, check_url
from notify import chat, recipients, tokens
from notify.catalog import (
    CANNOT_TURN_OFF,
    TOPICS,
    WEEKLY_DIGEST,
    Mode,
    allowed_modes,
    default_mode,
)
from notify.messages import Message, absolute, compose, plural
from notify.models import (
    Channel,
    ChannelKind,
    ChannelMessage,
    DeliveryStatus,
    DigestEntry,
    Email,
    HandledEvent,
    Preference,
)
from outbox.catalog import EventType
from outbox.models import Event
from portfolio.models import BusinessUnit, Pilot

logger = logging.getLogger(__name__)
User = get_user_model()


# --- settings ----------------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 10))


def retry_delay(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: doubling from NOTIFY_RETRY_SECONDS, at most
    an hour."""
    base = int(getattr(settings, "NOTIFY_RETRY_SECONDS", 30))
    return min(base * 2 ** max(attempts - 1, 0), 3600)


def _enqueue(task: str, *args) -> None:
    """Queue a task by name; a broker that is down only delays the work (notify.sweep)."""
    try:
        current_app.tasks[task].apply_async(args=args)
    except Exception:  # noqa: BLE001 - the row is stored; the sweep finds it
        logger.warning("could not queue %s%r; the sweep will retry", task, args, exc_info=True)


# --- preferences -------------------------------------------------------------------------


def modes_of(user) -> dict[str, str]:
    """Every topic's mode for `user`, defaults filled in."""
    stored = dict(Preference.objects.filter(user=user).values_list("topic", "mode"))
    executive = rules.is_executive(user)
    modes = {}
    for topic in TOPICS:
        mode = stored.get(topic) or default_mode(topic, is_executive=executive)
        modes[topic] = mode if mode in allowed_modes(topic) else allowed_modes(topic)[0]
    return modes


def _mode_for(user, topic: str, cache: dict) -> str:
    if user.pk not in cache:
        cache[user.pk] = modes_of(user)
    return cache[user.pk].get(topic, Mode.IMMEDIATE)


@transaction.atomic
def preferences_set(*, user, by, modes: dict[str, str]) -> dict[str, str]:
    """Set `user`'s modes (topic -> mode). Only the person themself changes them."""
    if by is None or not by.is_authenticated or by.pk != user.pk:
        rules.log_denied(by, "notify.preferences", f"user:{user.pk}")
        raise PermissionDenied("Only the person themself can change their notifications.")
    errors = {}
    for topic, mode in modes.items():
        if topic not in TOPICS:
            errors[topic] = f"“{str(topic)[:40]}” is not something Pilotgate notifies about."
        elif mode not in allowed_modes(topic):
            if topic in CANNOT_TURN_OFF and mode == Mode.OFF:
                errors[topic] = "Decisions on your own pilots cannot be turned off."
            else:
                errors[topic] = f"Choose one of the offered options; “{str(mode)[:20]}” is not."
    if errors:
        raise ValidationError(errors)
    before = modes_of(user)
    for topic, mode in modes.items():
        Preference.objects.update_or_create(user=user, topic=topic, defaults={"mode": mode})
    after = modes_of(user)
    changed = {t: after[t] for t in after if after[t] != before[t]}
    if changed:
        audit_record(
            actor=by, action="notify.preferences", object_type="accounts.user", object_id=user.pk,
            before={t: before[t] for t in changed}, after=changed,
        )  # fmt: skip
    return after


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[User, str]:
    """Turn off the topic a signed link names. A changed link is refused (400); a topic
    that cannot be turned off is refused with a pointer to the preferences (409)."""
    from config.errors import Conflict

    read = tokens.read(token)
    if read is None:
        raise ValidationError({"token": "This unsubscribe link is not valid (it was changed)."})
    user_id, topic = read
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or topic not in TOPICS:
        raise ValidationError({"token": "This unsubscribe link is not valid any more."})
    if topic in CANNOT_TURN_OFF:
        raise Conflict(
            "Decisions on your own pilots cannot be turned off; you can have them in the "
            "daily digest instead on your notifications page."
        )
    before = modes_of(user)[topic]
    Preference.objects.update_or_create(user=user, topic=topic, defaults={"mode": Mode.OFF})
    if before != Mode.OFF:
        audit_record(
            actor=user, action="notify.unsubscribe", object_type="accounts.user",
            object_id=user.pk, before={topic: before}, after={topic: Mode.OFF},
        )  # fmt: skip
    return user, topic


# --- email ---------------------------------------------------------------------------


def unsubscribe_url(user, topic: str) -> str:
    return absolute(reverse("notify:unsubscribe", args=[tokens.make(user.pk, topic)]))


def preferences_url() -> str:
    return absolute(reverse("notify:preferences"))


def render_email(*, user, topic: str, message: Message, template: str = "message", **extra):
    """(text, html) of an email, each with the unsubscribe link."""
    context = {
        "user": user,
        "message": message,
        "topic_label": TOPICS.get(topic, ""),
        "unsubscribe_url": unsubscribe_url(user, topic) if topic in TOPICS else "",
        "preferences_url": preferences_url(),
        "cannot_turn_off": topic in CANNOT_TURN_OFF,
        **extra,
    }
    text = render_to_string(f"notify/email/{template}.txt", context)
    html = render_to_string(f"notify/email/{template}.html", context)
    return text, html


def email_queue(*, user, topic: str, message: Message, event=None, text="", html="") -> Email:
    """Record one email and send it from Celery once the caller's transaction commits."""
    if not text:
        text, html = render_email(user=user, topic=topic, message=message)
    email = Email.objects.create(
        user=user, to=user.email, topic=topic, event=event, subject=message.subject[:255],
        text=text, html=html,
    )  # fmt: skip
    transaction.on_commit(lambda: _enqueue("notify.send_email", email.pk))
    return email


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, retry, failed, nothing
    retry_in: int | None = None


def email_send(*, email_id: int, now: datetime | None = None) -> Outcome:
    """Send one queued email. A failure is recorded with the time of the next attempt;
    after NOTIFY_MAX_ATTEMPTS it is marked failed. Sending twice is impossible: the row is
    claimed (locked, still queued) for the attempt."""
    now = now or timezone.now()
    with transaction.atomic():
        email = (
            Email.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=DeliveryStatus.QUEUED)
            .first()
        )
        if email is None:
            return Outcome("nothing")
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.text, from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            headers={"List-Unsubscribe": f"<{email_unsubscribe_link(email)}>"},
        )  # fmt: skip
        if email.html:
            message.attach_alternative(email.html, "text/html")
        email.attempts += 1
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            return _failed(email, f"The mail server refused the address: {exc}"[:500], final=True)
        except (OSError, smtplib.SMTPException) as exc:
            return _failed(email, f"{type(exc).__name__}: {exc}"[:500], now=now)
        email.status = DeliveryStatus.SENT
        email.sent_at = now
        email.last_error = ""
        email.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    return Outcome("sent")


def email_unsubscribe_link(email: Email) -> str:
    if email.user_id and email.topic in TOPICS and email.topic not in CANNOT_TURN_OFF:
        return absolute(
            reverse("notify:unsubscribe", args=[tokens.make(email.user_id, email.topic)])
        )
    return preferences_url()


def _failed(row, error: str, *, now=None, final: bool = False) -> Outcome:
    row.last_error = error
    if final or row.attempts >= max_attempts():
        row.status = DeliveryStatus.FAILED
        row.save(update_fields=["status", "attempts", "last_error"])
        logger.error("gave up on %s %s: %s", type(row).__name__, row.pk, error)
        return Outcome("failed")
    delay = retry_delay(row.attempts)
    row.next_attempt_at = (now or timezone.now()) + timedelta(seconds=delay)
    row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    logger.warning("%s %s failed (attempt %s), retry in %ss: %s",
                   type(row).__name__, row.pk, row.attempts, delay, error)  # fmt: skip
    return Outcome("retry", delay)


# --- outbox events -----------------------------------------------------------------------


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


# --- chat channels -----------------------------------------------------------------------


def chat_send(*, message_id: int, now: datetime | None = None) -> Outcome:
    """Post one queued chat message; failures are recorded and retried like email."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            ChannelMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel", "event__actor")
            .filter(pk=message_id, status=DeliveryStatus.QUEUED)
            .first()
        )
        if row is None:
            return Outcome("nothing")
        if not row.channel.active:
            row.status = DeliveryStatus.SKIPPED
            row.save(update_fields=["status"])
            return Outcome("nothing")
        body = chat.payload_for(row.channel.kind, compose(row.event), topic=row.event.type)
        row.attempts += 1
        try:
            row.response_status = chat.post_json(row.channel.url, body)
        except ConnectorError as exc:
            return _failed(row, exc.message[:500], now=now, final=not exc.transient)
        row.status = DeliveryStatus.SENT
        row.sent_at = now
        row.last_error = ""
        row.save(update_fields=["status", "sent_at", "attempts", "last_error", "response_status"])
    return Outcome("sent")


def _channel_errors(*, name, kind, url, event_types, business_unit) -> dict:
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Give the channel a name."
    if kind not in ChannelKind.values:
        errors["kind"] = "Choose Slack or Microsoft Teams."
    unknown = [t for t in event_types or [] if t not in EventType.values]
    if unknown:
        errors["event_types"] = f"Unknown event type: {', '.join(str(t)[:40] for t in unknown)}."
    elif not event_types:
        errors["event_types"] = "Choose at least one kind of event to post."
    if business_unit is not None and not isinstance(business_unit, BusinessUnit):
        errors["business_unit"] = "Choose a business unit from the list."
    try:
        check_url(url or "")
    except UnsafeURL as exc:
        errors["url"] = exc.message
    except ConnectorError as exc:
        errors["url"] = f"{exc.message} Check the address."
    return errors


@transaction.atomic
def channel_create(*, by, name: str, kind: str, url: str, event_types: list[str],
                   business_unit=None) -> Channel:  # fmt: skip
    rules.ensure(rules.is_admin(by), by, "notify.channel_create", "channel",
                 "Only administrators configure Slack and Teams channels.")  # fmt: skip
    errors = _channel_errors(name=name, kind=kind, url=url, event_types=event_types,
                             business_unit=business_unit)  # fmt: skip
    if errors:
        raise ValidationError(errors)
    channel = Channel.objects.create(
        name=name.strip(), kind=kind, url=url.strip(), event_types=list(event_types),
        business_unit=business_unit, created_by=by,
    )  # fmt: skip
    audit_record(actor=by, action="notify.channel_create", obj=channel, after=_audit_view(channel))
    return channel


@transaction.atomic
def channel_remove(*, channel: Channel, by) -> None:
    rules.ensure(rules.is_admin(by), by, "notify.channel_remove", f"channel:{channel.pk}",
                 "Only administrators configure Slack and Teams channels.")  # fmt: skip
    before = _audit_view(channel)
    channel.active = False
    channel.save(update_fields=["active"])
    audit_record(actor=by, action="notify.channel_remove", obj=channel, before=before)


def _audit_view(channel: Channel) -> dict:
    # The URL is a secret: the audit trail keeps only its masked form.
    return {"name": channel.name, "kind": channel.kind, "url": channel.masked_url,
            "event_types": channel.event_types, "business_unit": channel.business_unit_id,
            "active": channel.active}  # fmt: skip


# --- digests -----------------------------------------------------------------------------


def daily_digests_send(*, now: datetime | None = None) -> int:
    """One email per person gathering their digest entries not sent yet."""
    now = now or timezone.now()
    pending = DigestEntry.objects.filter(email__isnull=True).select_related("user", "event")
    by_user = defaultdict(list)
    for entry in pending.order_by("event__occurred_at", "pk"):
        by_user[entry.user_id].append(entry)
    sent = 0
    for entries in by_user.values():
        user = entries[0].user
        with transaction.atomic():
            ids = [e.pk for e in entries]
            # Claim: a second run at the same time finds them taken.
            claimed = DigestEntry.objects.select_for_update(skip_locked=True).filter(
                pk__in=ids, email__isnull=True
            )
            entries = [e for e in entries if e.pk in set(claimed.values_list("pk", flat=True))]
            if not entries or not user.email or not user.is_active:
                continue
            message = Message(
                f"Pilotgate daily digest: {plural(len(entries), 'update', 'updates')}",
                link=absolute(reverse("dashboard:home")), link_label="Open Pilotgate",
            )  # fmt: skip
            text, html = render_email(user=user, topic="", message=message, template="digest",
                                      entries=entries)  # fmt: skip
            email = email_queue(user=user, topic="digest.daily", message=message,
                                text=text, html=html)  # fmt: skip
            DigestEntry.objects.filter(pk__in=[e.pk for e in entries]).update(email=email)
            sent += 1
    return sent


WEEKLY_TYPES = (EventType.SIGNAL_CHANGED, EventType.STAGE_CHANGED, EventType.REVIEW_DECIDED)


def weekly_readers() -> list:
    """Executives (unless they turned it off) and anyone who turned it on."""
    wanted = Preference.objects.filter(topic=WEEKLY_DIGEST)
    on = set(wanted.filter(mode=Mode.IMMEDIATE).values_list("user_id", flat=True))
    off = set(wanted.filter(mode=Mode.OFF).values_list("user_id", flat=True))
    execs = {u.pk for u in recipients.executives()}
    ids = (execs - off) | on
    return [u for u in User.objects.filter(pk__in=ids, is_active=True) if u.email]


def weekly_summary(*, user, now: datetime) -> dict:
    """What changed in the week among the pilots `user` sees, and the headline figures
    (the dashboard's own selectors, so the numbers match the page)."""
    from dashboard.filters import DashboardFilters
    from dashboard.selectors.economics import economics
    from dashboard.selectors.pilots import in_view
    from dashboard.selectors.scope import scope_for
    from dashboard.selectors.sections import funnel_and_age, pilot_counts

    since = now - timedelta(days=7)
    visible = rules.visible_pilots(user, Pilot.objects.all())
    names = dict(visible.values_list("pk", "name"))
    events = (
        Event.objects.filter(
            type__in=WEEKLY_TYPES, occurred_at__gte=since, occurred_at__lt=now, pilot_id__in=names
        )
        .select_related("actor")
        .exclude(Q(type=EventType.REVIEW_DECIDED) & Q(payload__status="pending"))
    )
    sections = {"signals": [], "moves": [], "decisions": [], "stops_holds": []}
    for event in events.order_by("occurred_at", "pk"):
        line = compose(event)
        p = event.payload
        if event.type == EventType.SIGNAL_CHANGED:
            sections["signals"].append(line)
            if p.get("to_code") in ("stop", "hold"):
                sections["stops_holds"].append(line)
        elif event.type == EventType.STAGE_CHANGED:
            sections["moves"].append(line)
            if p.get("to_status") in ("stopped", "on_hold") and p.get("from_status") != p.get(
                "to_status"
            ):
                sections["stops_holds"].append(line)
        else:
            sections["decisions"].append(line)
    view = in_view(user=user, filters=DashboardFilters(), now=now)
    counted = pilot_counts(view)
    totals = funnel_and_age(counted, now=now)
    money = economics(scope_for(view=view), counted, now=now)
    changes = sum(len(v) for k, v in sections.items() if k != "stops_holds")
    return {"since": since, "until": now, "sections": sections, "totals": totals,
            "economics": money, "changes": changes}  # fmt: skip


def weekly_digest_send(*, now: datetime | None = None) -> int:
    """The weekly portfolio digest, once per reader per week."""
    from config.money import format_money

    now = now or timezone.now()
    sent = 0
    for user in weekly_readers():
        already = Email.objects.filter(
            user=user, topic=WEEKLY_DIGEST, created_at__gte=now - timedelta(days=6)
        ).exists()
        if already:
            continue
        summary = weekly_summary(user=user, now=now)
        money = (summary["economics"] or {}).get("totals") or {}
        figures = [
            ("Pilots in the portfolio", f"{summary['totals']['total']:,}"),
            ("Planned net value a year", format_money(money.get("net_value"))),
            ("Planned run cost a year", format_money(money.get("annual_cost"))),
            ("Measured run cost a year", format_money(money.get("realized_annual_cost"))),
        ]
        message = Message(
            f"Pilotgate weekly: {plural(summary['changes'], 'change', 'changes')} in the portfolio",
            link=absolute(reverse("dashboard:home")), link_label="Open the portfolio dashboard",
        )  # fmt: skip
        with transaction.atomic():
            text, html = render_email(
                user=user, topic=WEEKLY_DIGEST, message=message, template="weekly",
                summary=summary, figures=figures,
            )  # fmt: skip
            email_queue(user=user, topic=WEEKLY_DIGEST, message=message, text=text, html=html)
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
