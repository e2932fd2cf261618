"""Deliveries to a real local HTTP receiver: signatures, retries, disabling, the guard."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from outbox.services import publish
from tests.factories import PilotFactory
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(governance_lead, receiver):
    subscription, secret = services.subscription_create(
        url=receiver.url("/hook"), event_types=["review.decided", "waiver.expired"],
        description="Risk register", by=governance_lead,
    )  # fmt: skip
    return subscription, secret


def _event(owner, type_="review.decided", **payload):
    """Publish one event and fan it out, running the after-commit queueing."""
    from django.test import TestCase

    pilot = PilotFactory(owner=owner, name="Claims triage")
    event = publish(type_, pilot=pilot, payload={"review_id": 7, "decision": "approve", **payload})
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.events_fan_out([event])
    return event, pilot


def _make_due(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_delivery_is_signed_per_standard_webhooks_and_verifies(
    subscribed, owner, receiver, queued
):
    subscription, secret = subscribed
    event, pilot = _event(owner)
    delivery = Delivery.objects.get()
    assert queued == [delivery.pk]
    assert services.delivery_attempt(delivery.pk) == "delivered"
    (request,) = receiver.requests["/hook"]
    payload = Webhook(secret).verify(request["body"], request["headers"])
    assert request["headers"]["webhook-id"] == event.message_id
    assert payload["type"] == "review.decided"
    assert payload["timestamp"] == event.occurred_at.isoformat()
    assert payload["data"]["decision"] == "approve"
    assert payload["data"]["pilot"] == {
        "id": pilot.pk, "name": "Claims triage", "stage": pilot.stage,
        "url": f"http://127.0.0.1:8000/pilots/{pilot.pk}/",
    }  # fmt: skip
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request["body"], request["headers"])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    attempt = Attempt.objects.get()
    assert attempt.status_code == 200 and attempt.response_excerpt == '{"ok": true}'


def test_failures_are_retried_with_the_same_message_id_on_a_growing_schedule(
    subscribed, owner, receiver, queued
):
    receiver.statuses["/hook"] = [500, 503]
    event, _ = _event(owner)
    delivery = Delivery.objects.get()
    before = timezone.now()
    assert services.delivery_attempt(delivery.pk) == "retry"
    delivery.refresh_from_db()
    first_wait = delivery.next_attempt_at - before
    assert timedelta(seconds=50) < first_wait < timedelta(seconds=70)  # 1 min +/- 10 %
    # Not due yet: a second task for it (the sweeper's) does nothing.
    assert services.delivery_attempt(delivery.pk) == "skipped"
    _make_due(delivery)
    before = timezone.now()
    assert services.delivery_attempt(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert timedelta(seconds=270) < delivery.next_attempt_at - before < timedelta(seconds=330)
    _make_due(delivery)
    assert services.delivery_attempt(delivery.pk) == "delivered"
    ids = [r["headers"]["webhook-id"] for r in receiver.requests["/hook"]]
    bodies = {r["body"] for r in receiver.requests["/hook"]}
    assert ids == [event.message_id] * 3 and len(bodies) == 1
    codes = list(Attempt.objects.order_by("id").values_list("status_code", flat=True))
    assert codes == [500, 503, 200]
    assert "receiver says no" in Attempt.objects.order_by("id").first().response_excerpt


def test_the_schedule_spans_about_a_day():
    from django.conf import settings

    total = sum(settings.PILOTGATE_WEBHOOK_RETRY_SCHEDULE)
    assert timedelta(hours=16) < timedelta(seconds=total) < timedelta(hours=26)
    assert services.retry_delay(len(settings.PILOTGATE_WEBHOOK_RETRY_SCHEDULE) + 1) is None


def test_persistent_failure_disables_the_subscription_and_tells_its_creator(
    subscribed, owner, receiver, queued, settings, django_capture_on_commit_callbacks
):
    settings.PILOTGATE_WEBHOOK_RETRY_SCHEDULE = [60]
    settings.PILOTGATE_WEBHOOK_DISABLE_AFTER = 2
    subscription, _ = subscribed
    receiver.statuses["/hook"] = [500] * 10
    for _ in range(2):
        _event(owner)
    with django_capture_on_commit_callbacks(execute=True):
        for delivery in Delivery.objects.order_by("id"):
            assert services.delivery_attempt(delivery.pk) == "retry"
            _make_due(delivery)
            assert services.delivery_attempt(delivery.pk) == "failed"
    subscription.refresh_from_db()
    assert not subscription.is_active and "2 deliveries in a row" in subscription.disabled_reason
    (message,) = mail.outbox
    assert message.to == ["govlead@example.com"] and "disabled" in message.subject
    assert f"/webhooks/{subscription.pk}/" in message.body
    # Disabled: new events are not fanned out to it, redelivery is refused until enabled.
    _event(owner)
    assert Delivery.objects.count() == 2
    from config.errors import Conflict

    with pytest.raises(Conflict):
        services.delivery_redeliver(delivery=Delivery.objects.first(), by=subscription.created_by)


def test_a_success_resets_the_count_of_failed_deliveries(subscribed, owner, receiver, settings):
    settings.PILOTGATE_WEBHOOK_RETRY_SCHEDULE = []
    subscription, _ = subscribed
    receiver.statuses["/hook"] = [500, 200]
    _event(owner)
    _event(owner)
    first, second = Delivery.objects.order_by("id")
    assert services.delivery_attempt(first.pk) == "failed"
    assert Subscription.objects.get().consecutive_failures == 1
    assert services.delivery_attempt(second.pk) == "delivered"
    assert Subscription.objects.get().consecutive_failures == 0


def test_the_address_guard_runs_again_at_each_attempt(subscribed, owner, receiver, settings):
    _event(owner)
    delivery = Delivery.objects.get()
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = []  # 127.0.0.1 no longer allowed
    assert services.delivery_attempt(delivery.pk) == "retry"
    attempt = Attempt.objects.get()
    assert attempt.status_code is None and "loopback" in attempt.error
    assert receiver.requests["/hook"] == []


def test_an_unreachable_receiver_is_an_attempt_with_an_error(governance_lead, owner, receiver):
    subscription, _ = services.subscription_create(
        url=receiver.url("/hook"), event_types=["review.decided"], by=governance_lead
    )
    receiver.close()  # nobody listens on that port any more
    _event(owner)
    assert services.delivery_attempt(Delivery.objects.get().pk) == "retry"
    assert "Could not connect" in Attempt.objects.get().error


def test_a_slow_receiver_times_out_after_the_configured_limit(
    subscribed, owner, receiver, settings
):
    settings.PILOTGATE_WEBHOOK_TIMEOUT = 1
    receiver.delays["/hook"] = 3
    _event(owner)
    assert services.delivery_attempt(Delivery.objects.get().pk) == "retry"
    attempt = Attempt.objects.get()
    assert "did not answer in time" in attempt.error and attempt.duration_ms < 2500


def test_manual_redelivery_sends_the_same_message_again(
    subscribed, owner, receiver, queued, api_for, client_for, governance_lead
):
    subscription, secret = subscribed
    event, _ = _event(owner)
    delivery = Delivery.objects.get()
    services.delivery_attempt(delivery.pk)
    response = api_for(governance_lead).post(f"/api/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert services.delivery_attempt(delivery.pk) == "delivered"
    page = client_for(governance_lead).post(f"/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert page.status_code == 302
    assert services.delivery_attempt(delivery.pk) == "delivered"
    requests = receiver.requests["/hook"]
    assert [r["headers"]["webhook-id"] for r in requests] == [event.message_id] * 3
    for request in requests:
        Webhook(secret).verify(request["body"], request["headers"])
    log = api_for(governance_lead).get(f"/api/webhooks/deliveries/{delivery.pk}/").json()
    assert [a["status_code"] for a in log["attempt_log"]] == [200, 200, 200]


@pytest.mark.parametrize("who", ["owner", "executive"])
def test_wrong_actors_may_not_redeliver_or_read_a_delivery(
    who, request, subscribed, receiver, api_for, client_for, queued
):
    _event(request.getfixturevalue("owner"))
    delivery = Delivery.objects.get()
    actor = request.getfixturevalue(who)
    assert api_for(actor).get(f"/api/webhooks/deliveries/{delivery.pk}/").status_code == 403
    assert (
        api_for(actor).post(f"/api/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 403
    )
    assert client_for(actor).get(f"/webhooks/deliveries/{delivery.pk}/").status_code == 403
    assert queued == [delivery.pk]  # only the fan-out's


def test_a_test_ping_is_signed_and_logged(
    subscribed, receiver, queued, api_for, governance_lead, django_capture_on_commit_callbacks
):
    subscription, secret = subscribed
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(governance_lead).post(
            f"/api/webhooks/subscriptions/{subscription.pk}/test/"
        )
    assert response.status_code == 202
    assert services.delivery_attempt(queued[-1]) == "delivered"
    (request,) = receiver.requests["/hook"]
    assert Webhook(secret).verify(request["body"], request["headers"])["type"] == "webhook.ping"


def test_the_sweeper_fans_out_missed_events_and_queues_what_is_due(
    subscribed, owner, receiver, queued, django_capture_on_commit_callbacks
):
    pilot = PilotFactory(owner=owner)
    old = timezone.now() - timedelta(minutes=2)
    subscription, _ = subscribed
    Subscription.objects.filter(pk=subscription.pk).update(created_at=old - timedelta(minutes=1))
    # Published, but the process died before its after-commit fan-out.
    event = publish("waiver.expired", pilot=pilot, payload={"waiver_id": 1}, now=old)
    assert not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.sweep()
    delivery = Delivery.objects.get()
    assert delivery.message_id == event.message_id and delivery.pk in queued
    assert result["fanned_out"] == 1
    # A worker that took it and died: once the lease runs out the sweeper queues it again.
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    queued.clear()
    assert services.sweep()["queued"] == 1 and queued == [delivery.pk]
    assert services.delivery_attempt(delivery.pk) == "delivered"
    assert services.sweep() == {"events": 0, "fanned_out": 0, "queued": 0}


def test_the_delivery_log_pages_render_for_a_lead(
    subscribed, owner, receiver, client_for, governance_lead
):
    subscription, _ = subscribed
    receiver.statuses["/hook"] = [502]
    _event(owner)
    delivery = Delivery.objects.get()
    services.delivery_attempt(delivery.pk)
    client = client_for(governance_lead)
    detail = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "A governance lead decided a review" in detail and delivery.message_id in detail
    assert "HTTP 502" in detail
    page = client.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "receiver says no" in page and "HTTP 502" in page
    assert json.loads(json.dumps(delivery.body))["data"]["pilot"]["name"] in page
