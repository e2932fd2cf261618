"""Sending: each email and chat message is a row, claimed, sent, and its outcome recorded.

Sending never happens inside a user's request: a service records the message and queues
its Celery task on commit. A failure leaves the row queued with the next attempt's time,
so a mail server or chat service that is down delays the message and loses nothing
(notify.sweep re-queues rows whose task was lost)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from metrics.connectors import ConnectorError
from notify import chat, tokens
from notify.catalog import (
    CANNOT_TURN_OFF,
    TOPICS,
)
from notify.messages import Message, absolute, compose
from notify.models import (
    ChannelMessage,
    DeliveryStatus,
    Email,
)

logger = logging.getLogger(__name__)


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
    except Exception as exc:  # noqa: BLE001 - the row is stored; the sweep finds it
        # Handled and retried: a warning naming the error, not a crash report.
        logger.warning("could not queue %s%r (%r); the sweep will retry", task, args, exc)


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
