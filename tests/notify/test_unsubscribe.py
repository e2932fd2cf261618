"""One click from an email: GET asks, POST turns the topic off; changed links are refused."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from notify import services, tokens
from outbox.catalog import EventType

pytestmark = pytest.mark.django_db


def test_get_confirms_and_changes_nothing_then_post_turns_it_off(client, owner):
    url = reverse("notify:unsubscribe", args=[tokens.make(owner.pk, EventType.ALERT_OPENED)])
    page = client.get(url)
    assert page.status_code == 200
    assert "Stop emails to" in page.content.decode()
    assert services.modes_of(owner)[EventType.ALERT_OPENED] == "immediate"
    done = client.post(url)
    assert done.status_code == 200
    assert "no longer receives emails" in done.content.decode()
    assert services.modes_of(owner)[EventType.ALERT_OPENED] == "off"
    assert AuditEvent.objects.get(action="notify.unsubscribe").actor_id == owner.pk


def test_a_tampered_token_is_refused(client, owner, outsider):
    token = tokens.make(owner.pk, EventType.ALERT_OPENED)
    forged = tokens.make(outsider.pk, EventType.ALERT_OPENED)
    # Someone else's id under this token's signature, or a signature edited by hand.
    spliced = forged.split(":")[0] + ":" + token.split(":", 1)[1]
    edited = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (spliced, edited, "nonsense"):
        url = reverse("notify:unsubscribe", args=[bad])
        assert client.get(url).status_code == 400
        response = client.post(url)
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert services.modes_of(owner)[EventType.ALERT_OPENED] == "immediate"
    assert services.modes_of(outsider)[EventType.ALERT_OPENED] == "immediate"


def test_decisions_cannot_be_unsubscribed(client, owner):
    url = reverse("notify:unsubscribe", args=[tokens.make(owner.pk, EventType.REVIEW_DECIDED)])
    response = client.post(url)
    assert response.status_code == 409
    assert "cannot be turned off" in response.content.decode()
    assert services.modes_of(owner)[EventType.REVIEW_DECIDED] == "immediate"


def test_every_email_carries_its_unsubscribe_link(pilot, owner, mailoutbox, client):
    from outbox.services import publish
    from tests.notify.helpers import deliver_all

    publish(
        EventType.ALERT_RESOLVED, pilot=pilot,
        payload={"alert_id": 1, "metric": "error_rate", "note": "Fixed the prompt"},
    )  # fmt: skip
    deliver_all()
    (message,) = mailoutbox
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link in message.body
    html = message.alternatives[0].content
    assert link.replace("&", "&amp;") in html or link in html
    path = link.removeprefix("http://127.0.0.1:8000")
    client.post(path)
    assert services.modes_of(owner)[EventType.ALERT_RESOLVED] == "off"
