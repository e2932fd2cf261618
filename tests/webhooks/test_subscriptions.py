"""Who may manage webhook subscriptions, the secret shown once, and bad input."""

import pytest
from django.db import transaction

from accounts.models import AuditEvent
from outbox.services import publish
from tests.factories import PilotFactory, UserFactory
from webhooks import services
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db

API = "/api/webhooks/subscriptions/"


def _create(api, url, **extra):
    body = {"url": url, "event_types": ["review.decided", "pilot.stage_changed"], **extra}
    return api.post(API, body, format="json")


@pytest.fixture
def contributor(db):
    return UserFactory(username="contrib", roles=["contributor"])


@pytest.mark.parametrize("who", ["owner", "executive", "contributor"])
def test_only_admins_and_leads_create_subscriptions_or_read_their_log(
    who, request, api_for, client_for, governance_lead, receiver
):
    actor = request.getfixturevalue(who)
    created = _create(api_for(governance_lead), receiver.url("/hook"))
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    api = api_for(actor)
    assert _create(api, receiver.url("/other")).status_code == 403
    assert api.get(API).status_code == 403
    assert api.get(f"{API}{pk}/").status_code == 403
    assert api.get(f"{API}{pk}/deliveries/").status_code == 403
    assert api.post(f"{API}{pk}/rotate-secret/").status_code == 403
    assert api.patch(f"{API}{pk}/", {"is_active": False}, format="json").status_code == 403
    assert api.delete(f"{API}{pk}/").status_code == 403
    page = client_for(actor)
    assert page.get("/webhooks/").status_code == 403
    assert page.get(f"/webhooks/{pk}/").status_code == 403
    assert page.post("/webhooks/new/", {"url": receiver.url("/x")}).status_code == 403
    assert Subscription.objects.count() == 1 and Subscription.objects.get().is_active


def test_an_admin_manages_subscriptions_too(api_for, admin_user, receiver):
    response = _create(api_for(admin_user), receiver.url("/hook"))
    assert response.status_code == 201
    assert api_for(admin_user).get(API).json()["count"] == 1


def test_the_secret_is_shown_once_at_creation_and_once_per_rotation(
    api_for, client_for, governance_lead, second_governance_lead, receiver
):
    api = api_for(governance_lead)
    created = _create(api, receiver.url("/hook"), description="Risk register")
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    pk = created.json()["id"]
    stored = Subscription.objects.get(pk=pk)
    assert stored.secret == secret  # usable for signing...
    for reader in (governance_lead, second_governance_lead):
        for url in (API, f"{API}{pk}/"):
            body = api_for(reader).get(url).content.decode()
            assert secret not in body and "whsec_" not in body
        for url in ("/webhooks/", f"/webhooks/{pk}/", f"/webhooks/{pk}/edit/"):
            page = client_for(reader).get(url)
            assert page.status_code == 200 and "whsec_" not in page.content.decode()
    rotated = api.post(f"{API}{pk}/rotate-secret/")
    new_secret = rotated.json()["secret"]
    assert new_secret != secret and rotated["Cache-Control"] == "no-store"
    assert Subscription.objects.get(pk=pk).secret == new_secret
    assert new_secret not in api.get(f"{API}{pk}/").content.decode()
    # ...and the raw column holds ciphertext only.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_subscription WHERE id = %s", [pk])
        assert "whsec_" not in cursor.fetchone()[0]


