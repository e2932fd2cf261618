"""Several alerts acknowledged or resolved at once: one form, one audit event per alert,
the permission checked per alert, bad input named and the good part applied."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent, PilotRole
from metrics.models import Alert
from metrics.services import alert_resolve, alerts_bulk_update
from tests.factories import PilotFactory, UserFactory
from tests.metrics.test_pages import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_open(pilot):
    seed(pilot, 4)  # four alerts, the first resolved
    return list(Alert.objects.filter(pilot=pilot, status="open").order_by("id"))


def test_owner_acknowledges_several_alerts_with_one_audit_event_each(three_open, owner):
    ids = [str(a.pk) for a in three_open]
    outcome = alerts_bulk_update(alert_ids=ids, action="acknowledge", by=owner)
    assert len(outcome.done) == 3 and outcome.skipped == ()
    assert set(Alert.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "acknowledged"
    }
    events = AuditEvent.objects.filter(action="alert.acknowledge", actor=owner)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(ids)


def test_bad_ids_and_settled_alerts_are_named_and_the_rest_applied(three_open, owner, pilot):
    resolved = Alert.objects.get(pilot=pilot, status="resolved")
    first, second, third = three_open
    alert_resolve(alert=third, by=owner)
    outcome = alerts_bulk_update(
        alert_ids=[str(first.pk), "99999", "abc", str(resolved.pk), str(third.pk), str(second.pk)],
        action="resolve",
        by=owner,
        note="Rolled back",
    )
    assert {a.pk for a in outcome.done} == {first.pk, second.pk}
    assert dict(outcome.skipped) == {
        "abc": "is not an alert number",
        "99999": "was not found",
        str(resolved.pk): "is already resolved",
        str(third.pk): "is already resolved",
    }
    first.refresh_from_db()
    assert first.status == "resolved" and first.resolution_note == "Rolled back"


def test_wrong_actors_change_nothing(three_open, executive, governance_lead, outsider):
    ids = [str(a.pk) for a in three_open]
    for user in (executive, governance_lead):
        outcome = alerts_bulk_update(alert_ids=ids, action="resolve", by=user)
        assert outcome.done == () and outcome.denied
        assert {reason for _, reason in outcome.skipped} == {"is not yours to manage"}
    # An outsider cannot see a confidential pilot's alerts: they do not exist for them.
    hidden = PilotFactory(confidential=True)
    seed(hidden, 1)
    hidden_alert = Alert.objects.filter(pilot=hidden).first()
    outcome = alerts_bulk_update(alert_ids=[str(hidden_alert.pk)], action="resolve", by=outsider)
    assert outcome.skipped == ((str(hidden_alert.pk), "was not found"),) and not outcome.denied
    assert (
        not Alert.objects.filter(status="resolved")
        .exclude(resolved_at=None)
        .exclude(resolved_by=None)
        .exists()
    )


def test_permission_is_checked_per_alert_across_pilots(three_open, owner):
    other_owner = UserFactory(username="other-owner", roles=["contributor"])
    elsewhere = PilotFactory(owner=other_owner)
    seed(elsewhere, 2)
    theirs = Alert.objects.get(pilot=elsewhere, status="open")
    mine = three_open[0]
    outcome = alerts_bulk_update(
        alert_ids=[str(mine.pk), str(theirs.pk)], action="acknowledge", by=owner
    )
    assert [a.pk for a in outcome.done] == [mine.pk]
    assert outcome.skipped == ((str(theirs.pk), "is not yours to manage"),)
    assert outcome.denied  # every refusal was a permission one; the view still answers 2xx
    theirs.refresh_from_db()
    assert theirs.status == "open"


@pytest.mark.parametrize(
    "ids,action,note,field",
    [
        ([], "acknowledge", "", "alert"),
        (["1"], "delete", "", "do"),
        (["1"], "resolve", "x" * 2001, "note"),
    ],
)
def test_bad_requests_name_their_field(owner, ids, action, note, field):
    with pytest.raises(ValidationError) as exc:
        alerts_bulk_update(alert_ids=ids, action=action, by=owner, note=note)
    assert field in exc.value.message_dict


def test_plain_form_applies_and_reports_back_on_the_pilot_page(
    three_open, owner, pilot, client_for
):
    client = client_for(owner)
    data = {"pilot": pilot.pk, "do": "acknowledge", "alert": [three_open[0].pk, 424242]}
    response = client.post("/metrics/alerts/bulk/", data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/pilots/{pilot.pk}/#alerts")
    html = client.get(response["Location"]).content.decode()
    assert "1 alert acknowledged." in html
    assert "Alert 424242 was not found." in html


def test_htmx_form_returns_the_section_with_its_message(three_open, owner, pilot, client_for):
    ids = [a.pk for a in three_open[:2]]
    response = client_for(owner).post(
        "/metrics/alerts/bulk/",
        {"pilot": pilot.pk, "do": "resolve", "alert": ids, "note": "Fixed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="pilot-alerts">')
    assert "2 alerts resolved." in html
    assert html.count(f"Resolved by {owner}") == 2


def test_bulk_form_is_403_for_a_reader_and_400_for_nothing_selected(
    three_open, pilot, executive, owner, client_for
):
    data = {"pilot": pilot.pk, "do": "resolve", "alert": [three_open[0].pk]}
    assert client_for(executive).post("/metrics/alerts/bulk/", data).status_code == 403
    response = client_for(owner).post(
        "/metrics/alerts/bulk/", {"pilot": pilot.pk, "do": "resolve"}, HTTP_HX_REQUEST="true"
    )
    assert "Select at least one alert." in response.content.decode()
    assert Alert.objects.filter(status="open").count() == 3


def test_operations_lead_sees_the_bulk_form_a_reader_does_not(
    three_open, pilot, ops_lead, executive, client_for
):
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops_lead)
    html = client_for(ops_lead).get(f"/pilots/{pilot.pk}/").content.decode()
    assert html.count('name="alert"') == 3 and "Resolve selected" in html
    html = client_for(executive).get(f"/pilots/{pilot.pk}/").content.decode()
    assert 'name="alert"' not in html and "Resolve selected" not in html
    assert "Resolved automatically" in html  # the seeded alert was closed by no person
    assert "by None" not in html
