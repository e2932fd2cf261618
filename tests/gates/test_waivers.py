"""Revoking a waiver: the rules, the history it keeps, the page and the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from gates import engine, selectors, services
from gates.models import Waiver
from gates.services.reviews import ReviewRefused
from gates.services.transitions import pilot_transition
from tests.factories import PilotFactory
from tests.notify.helpers import deliver_all

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


# --- the engine: a revoked waiver covers nothing from its revocation on --------------------


def _failing_facts() -> engine.PilotFacts:
    return engine.PilotFacts(
        risk_tier="low",
        workbooks={},
        roles={},
        test_results={},
        metrics={},
        metric_targets={},
        metric_thresholds={},
        open_alerts=0,
    )


CRITERION = engine.Criterion(
    key="tech", kind=engine.ROLES_NAMED, label="Tech", params={"roles": ["technical_owner"]}
)


@pytest.mark.parametrize(
    ("revoked_at", "waived"),
    [
        (None, True),
        (NOW + timedelta(minutes=1), True),  # revoked later than the moment evaluated
        (NOW, False),
        (NOW - timedelta(days=1), False),
    ],
)
def test_engine_ignores_a_waiver_from_its_revocation_on(revoked_at, waived):
    waiver = engine.Waiver(
        criterion_key="tech",
        expires_at=NOW + timedelta(days=5),
        justification="j",
        revoked_at=revoked_at,
    )
    result = engine.evaluate([CRITERION], _failing_facts(), now=NOW, waivers=[waiver])
    assert result.results[0].waived is waived
    assert result.passed is waived


# --- the service ---------------------------------------------------------------------------


@pytest.fixture
def blocked_pilot(owner, technical_owner, simple_gates):
    """A pilot whose one mandatory criterion fails (no technical owner named). Its
    operations lead is not an owner: owners hear about waivers, other role holders do not."""
    pilot = PilotFactory(name="Blocked pilot", owner=owner)
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=technical_owner)
    return pilot


@pytest.fixture
def waiver(blocked_pilot, second_governance_lead):
    return services.waiver_grant(
        pilot=blocked_pilot,
        criterion_key="technical_owner_named",
        justification="Hiring in progress",
        expires_at=timezone.now() + timedelta(days=10),
        by=second_governance_lead,
    )


def _evaluation(pilot):
    gate = selectors.next_gate(pilot)
    return selectors.pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now()).evaluation


def _unchanged(waiver) -> bool:
    waiver.refresh_from_db()
    return (
        waiver.revoked_at is None
        and waiver.revoked_by is None
        and waiver.revoke_reason == ""
        and not AuditEvent.objects.filter(action="waiver.revoke").exists()
    )


@pytest.mark.django_db
def test_lead_revokes_a_waiver_which_stays_in_history_audited(
    waiver, blocked_pilot, governance_lead
):
    revoked = services.waiver_revoke(
        waiver=waiver, reason="  Hiring fell through ", by=governance_lead
    )
    assert Waiver.objects.filter(pk=waiver.pk).exists()  # never deleted
    assert revoked.revoked_by == governance_lead
    assert revoked.revoke_reason == "Hiring fell through"
    assert revoked.revoked_at is not None and revoked.state_at(timezone.now()) == "revoked"
    event = AuditEvent.objects.get(action="waiver.revoke")
    assert event.object_id == str(waiver.pk) and event.pilot_id == blocked_pilot.pk
    assert event.actor_id == governance_lead.pk
    assert event.after["reason"] == "Hiring fell through"
    assert event.after["criterion_key"] == "technical_owner_named"
    assert event.before["revoked_at"] is None


@pytest.mark.django_db
def test_a_revoked_waiver_stops_counting_at_once(waiver, blocked_pilot, owner, governance_lead):
    assert _evaluation(blocked_pilot).passed
    services.waiver_revoke(waiver=waiver, reason="Hiring fell through", by=governance_lead)
    evaluation = _evaluation(blocked_pilot)
    assert not evaluation.passed
    assert [r.criterion_key for r in evaluation.blocking] == ["technical_owner_named"]
    assert selectors.active_waivers(pilot=blocked_pilot, now=timezone.now()) == []
    with pytest.raises(ReviewRefused):
        services.review_request(pilot=blocked_pilot, to_stage="pilot", by=owner)


@pytest.mark.django_db
def test_owners_are_emailed_after_commit_with_the_reason(
    waiver, blocked_pilot, owner, technical_owner, governance_lead, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.waiver_revoke(waiver=waiver, reason="Hiring fell through", by=governance_lead)
    assert mailoutbox == []  # nothing is sent before the change commits
    for callback in callbacks:
        callback()
    assert mailoutbox == []  # nor by the request: notify's worker sends it
    deliver_all()
    revoked = [m for m in mailoutbox if m.subject.startswith("Waiver revoked")]
    assert [m.to for m in revoked] == [[owner.email]]
    message = revoked[0]
    assert "Technical owner named" in message.subject and blocked_pilot.name in message.subject
    assert "technical_owner_named" not in message.subject + message.body
    assert "Hiring fell through" in message.body and str(governance_lead) in message.body


@pytest.mark.django_db
def test_a_lead_may_revoke_a_waiver_another_lead_granted(waiver, governance_lead):
    assert waiver.granted_by != governance_lead
    assert services.waiver_revoke(waiver=waiver, reason="r", by=governance_lead).revoked_at


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   \n", "x" * 2001, None])
def test_revoking_needs_a_reason_of_at_most_2000_characters(waiver, governance_lead, reason):
    with pytest.raises(ValidationError) as exc:
        services.waiver_revoke(waiver=waiver, reason=reason, by=governance_lead)
    assert list(exc.value.message_dict) == ["reason"]
    assert _unchanged(waiver)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor", ["owner", "technical_owner", "executive", "outsider", "admin_user"]
)
def test_only_a_governance_lead_revokes(waiver, actor, request):
    with pytest.raises(PermissionDenied):
        services.waiver_revoke(waiver=waiver, reason="r", by=request.getfixturevalue(actor))
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_a_lead_holding_a_role_on_the_pilot_cannot_revoke(waiver, blocked_pilot, governance_lead):
    PilotRole.objects.create(pilot=blocked_pilot, role="risk_lead", user=governance_lead)
    with pytest.raises(PermissionDenied):
        services.waiver_revoke(waiver=waiver, reason="r", by=governance_lead)
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_a_waiver_of_a_hidden_pilot_does_not_exist_for_an_outsider(
    owner, outsider, governance_lead, simple_gates
):
    pilot = PilotFactory(owner=owner, confidential=True)
    waiver = services.waiver_grant(
        pilot=pilot,
        criterion_key="technical_owner_named",
        justification="j",
        expires_at=timezone.now() + timedelta(days=1),
        by=governance_lead,
    )
    with pytest.raises(Http404):
        services.waiver_revoke(waiver=waiver, reason="r", by=outsider)
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_waivers_of_a_stopped_pilot_cannot_be_revoked(
    waiver, blocked_pilot, governance_lead, admin_user
):
    pilot_transition(pilot=blocked_pilot, by=admin_user, to_status="stopped")
    waiver.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.waiver_revoke(waiver=waiver, reason="r", by=governance_lead)
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_revoking_twice_is_a_conflict_and_keeps_the_first_revocation(
    waiver, governance_lead, third_governance_lead
):
    services.waiver_revoke(waiver=waiver, reason="first", by=governance_lead)
    stale = Waiver.objects.get(pk=waiver.pk)
    stale.revoked_at = None  # as another request loaded it before the first revocation
    with pytest.raises(Conflict, match="already revoked"):
        services.waiver_revoke(waiver=stale, reason="second", by=third_governance_lead)
    waiver.refresh_from_db()
    assert waiver.revoke_reason == "first" and waiver.revoked_by == governance_lead
    assert AuditEvent.objects.filter(action="waiver.revoke").count() == 1


@pytest.mark.django_db
def test_an_expired_waiver_cannot_be_revoked(waiver, governance_lead):
    later = waiver.expires_at + timedelta(seconds=1)
    with pytest.raises(Conflict, match="expired"):
        services.waiver_revoke(waiver=waiver, reason="r", by=governance_lead, now=later)
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_the_database_refuses_a_half_recorded_revocation(waiver, governance_lead):
    with pytest.raises(IntegrityError), transaction.atomic():
        Waiver.objects.filter(pk=waiver.pk).update(revoked_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Waiver.objects.filter(pk=waiver.pk).update(
            revoked_at=timezone.now(), revoked_by=governance_lead, revoke_reason=""
        )


@pytest.mark.django_db
def test_the_timeline_shows_the_grant_and_the_revocation(waiver, blocked_pilot, governance_lead):
    services.waiver_revoke(waiver=waiver, reason="Hiring fell through", by=governance_lead)
    entries = selectors.pilot_timeline(pilot=blocked_pilot)
    kinds = [(e.kind, e.title, e.text) for e in entries]
    assert kinds[0] == (
        "revocation",
        "Waiver of technical_owner_named revoked",
        "Hiring fell through",
    )
    assert ("waiver", kinds[1][1], "Hiring in progress") == kinds[1]
    assert entries[0].who == str(governance_lead)


# --- the page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pilot_page_offers_a_plain_revoke_form_to_leads_only(
    client_for, waiver, blocked_pilot, governance_lead, owner, executive
):
    action = f'action="/gates/waivers/{waiver.pk}/revoke/"'
    lead_html = client_for(governance_lead).get(f"/pilots/{blocked_pilot.pk}/").content.decode()
    assert action in lead_html and 'method="post"' in lead_html
    assert f'<label for="revoke-reason-{waiver.pk}">' in lead_html
    for user in (owner, executive):
        html = client_for(user).get(f"/pilots/{blocked_pilot.pk}/").content.decode()
        assert "Hiring in progress" in html  # the waiver is listed for everyone
        assert action not in html


@pytest.mark.django_db
def test_revoke_page_revokes_and_returns_to_the_pilot(
    client_for, waiver, blocked_pilot, governance_lead
):
    client = client_for(governance_lead)
    url = f"/gates/waivers/{waiver.pk}/revoke/"
    page = client.get(url)
    assert page.status_code == 200 and "Hiring in progress" in page.content.decode()
    response = client.post(url, {"reason": "Hiring fell through"})
    assert response.status_code == 302 and response.url == blocked_pilot.get_absolute_url()
    waiver.refresh_from_db()
    assert waiver.revoke_reason == "Hiring fell through"
    html = client.get(response.url).content.decode()
    assert "revoked" in html and f'action="/gates/waivers/{waiver.pk}/revoke/"' not in html


@pytest.mark.django_db
def test_revoke_page_refuses_a_blank_reason_with_400(client_for, waiver, governance_lead):
    response = client_for(governance_lead).post(
        f"/gates/waivers/{waiver.pk}/revoke/", {"reason": "  "}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_revoke_page_twice_is_409(client_for, waiver, governance_lead):
    client = client_for(governance_lead)
    url = f"/gates/waivers/{waiver.pk}/revoke/"
    assert client.post(url, {"reason": "first"}).status_code == 302
    again = client.post(url, {"reason": "second"})
    assert again.status_code == 409 and "already revoked" in again.content.decode()


@pytest.mark.django_db
def test_revoke_page_forbids_owners_and_hides_confidential_waivers(
    client_for, waiver, blocked_pilot, owner, outsider, governance_lead
):
    url = f"/gates/waivers/{waiver.pk}/revoke/"
    assert client_for(owner).post(url, {"reason": "mine"}).status_code == 403
    blocked_pilot.confidential = True
    blocked_pilot.save(update_fields=["confidential"])
    assert client_for(outsider).get(url).status_code == 404
    assert _unchanged(waiver)


# --- the API -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_lists_waivers_with_their_state(api_for, waiver, blocked_pilot, governance_lead, owner):
    expired = Waiver.objects.create(
        pilot=blocked_pilot,
        criterion_key="risk_lead_named",
        justification="old",
        expires_at=timezone.now() - timedelta(days=1),
        granted_at=timezone.now() - timedelta(days=5),
        granted_by=governance_lead,
    )
    body = api_for(owner).get(f"/api/pilots/{blocked_pilot.pk}/waivers/").json()
    assert body["count"] == 2
    states = {w["id"]: w["state"] for w in body["results"]}
    assert states == {waiver.pk: "active", expired.pk: "expired"}
    services.waiver_revoke(waiver=waiver, reason="r", by=governance_lead)
    body = api_for(owner).get(f"/api/pilots/{blocked_pilot.pk}/waivers/").json()
    row = next(w for w in body["results"] if w["id"] == waiver.pk)
    assert row["state"] == "revoked" and row["revoked_by"] == governance_lead.username
    assert row["revoke_reason"] == "r"


@pytest.mark.django_db
def test_api_revoke_answers_the_revoked_waiver(api_for, waiver, governance_lead):
    response = api_for(governance_lead).post(
        f"/api/waivers/{waiver.pk}/revoke/", {"reason": "Hiring fell through"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == waiver.pk and body["state"] == "revoked"
    assert body["revoked_by"] == governance_lead.username
    assert body["revoke_reason"] == "Hiring fell through"
    assert body["justification"] == "Hiring in progress"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "  "}, {"reason": 7}])
def test_api_revoke_refuses_a_bad_reason_naming_the_field(
    api_for, waiver, governance_lead, payload
):
    response = api_for(governance_lead).post(
        f"/api/waivers/{waiver.pk}/revoke/", payload, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert _unchanged(waiver)


@pytest.mark.django_db
def test_api_revoke_wrong_actors_and_conflict(
    api_for, waiver, blocked_pilot, owner, executive, governance_lead
):
    url = f"/api/waivers/{waiver.pk}/revoke/"
    for user in (owner, executive):
        assert api_for(user).post(url, {"reason": "r"}, format="json").status_code == 403
    assert api_for(None).post(url, {"reason": "r"}, format="json").status_code in (401, 403)
    PilotRole.objects.create(pilot=blocked_pilot, role="risk_lead", user=governance_lead)
    assert api_for(governance_lead).post(url, {"reason": "r"}, format="json").status_code == 403
    assert _unchanged(waiver)
    PilotRole.objects.filter(user=governance_lead).delete()
    assert api_for(governance_lead).post(url, {"reason": "r"}, format="json").status_code == 200
    again = api_for(governance_lead).post(url, {"reason": "r"}, format="json")
    assert again.status_code == 409 and "already revoked" in again.json()["message"]
    assert api_for(governance_lead).post("/api/waivers/999999/revoke/", {"reason": "r"},
                                         format="json").status_code == 404  # fmt: skip


@pytest.mark.django_db
def test_openapi_describes_the_waiver_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    revoke = schema["paths"]["/api/waivers/{id}/revoke/"]["post"]
    request_ref = revoke["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_schema = schema["components"]["schemas"][request_ref.rsplit("/", 1)[-1]]
    assert request_schema["required"] == ["reason"]
    assert request_schema["properties"]["reason"]["maxLength"] == 2000
    ok = revoke["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/Waiver")
    assert {"403", "404", "409"} <= set(revoke["responses"])
    waiver_schema = schema["components"]["schemas"]["Waiver"]
    state_ref = waiver_schema["properties"]["state"]["allOf"][0]["$ref"]
    state = schema["components"]["schemas"][state_ref.rsplit("/", 1)[-1]]
    assert state["enum"] == ["active", "expired", "revoked"]
    listing = schema["paths"]["/api/pilots/{id}/waivers/"]["get"]
    page_ref = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page_ref.endswith("/PaginatedWaiverList")


@pytest.mark.django_db
def test_waiver_list_query_count_does_not_grow_with_waivers(
    api_for, waiver, blocked_pilot, owner, governance_lead
):
    api = api_for(owner)
    url = f"/api/pilots/{blocked_pilot.pk}/waivers/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries)

    small = count()
    for i in range(4):
        extra = services.waiver_grant(
            pilot=blocked_pilot,
            criterion_key="risk_lead_named",
            justification=f"j{i}",
            expires_at=timezone.now() + timedelta(days=3),
            by=governance_lead,
        )
        services.waiver_revoke(waiver=extra, reason=f"r{i}", by=governance_lead)
    assert count() == small