def test_the_page_shows_the_secret_once_after_creating(client_for, governance_lead, receiver):
    page = client_for(governance_lead)
    response = page.post(
        "/webhooks/new/",
        {"url": receiver.url("/hook"), "event_types": ["alert.opened"], "is_active": "on"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = Subscription.objects.get().secret
    assert secret in response.content.decode()
    pk = Subscription.objects.get().pk
    assert secret not in page.get(f"/webhooks/{pk}/").content.decode()
    rotated = page.post(f"/webhooks/{pk}/rotate-secret/")
    assert Subscription.objects.get().secret in rotated.content.decode()


@pytest.mark.parametrize(
    ("url", "event_types", "field", "words"),
    [
        ("http://10.1.2.3/hook", ["review.decided"], "url", "private address"),
        ("http://localhost:9/hook", ["review.decided"], "url", "loopback"),
        ("http://no-such-host.invalid/hook", ["review.decided"], "url", "could not be resolved"),
        ("ftp://example.com/hook", ["review.decided"], "url", "http and https"),
        ("", ["review.decided"], "url", "blank"),
        ("RECEIVER", ["pilot.exploded"], "event_types", "Unknown event type: pilot.exploded"),
        ("RECEIVER", [], "event_types", ""),
        ("RECEIVER", "review.decided", "event_types", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    api_for, governance_lead, receiver, url, event_types, field, words
):
    url = receiver.url("/hook") if url == "RECEIVER" else url
    response = api_for(governance_lead).post(
        API, {"url": url, "event_types": event_types}, format="json"
    )
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert field in errors and words in " ".join(errors[field])
    assert not Subscription.objects.exists()


def test_https_is_required_when_the_setting_says_so(api_for, governance_lead, receiver, settings):
    settings.PILOTGATE_WEBHOOK_REQUIRE_HTTPS = True
    response = _create(api_for(governance_lead), receiver.url("/hook"))
    assert response.status_code == 400
    assert "https://" in response.json()["errors"]["url"][0]


def test_every_write_is_audited(api_for, governance_lead, receiver, queued):
    api = api_for(governance_lead)
    pk = _create(api, receiver.url("/hook")).json()["id"]
    api.patch(f"{API}{pk}/", {"description": "Sync"}, format="json")
    api.post(f"{API}{pk}/rotate-secret/")
    api.post(f"{API}{pk}/test/")
    api.delete(f"{API}{pk}/")
    actions = list(
        AuditEvent.objects.filter(object_type="webhooks.subscription").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "webhook.create", "webhook.update", "webhook.rotate_secret", "webhook.ping",
        "webhook.delete",
    ]  # fmt: skip
    assert not any("whsec_" in str(e.after) for e in AuditEvent.objects.all())


def test_the_event_catalogue_is_listed_with_payload_fields(api_for, owner):
    rows = api_for(owner).get("/api/webhooks/event-types/").json()
    by_type = {row["type"]: row for row in rows}
    assert "waiver.expired" in by_type
    assert by_type["review.decided"]["payload"]["decision"] == "string"


def test_the_openapi_document_has_a_webhook_per_catalogue_type(client):
    from outbox.catalog import EventType

    schema = client.get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.1")
    assert set(schema["webhooks"]) == set(EventType.values)
    ref = schema["webhooks"]["alert.opened"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]["$ref"]
    message = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    data_ref = message["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    data = schema["components"]["schemas"][data_ref]["properties"]
    assert {"alert_id", "metric", "severity", "value", "threshold", "pilot"} <= set(data)


def test_confidential_pilot_events_reach_a_subscription_only_if_its_creator_sees_the_pilot(
    governance_lead, owner, receiver, queued, django_capture_on_commit_callbacks
):
    subscription, _ = services.subscription_create(
        url=receiver.url("/hook"), event_types=["alert.resolved"], by=governance_lead
    )
    public = PilotFactory(owner=owner)
    secret_pilot = PilotFactory(owner=owner, confidential=True)
    with django_capture_on_commit_callbacks(execute=True):
        publish("alert.resolved", pilot=public, payload={"alert_id": 1})
        publish("alert.resolved", pilot=secret_pilot, payload={"alert_id": 2})
    assert Delivery.objects.count() == 2  # a governance lead sees confidential pilots
    governance_lead.groups.clear()  # no longer a lead: sees public pilots only
    with django_capture_on_commit_callbacks(execute=True):
        publish("alert.resolved", pilot=public, payload={"alert_id": 3})
        publish("alert.resolved", pilot=secret_pilot, payload={"alert_id": 4})
    sent = [d.body["data"]["alert_id"] for d in Delivery.objects.order_by("id")]
    assert sent == [1, 2, 3]
    assert len(queued) == 3


def test_only_chosen_types_and_active_subscriptions_get_deliveries(
    governance_lead, owner, receiver, queued
):
    chosen, _ = services.subscription_create(
        url=receiver.url("/a"), event_types=["signal.changed"], by=governance_lead
    )
    other, _ = services.subscription_create(
        url=receiver.url("/b"), event_types=["alert.opened"], by=governance_lead
    )
    off, _ = services.subscription_create(
        url=receiver.url("/c"), event_types=["signal.changed"], by=governance_lead
    )
    services.subscription_update(subscription=off, by=governance_lead, is_active=False)
    pilot = PilotFactory(owner=owner, name="Claims triage")
    with transaction.atomic():
        event = publish("signal.changed", pilot=pilot, payload={"to_code": "scale"})
    services.events_fan_out([event])
    delivery = Delivery.objects.get()
    assert delivery.subscription == chosen and delivery.message_id == event.message_id
    assert delivery.body["type"] == "signal.changed"
    assert delivery.body["data"]["pilot"]["name"] == "Claims triage"
    assert delivery.body["data"]["pilot"]["url"].endswith(f"/pilots/{pilot.pk}/")
    services.events_fan_out([event])  # again (the sweeper after the receiver): no duplicate
    assert Delivery.objects.count() == 1
