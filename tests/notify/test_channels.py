"""Slack and Teams channels: admins configure them, a real local receiver gets the posts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from notify import services
from notify.models import Channel, ChannelMessage, DeliveryStatus
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import BusinessUnit
from tests.factories import PilotFactory
from tests.notify.helpers import deliver_all
from tests.notify.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_local(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]


def _opened(pilot):
    return publish(
        EventType.ALERT_OPENED, pilot=pilot,
        payload={"alert_id": 3, "metric": "error_rate", "severity": "breach", "value": 0.2,
                 "threshold": 0.05},
    )  # fmt: skip


def test_slack_receives_blocks_with_a_link_back(allow_local, admin_user, pilot):
    with Receiver() as slack:
        services.channel_create(by=admin_user, name="#ai-pilots", kind="slack", url=slack.url,
                                event_types=[EventType.ALERT_OPENED])  # fmt: skip
        _opened(pilot)
        publish(EventType.ALERT_RESOLVED, pilot=pilot, payload={"alert_id": 3})  # not chosen
        assert deliver_all()["chats"] == ["sent"]
    (body,) = slack.bodies
    assert body["text"] == f"Alert on {pilot.name}: Error rate"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "actions", "context"]
    button = body["blocks"][2]["elements"][0]
    assert button["url"].endswith(pilot.get_absolute_url())
    assert slack.headers[0]["User-Agent"] == "Pilotgate notifications"


def test_teams_receives_an_adaptive_card(allow_local, admin_user, pilot):
    with Receiver() as teams:
        services.channel_create(by=admin_user, name="AI board", kind="teams", url=teams.url,
                                event_types=[EventType.ALERT_OPENED])  # fmt: skip
        _opened(pilot)
        deliver_all()
    (body,) = teams.bodies
    card = body["attachments"][0]["content"]
    assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"].startswith("Alert on")
    assert card["actions"][0]["url"].endswith(pilot.get_absolute_url())


def test_a_failing_receiver_is_retried_until_it_answers(allow_local, admin_user, pilot):
    with Receiver(statuses=[503]) as slack:
        services.channel_create(by=admin_user, name="#x", kind="slack", url=slack.url,
                                event_types=[EventType.ALERT_OPENED])  # fmt: skip
        _opened(pilot)
        assert deliver_all()["chats"] == ["retry"]
        row = ChannelMessage.objects.get()
        assert row.status == DeliveryStatus.QUEUED and "503" in row.last_error
        assert services.chat_send(message_id=row.pk).status == "sent"
    assert len(slack.bodies) == 2 and slack.bodies[0] == slack.bodies[1]


def test_business_unit_channels_and_confidential_pilots(allow_local, admin_user, owner):
    finance, _ = BusinessUnit.objects.get_or_create(name="Finance")
    BusinessUnit.objects.get_or_create(name="Retail")
    retail_pilot = PilotFactory(name="Shelf planner", owner=owner, business_unit="Retail")
    finance_pilot = PilotFactory(name="Invoice reader", owner=owner, business_unit="finance")
    secret = PilotFactory(name="Merger memo", owner=owner, business_unit="Finance",
                          confidential=True)  # fmt: skip
    with Receiver() as slack:
        services.channel_create(
            by=admin_user, name="#finance", kind="slack", url=slack.url,
            event_types=[EventType.ALERT_OPENED], business_unit=finance,
        )  # fmt: skip
        for p in (retail_pilot, finance_pilot, secret):
            _opened(p)
        deliver_all()
    assert [b["text"] for b in slack.bodies] == ["Alert on Invoice reader: Error rate"]


def test_only_admins_configure_channels(client, governance_lead, owner, admin_user):
    url = reverse("notify:channels")
    for actor in (governance_lead, owner):
        client.force_login(actor)
        assert client.get(url).status_code == 403
        response = client.post(url, {"name": "x", "kind": "slack", "url": "https://example.com/h",
                                     "event_types": [EventType.ALERT_OPENED]})  # fmt: skip
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            services.channel_create(by=actor, name="x", kind="slack", url="https://example.com/h",
                                    event_types=[EventType.ALERT_OPENED])  # fmt: skip
    assert not Channel.objects.exists()
    channel = Channel.objects.create(name="#c", kind="slack", url="https://example.com/h",
                                     event_types=[EventType.ALERT_OPENED])  # fmt: skip
    client.force_login(owner)
    assert client.post(reverse("notify:channel_remove", args=[channel.pk])).status_code == 403
    channel.refresh_from_db()
    assert channel.active


def test_admin_saves_a_channel_and_sees_the_url_masked(client, admin_user, allow_local):
    client.force_login(admin_user)
    url = reverse("notify:channels")
    secret_url = "http://127.0.0.1:9/services/T1/B2/VerySecretTokenXyz9"
    response = client.post(url, {"name": "#ai", "kind": "slack", "url": secret_url,
                                 "event_types": [EventType.ALERT_OPENED,
                                                 EventType.SIGNAL_CHANGED]})  # fmt: skip
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "VerySecretToken" not in page and "/…Xyz9" in page
    assert "A metric breached its threshold and an alert opened" in page
    event = AuditEvent.objects.get(action="notify.channel_create")
    assert "VerySecretToken" not in str(event.after)
    channel = Channel.objects.get()
    assert channel.url == secret_url  # readable by the sender, encrypted at rest
    client.post(reverse("notify:channel_remove", args=[channel.pk]))
    assert not Channel.objects.get().active
    assert AuditEvent.objects.filter(action="notify.channel_remove").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "http://10.0.0.5/hook", "internal"),
        ("url", "http://169.254.169.254/latest", "internal"),
        ("url", "http://example.com:99999/hook", "not valid"),
        ("url", "ftp://example.com/hook", "Only http and https"),
        ("event_types", "pilot.exploded", "is not an event Pilotgate posts"),
        ("kind", "irc", "Select a valid choice"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, admin_user, field, value, message):
    client.force_login(admin_user)
    data = {"name": "#ai", "kind": "slack", "url": "https://93.184.215.14/hook",
            "event_types": [EventType.ALERT_OPENED], field: value}  # fmt: skip
    response = client.post(reverse("notify:channels"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert not Channel.objects.exists()


def test_the_service_refuses_an_unknown_event_type(admin_user):
    with pytest.raises(ValidationError) as caught:
        services.channel_create(
            by=admin_user, name="#x", kind="slack", url="https://93.184.215.14/h",
            event_types=["alert.exploded"],
        )  # fmt: skip
    assert "Unknown event type: alert.exploded" in caught.value.message_dict["event_types"][0]


def test_an_internal_address_is_refused_at_delivery_too(admin_user, pilot, settings):
    channel = Channel.objects.create(name="#c", kind="slack", url="http://127.0.0.1:9/h",
                                     event_types=[EventType.ALERT_OPENED])  # fmt: skip
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = []
    _opened(pilot)
    assert deliver_all()["chats"] == ["failed"]
    row = ChannelMessage.objects.get(channel=channel)
    assert "internal" in row.last_error and row.status == DeliveryStatus.FAILED


def test_the_channel_page_runs_as_many_queries_for_one_channel_as_for_many(client, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    finance, _ = BusinessUnit.objects.get_or_create(name="Finance")
    client.force_login(admin_user)
    counts = []
    for total in (1, 6):
        while Channel.objects.count() < total:
            n = Channel.objects.count()
            Channel.objects.create(
                name=f"#c{n}", kind="slack", url=f"https://example.com/h{n}",
                event_types=[EventType.ALERT_OPENED], business_unit=finance,
            )  # fmt: skip
        client.get(reverse("notify:channels"))  # warm the session
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("notify:channels"))
        assert response.status_code == 200
        assert response.content.decode().count("Remove “#c") == total
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
