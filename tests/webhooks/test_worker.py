"""Webhook deliveries through a real Redis broker and real Celery worker processes."""

import os
import signal
import time

import pytest
from celery import Celery
from django.db import transaction
from standardwebhooks import Webhook

from outbox.services import publish
from tests.factories import PilotFactory
from tests.services import require_postgres, require_redis, start_celery_worker
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LEASE = 3


@pytest.fixture
def broker(monkeypatch, settings):
    """Deliveries queued from this process go to a queue of this test on the real Redis."""
    require_postgres()
    redis_url = require_redis()
    queue = f"webhooks-test-{os.getpid()}-{time.monotonic_ns()}"
    settings.PILOTGATE_WEBHOOK_QUEUE = queue
    settings.PILOTGATE_WEBHOOK_LEASE_SECONDS = LEASE
    client = Celery(broker=redis_url)
    monkeypatch.setattr(services, "_celery_app", lambda: client)
    workers = []

    def start(**kwargs):
        worker = start_celery_worker(
            redis_url=redis_url,
            queues=queue,
            extra_env={
                "PILOTGATE_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
                "PILOTGATE_WEBHOOK_REQUIRE_HTTPS": "false",
                "PILOTGATE_WEBHOOK_QUEUE": queue,
                "PILOTGATE_WEBHOOK_LEASE_SECONDS": str(LEASE),
            },
            **kwargs,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
        try:
            worker.communicate(timeout=30)
        except Exception:
            worker.kill()
    client.close()


def _publish(owner, count=1):
    pilot = PilotFactory(owner=owner)
    events = []
    for n in range(count):
        with transaction.atomic():  # the fan-out runs when this commits
            events.append(publish("alert.resolved", pilot=pilot, payload={"alert_id": n}))
    return events


def _wait_until(predicate, timeout: float, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def test_a_slow_receiver_does_not_delay_another_subscriptions_delivery(
    broker, receiver, governance_lead, owner
):
    services.subscription_create(
        url=receiver.url("/slow"), event_types=["alert.resolved"], by=governance_lead
    )
    services.subscription_create(
        url=receiver.url("/fast"), event_types=["alert.resolved"], by=governance_lead
    )
    receiver.delays["/slow"] = 5
    broker(pool="threads", concurrency=4)
    _publish(owner)
    slow = receiver.wait_for("/slow", 1, timeout=60)
    fast = receiver.wait_for("/fast", 1, timeout=60)
    assert slow and fast, "no delivery arrived"
    # The slow receiver holds its request for 5 s; the other one is not kept waiting.
    assert fast[0]["at"] - slow[0]["at"] < 2.0
    assert _wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 2, 30
    )
    durations = dict(Attempt.objects.values_list("delivery__subscription__url", "duration_ms"))
    assert durations[receiver.url("/slow")] >= 5000 > durations[receiver.url("/fast")]


def test_killing_the_worker_mid_delivery_redelivers_with_the_same_message_id(
    broker, receiver, governance_lead, owner
):
    _, secret = services.subscription_create(
        url=receiver.url("/hook"), event_types=["alert.resolved"], by=governance_lead
    )
    receiver.delays["/hook"] = [30]  # the first request hangs; later ones answer at once
    first_worker = broker()
    events = _publish(owner, count=3)
    assert receiver.wait_for("/hook", 1, timeout=60), "the first worker sent nothing"
    first_worker.send_signal(signal.SIGKILL)  # mid-request
    first_worker.wait(timeout=30)
    broker()
    # The beat sweeper (run here) hands the taken delivery on once its lease runs out.
    expected = {e.message_id for e in events}

    def all_delivered():
        services.sweep()
        return Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3

    assert _wait_until(all_delivered, timeout=90, every=1)
    requests = receiver.requests["/hook"]
    ids = [r["headers"]["webhook-id"] for r in requests]
    assert set(ids) == expected  # nothing lost
    assert ids.count(events[0].message_id) == 2  # the interrupted one, sent again as itself
    for request in requests:
        Webhook(secret).verify(request["body"], request["headers"])
    assert Attempt.objects.count() == 3  # the killed attempt left no half-written record
