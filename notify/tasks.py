"""Celery tasks: each takes ids, reloads, and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notify import services
from notify.reminders import daily_reminders  # noqa: F401  (registers notify.daily_reminders)


@shared_task(name="notify.handle_event", acks_late=True)
def handle_event(event_id: int) -> dict:
    return services.event_handle(event_id=event_id)


@shared_task(name="notify.send_email", bind=True, acks_late=True, max_retries=None)
def send_email(self, email_id: int) -> str:
    outcome = services.email_send(email_id=email_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notify.send_chat", bind=True, acks_late=True, max_retries=None)
def send_chat(self, message_id: int) -> str:
    outcome = services.chat_send(message_id=message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notify.sweep", acks_late=True)
def sweep() -> dict:
    return services.sweep(now=timezone.now())


@shared_task(name="notify.daily_digests", acks_late=True, time_limit=600)
def daily_digests() -> int:
    return services.daily_digests_send(now=timezone.now())


@shared_task(name="notify.weekly_digest", acks_late=True, time_limit=900)
def weekly_digest() -> int:
    return services.weekly_digest_send(now=timezone.now())
