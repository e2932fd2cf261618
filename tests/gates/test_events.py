"""Domain events: written with the change that causes them, and only then."""

import pytest
from django.db import transaction

from gates import services
from outbox.models import Event
from outbox.services import publish, published
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def test_an_event_exists_only_if_its_change_committed(owner):
    pilot = PilotFactory(owner=owner)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("waiver.expired", pilot=pilot, payload={"waiver_id": 1})
        raise RuntimeError("the change fails")
    assert not Event.objects.exists()


def test_receivers_hear_of_an_event_after_commit(owner, django_capture_on_commit_callbacks):
    heard = []
    receiver = lambda sender, event, **kw: heard.append(event.type)  # noqa: E731
    published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = publish("waiver.expired", pilot=PilotFactory(owner=owner), payload={})
            assert heard == []
        assert heard == ["waiver.expired"]
    finally:
        published.disconnect(receiver)
    assert event.message_id.startswith("msg_") and len(event.message_id) == 28


def test_an_unknown_type_is_a_programming_error():
    with pytest.raises(ValueError, match="outbox.catalog"):
        publish("pilot.exploded")


def test_a_review_and_its_decision_and_the_move_are_published(ready_pilot, owner, governance_lead):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve", by=governance_lead)
    events = list(Event.objects.values_list("type", "pilot_id", "actor__username"))
    assert events == [
        ("review.requested", ready_pilot.pk, owner.username),
        ("pilot.stage_changed", ready_pilot.pk, governance_lead.username),
        ("review.decided", ready_pilot.pk, governance_lead.username),
    ]
    moved = Event.objects.get(type="pilot.stage_changed").payload
    assert (moved["from_stage"], moved["to_stage"]) == ("discovery", "pilot")
    decided = Event.objects.get(type="review.decided").payload
    assert decided["decision"] == "approve" and decided["status"] == "approved"
    assert decided["kind"] == "gate" and decided["review_id"] == review.pk


def test_a_refused_request_publishes_nothing(owner, simple_gates):
    from gates.services.reviews import ReviewRefused

    pilot = PilotFactory(owner=owner)
    with pytest.raises(ReviewRefused):
        services.review_request(pilot=pilot, to_stage="pilot", by=owner)
    assert not Event.objects.exists()


def test_an_expired_waiver_is_published_once_and_a_revoked_one_never(owner, governance_lead):
    from datetime import timedelta

    from django.utils import timezone

    from gates.models import Waiver
    from gates.services import waivers_publish_expired

    pilot = PilotFactory(owner=owner)
    now = timezone.now()
    expired = Waiver.objects.create(
        pilot=pilot, criterion_key="privacy", justification="x", granted_by=governance_lead,
        expires_at=now - timedelta(minutes=1),
    )  # fmt: skip
    Waiver.objects.create(
        pilot=pilot, criterion_key="later", justification="x", granted_by=governance_lead,
        expires_at=now + timedelta(days=1),
    )  # fmt: skip
    Waiver.objects.create(
        pilot=pilot, criterion_key="revoked", justification="x", granted_by=governance_lead,
        expires_at=now - timedelta(minutes=1), revoked_at=now - timedelta(hours=1),
        revoked_by=governance_lead, revoke_reason="no longer needed",
    )  # fmt: skip
    assert waivers_publish_expired(now=now) == 1
    assert waivers_publish_expired(now=now + timedelta(minutes=5)) == 0
    event = Event.objects.get(type="waiver.expired")
    assert event.pilot_id == pilot.pk and event.actor_id is None
    assert event.payload == {"waiver_id": expired.pk, "criterion_key": "privacy"}


def test_every_payload_field_has_a_documented_json_type():
    from outbox.catalog import PAYLOADS, EventType
    from webhooks.openapi import _FIELDS

    assert set(PAYLOADS) == set(EventType.values)
    kinds = {kind for fields in PAYLOADS.values() for kind in fields.values()}
    assert kinds <= set(_FIELDS), kinds - set(_FIELDS)
