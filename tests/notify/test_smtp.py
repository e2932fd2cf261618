"""Email through a real SMTP server (aiosmtpd), and a real Celery worker on Redis retrying
while the server is down until the mail arrives."""

import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from notify import services
from notify.models import DeliveryStatus, Email
from outbox.models import Event
from tests.services import require_postgres, require_redis, start_celery_worker


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


def _server(port: int, inbox: Inbox) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp_settings(settings, free_tcp_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_tcp_port
    settings.EMAIL_TIMEOUT = 3
    return settings


@pytest.mark.django_db
def test_a_queued_email_goes_through_smtp_with_text_html_and_unsubscribe(
    smtp_settings, ready_pilot, owner, governance_lead
):
    from gates import services as gates

    inbox = Inbox()
    controller = _server(smtp_settings.EMAIL_PORT, inbox)
    try:
        gates.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
        services.event_handle(event_id=Event.objects.get(type="review.requested").pk)
        email = Email.objects.get()
        assert services.email_send(email_id=email.pk).status == "sent"
        assert services.email_send(email_id=email.pk).status == "nothing"  # never twice
    finally:
        controller.stop()
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == [governance_lead.email]
    parsed = message_from_bytes(envelope.content)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.get_payload()] == ["text/plain", "text/html"]
    assert parsed["List-Unsubscribe"].strip().startswith("<http://")
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.SENT, 1)


@pytest.mark.django_db
def test_a_mail_server_that_is_down_delays_the_mail_and_fails_nothing(
    smtp_settings, ready_pilot, owner, governance_lead
):
    from gates import services as gates

    # The user's action succeeds with no mail server at all.
    review = gates.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert review.pk
    services.event_handle(event_id=Event.objects.get(type="review.requested").pk)
    email = Email.objects.get()
    outcome = services.email_send(email_id=email.pk)
    assert outcome.status == "retry" and outcome.retry_in == 30
    email.refresh_from_db()
    assert email.status == DeliveryStatus.QUEUED and "Connection" in email.last_error
    smtp_settings.NOTIFY_MAX_ATTEMPTS = 2
    assert services.email_send(email_id=email.pk).status == "failed"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_retries_while_smtp_is_down_and_the_mail_arrives_later(
    ready_pilot, owner, governance_lead, free_tcp_port
):
    require_postgres()
    base = require_redis()
    from celery import Celery

    from gates import services as gates

    gates.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    event = Event.objects.get(type="review.requested")
    worker = start_celery_worker(
        redis_url=base,
        queues="notify-test",
        extra_env={
            "CELERY_TASK_DEFAULT_QUEUE": "notify-test",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(free_tcp_port),
            "EMAIL_TIMEOUT": "2",
            "NOTIFY_RETRY_SECONDS": "1",
        },
    )
    inbox = Inbox()
    controller = None
    try:
        client = Celery(broker=base)
        client.send_task("notify.handle_event", args=[event.pk], queue="notify-test")
        # Down: the worker tries, records the failure, and schedules a retry.
        email = _wait(
            lambda: Email.objects.filter(attempts__gte=2, status=DeliveryStatus.QUEUED).first(),
            60, "two failed attempts",
        )  # fmt: skip
        assert "Connection" in email.last_error
        controller = _server(free_tcp_port, inbox)
        _wait(
            lambda: Email.objects.filter(pk=email.pk, status=DeliveryStatus.SENT).exists(),
            60, "the retried mail to be sent",
        )  # fmt: skip
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        if controller:
            controller.stop()
    assert [m.rcpt_tos for m in inbox.messages] == [[governance_lead.email]], output
    assert "Review requested: Ready pilot" in inbox.messages[0].content.decode()
