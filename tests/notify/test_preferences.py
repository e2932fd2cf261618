"""Who is told, by their preferences: straight away, in the daily digest, or not at all."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, PilotRole
from notify import services
from notify.catalog import Mode
from notify.models import DigestEntry, Email, HandledEvent, Preference
from outbox.catalog import EventType
from outbox.services import publish
from tests.factories import UserFactory
from tests.notify.helpers import deliver_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_lead(pilot):
    user = UserFactory(username="opslead", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, user=user, role="operations_lead")
    return user


def _alert(pilot):
    return publish(
        EventType.ALERT_OPENED, pilot=pilot,
        payload={"alert_id": 7, "metric": "error_rate", "severity": "breach", "value": 0.2,
                 "threshold": 0.05},
    )  # fmt: skip


def test_an_opened_alert_reaches_owner_and_operations_lead_by_their_choice(
    pilot, owner, ops_lead, outsider, mailoutbox
):
    services.preferences_set(user=ops_lead, by=ops_lead, modes={EventType.ALERT_OPENED: "digest"})
    event = _alert(pilot)
    assert services.event_handle(event_id=event.pk) == {"emails": 1, "digest": 1, "channels": 0}
    # Handled once: a second task or a sweep for the same event plans nothing more.
    assert services.event_handle(event_id=event.pk) == {"emails": 0, "digest": 0, "channels": 0}
    deliver_all()
    assert [m.to for m in mailoutbox] == [[owner.email]]
    assert mailoutbox[0].subject == f"Alert on {pilot.name}: Error rate"
    assert DigestEntry.objects.filter(user=ops_lead, email__isnull=True).count() == 1

    assert services.daily_digests_send() == 1
    assert services.daily_digests_send() == 0  # entries are sent once
    deliver_all()
    digest = mailoutbox[-1]
    assert digest.to == [ops_lead.email]
    assert digest.subject == "Pilotgate daily digest: 1 update"
    assert f"Alert on {pilot.name}: Error rate" in digest.body


def test_off_means_no_email(pilot, owner, ops_lead, mailoutbox):
    services.preferences_set(user=owner, by=owner, modes={EventType.SOURCE_DEGRADED: "off"})
    event = publish(
        EventType.SOURCE_DEGRADED, pilot=pilot,
        payload={"source_id": 1, "source": "Prometheus", "consecutive_failures": 3,
                 "last_error": "timeout"},
    )  # fmt: skip
    deliver_all()
    assert [m.to for m in mailoutbox] == [[ops_lead.email]]
    assert "failed 3 times in a row" in mailoutbox[0].body
    assert HandledEvent.objects.filter(event=event).exists()


def test_a_breached_stop_condition_says_so(pilot, owner, mailoutbox):
    publish(
        EventType.SIGNAL_CHANGED, pilot=pilot,
        payload={"from_code": "hold", "to_code": "stop", "label": "Stop",
                 "reasons": ["Error rate stayed above 5% past its by-date"]},
    )  # fmt: skip
    deliver_all()
    (message,) = mailoutbox
    assert message.subject == f"Stop condition breached: {pilot.name}"
    assert "Error rate stayed above 5% past its by-date" in message.body


def test_decisions_on_your_own_pilot_cannot_be_turned_off(owner):
    with pytest.raises(ValidationError) as caught:
        services.preferences_set(user=owner, by=owner, modes={EventType.REVIEW_DECIDED: "off"})
    assert caught.value.message_dict == {
        EventType.REVIEW_DECIDED: ["Decisions on your own pilots cannot be turned off."]
    }
    services.preferences_set(user=owner, by=owner, modes={EventType.REVIEW_DECIDED: "digest"})
    assert services.modes_of(owner)[EventType.REVIEW_DECIDED] == Mode.DIGEST


def test_an_unknown_topic_or_mode_is_refused_by_name(owner):
    with pytest.raises(ValidationError) as caught:
        services.preferences_set(
            user=owner, by=owner, modes={"pilot.exploded": "off", EventType.ALERT_OPENED: "loud"}
        )
    errors = caught.value.message_dict
    assert "is not something Pilotgate notifies about" in errors["pilot.exploded"][0]
    assert "“loud” is not" in errors[EventType.ALERT_OPENED][0]
    assert not Preference.objects.exists()


def test_nobody_changes_another_persons_preferences(owner, outsider, admin_user):
    for actor in (outsider, admin_user):
        with pytest.raises(PermissionDenied):
            services.preferences_set(user=owner, by=actor, modes={EventType.ALERT_OPENED: "off"})
    assert not Preference.objects.filter(user=owner).exists()


def test_the_page_saves_the_signed_in_persons_choices_and_audits_them(client, owner):
    client.force_login(owner)
    url = reverse("notify:preferences")
    page = client.get(url)
    assert page.status_code == 200
    assert "Decisions on your own pilots cannot be turned off" in page.content.decode()
    data = {name: field.initial for name, field in page.context["form"].fields.items()}
    data["alert__opened"] = "digest"
    response = client.post(url, data)
    assert response.status_code == 302
    assert services.modes_of(owner)[EventType.ALERT_OPENED] == "digest"
    event = AuditEvent.objects.get(action="notify.preferences")
    assert event.after == {EventType.ALERT_OPENED: "digest"}
    assert event.object_id == str(owner.pk)


def test_the_page_refuses_off_for_decisions_with_a_400(client, owner):
    client.force_login(owner)
    url = reverse("notify:preferences")
    data = {n: f.initial for n, f in client.get(url).context["form"].fields.items()}
    data["review__decided"] = "off"
    response = client.post(url, data)
    assert response.status_code == 400
    assert "A review of your pilot is decided" in response.content.decode()
    assert services.modes_of(owner)[EventType.REVIEW_DECIDED] == "immediate"


def test_the_page_needs_a_sign_in(client):
    response = client.get(reverse("notify:preferences"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_nobody_is_told_about_their_own_action(pilot, owner, mailoutbox):
    publish(
        EventType.STAGE_CHANGED, pilot=pilot, actor=owner,
        payload={"from_stage": "discovery", "to_stage": "discovery", "from_status": "active",
                 "to_status": "on_hold", "reason": "Vendor contract paused"},
    )  # fmt: skip
    deliver_all()
    assert mailoutbox == []


def test_a_lost_signal_is_caught_up_by_the_sweep(pilot, owner):
    from datetime import timedelta

    from django.utils import timezone

    event = _alert(pilot)  # its task was never queued (on_commit not run in this test)
    assert not Email.objects.exists()
    assert services.sweep(now=timezone.now())["events"] == 0  # too recent: its task may run
    result = services.sweep(now=timezone.now() + timedelta(minutes=2))
    assert result["events"] == 1
    assert Email.objects.get().event_id == event.pk


def test_events_published_while_discarding_tell_nobody(
    pilot, owner, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_DISCARD = True  # what seed_demo sets unless --send-email
    with django_capture_on_commit_callbacks(execute=True):
        event = _alert(pilot)
    assert HandledEvent.objects.filter(event=event).exists()
    deliver_all()
    assert not Email.objects.exists()


def test_reminders_are_on_or_off_never_a_digest(owner):
    from notify.catalog import REMINDERS

    with pytest.raises(ValidationError):
        services.preferences_set(user=owner, by=owner, modes={REMINDERS: "digest"})
    services.preferences_set(user=owner, by=owner, modes={REMINDERS: "off"})
    assert services.modes_of(owner)[REMINDERS] == "off"
