"""The gate API: evaluation, review requests, the queue, decisions."""

import pytest

from accounts.models import PilotRole
from gates.models import Decision, Review, ReviewStatus
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def test_evaluation_endpoint_returns_live_results(api_for, ready_pilot, owner):
    response = api_for(owner).get(f"/api/pilots/{ready_pilot.pk}/evaluation/?to_stage=pilot")
    assert response.status_code == 200
    body = response.json()
    assert body["passed"] is True and body["to_stage"] == "pilot"
    assert body["results"][1] == {
        "criterion_key": "risk_lead_named",
        "label": "Risk lead named",
        "status": "fail",
        "reason": "Roles not named: risk lead",
        "mandatory": False,
        "waived": False,
    }


def test_evaluation_defaults_to_next_stage_and_rejects_unknown_gate(api_for, ready_pilot, owner):
    api = api_for(owner)
    assert api.get(f"/api/pilots/{ready_pilot.pk}/evaluation/").json()["to_stage"] == "pilot"
    # A stage no gate leads to from here is a conflict with the pilot's state (409); a
    # value that is no stage at all is bad input (400).
    elsewhere = api.get(f"/api/pilots/{ready_pilot.pk}/evaluation/?to_stage=scale")
    assert elsewhere.status_code == 409 and "No gate leads" in elsewhere.json()["message"]
    bad = api.get(f"/api/pilots/{ready_pilot.pk}/evaluation/?to_stage=moon")
    assert bad.status_code == 400 and "to_stage" in bad.json()["errors"]


def test_evaluation_of_hidden_pilot_is_404(api_for, owner, outsider, simple_gates):
    pilot = PilotFactory(owner=owner, confidential=True)
    assert api_for(outsider).get(f"/api/pilots/{pilot.pk}/evaluation/").status_code == 404


def test_post_review_creates_it_and_get_lists_it(api_for, ready_pilot, owner):
    api = api_for(owner)
    created = api.post(
        f"/api/pilots/{ready_pilot.pk}/reviews/",
        {"to_stage": "pilot", "evidence_links": ["https://wiki.test/memo"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "pending"
    listed = api.get(f"/api/pilots/{ready_pilot.pk}/reviews/").json()
    assert [r["id"] for r in listed["results"]] == [created.json()["id"]]


def test_a_review_request_is_checked_for_bad_input_before_the_pilots_state(
    api_for, ready_pilot, owner, outsider
):
    url = f"/api/pilots/{ready_pilot.pk}/reviews/"
    api = api_for(owner)
    assert api.post(url, {"to_stage": "pilot"}, format="json").status_code == 201
    # A second request conflicts with the pending one (409) only when it is itself valid.
    bad = api.post(url, {"to_stage": "pilot", "evidence_links": ["ftp:/x"]}, format="json")
    assert bad.status_code == 400 and "evidence_links.0" in bad.json()["errors"]
    assert api.post(url, {"to_stage": "pilot"}, format="json").status_code == 409
    ready_pilot.status = "stopped"
    ready_pilot.save(update_fields=["status"])
    long_note = api.post(url, {"to_stage": "pilot", "note": "x" * 4001}, format="json")
    assert long_note.status_code == 400 and "note" in long_note.json()["errors"]
    assert api.post(url, {"to_stage": "pilot"}, format="json").status_code == 409
    PilotRole.objects.create(pilot=ready_pilot, user=outsider, role="contributor")
    assert api_for(outsider).post(url, {"to_stage": "pilot"}, format="json").status_code == 403
    assert Review.objects.filter(pilot=ready_pilot).count() == 1


def test_post_review_refused_lists_failing_criteria_as_409(api_for, owner, simple_gates):
    pilot = PilotFactory(owner=owner)
    response = api_for(owner).post(
        f"/api/pilots/{pilot.pk}/reviews/", {"to_stage": "pilot"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert [b["criterion_key"] for b in body["blocking"]] == ["technical_owner_named"]
    assert body["errors"]["criteria"] == ["Technical owner named: Roles not named: technical owner"]
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"to_stage": "moon"}, 400, "to_stage"),
        ({}, 400, "to_stage"),
        ({"to_stage": "pilot", "evidence_links": ["javascript:alert(1)"]}, 400, "evidence_links.0"),
    ],
)
def test_post_review_bad_input_is_a_clear_400(api_for, ready_pilot, owner, payload, code, field):
    response = api_for(owner).post(f"/api/pilots/{ready_pilot.pk}/reviews/", payload, format="json")
    assert response.status_code == code
    assert field in response.json()["errors"]
    assert not Review.objects.exists()


def test_post_review_for_a_stage_the_pilot_is_not_next_to_is_409(api_for, ready_pilot, owner):
    response = api_for(owner).post(
        f"/api/pilots/{ready_pilot.pk}/reviews/", {"to_stage": "scale"}, format="json"
    )
    assert response.status_code == 409
    assert "can only be reviewed for pilot" in response.json()["message"]
    assert not Review.objects.exists()


def test_post_review_by_non_owner_is_403(api_for, ready_pilot, executive):
    response = api_for(executive).post(
        f"/api/pilots/{ready_pilot.pk}/reviews/", {"to_stage": "pilot"}, format="json"
    )
    assert response.status_code == 403


def test_queue_lists_pending_oldest_first_and_filters(
    api_for, owner, governance_lead, simple_gates
):
    from accounts.models import PilotRole

    pilots = []
    for name in ["B", "A"]:
        pilot = PilotFactory(name=name, owner=owner)
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=governance_lead)
        pilots.append(pilot)
    api = api_for(owner)
    ids = [
        api.post(f"/api/pilots/{p.pk}/reviews/", {"to_stage": "pilot"}, format="json").json()["id"]
        for p in pilots
    ]
    api.post(f"/api/reviews/{ids[1]}/withdraw/")
    queue = api_for(governance_lead).get("/api/reviews/?status=pending").json()
    assert [r["id"] for r in queue["results"]] == [ids[0]]
    everything = api_for(governance_lead).get("/api/reviews/").json()
    assert [r["id"] for r in everything["results"]] == ids
    bad = api_for(governance_lead).get("/api/reviews/?status=open")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_queue_hides_reviews_of_confidential_pilots_from_outsiders(
    api_for, owner, technical_owner, outsider, simple_gates
):
    pilot = PilotFactory(owner=owner, confidential=True)
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    api_for(owner).post(f"/api/pilots/{pilot.pk}/reviews/", {"to_stage": "pilot"}, format="json")
    review = Review.objects.get()
    assert api_for(outsider).get("/api/reviews/").json()["results"] == []
    assert api_for(outsider).get(f"/api/reviews/{review.pk}/").status_code == 404
    assert (
        api_for(outsider)
        .post(f"/api/reviews/{review.pk}/decisions/", {"decision": "approve"})
        .status_code
        == 404
    )


def test_decision_endpoint(api_for, ready_pilot, owner, governance_lead, second_governance_lead):
    review_id = (
        api_for(owner)
        .post(f"/api/pilots/{ready_pilot.pk}/reviews/", {"to_stage": "pilot"}, format="json")
        .json()["id"]
    )
    url = f"/api/reviews/{review_id}/decisions/"
    lead = api_for(governance_lead)
    assert lead.post(url, {"decision": "maybe"}, format="json").status_code == 400
    missing = lead.post(url, {"decision": "reject"}, format="json")
    assert missing.status_code == 400 and "rationale" in missing.json()["errors"]
    assert api_for(owner).post(url, {"decision": "approve"}, format="json").status_code == 403
    done = lead.post(
        url,
        {"decision": "approve_with_conditions", "rationale": "ok", "conditions": ["Fallback"]},
        format="json",
    )
    assert done.status_code == 201
    assert done.json()["status"] == ReviewStatus.APPROVED_WITH_CONDITIONS
    again = api_for(second_governance_lead).post(url, {"decision": "approve"}, format="json")
    assert again.status_code == 409 and "closed" in again.json()["message"]
    # Bad input to a closed review is still bad input (400 naming the field), never a 409
    # that would hide it; the 403 for the wrong actor still comes first.
    bad = api_for(second_governance_lead).post(
        url, {"decision": "redesign", "rationale": "0"}, format="json"
    )
    assert bad.status_code == 400 and "scope_note" in bad.json()["errors"]
    assert api_for(owner).post(url, {"decision": "redesign"}, format="json").status_code == 403
    assert Decision.objects.count() == 1
    ready_pilot.refresh_from_db()
    assert ready_pilot.stage == "pilot"


def test_admin_is_no_side_door_to_decisions(client_for, admin_user, ready_pilot, owner):
    from gates import services

    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    admin = client_for(admin_user)
    assert admin.get("/admin/gates/review/").status_code == 200
    assert admin.get("/admin/gates/decision/add/").status_code == 403
    changed = admin.post(f"/admin/gates/review/{review.pk}/change/", {"status": "approved"})
    assert changed.status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING and not Decision.objects.exists()


def test_admin_quorum_must_be_whole_numbers(client_for, admin_user):
    from gates.models import Gate

    gate = Gate.objects.get(from_stage="discovery")
    url = f"/admin/gates/gate/{gate.pk}/change/"
    bad = client_for(admin_user).post(url, {"quorum": '{"high": 0}'})
    assert bad.status_code == 200 and "at least 1" in bad.content.decode()
    ok = client_for(admin_user).post(url, {"quorum": '{"low": 1, "medium": 2, "high": 3}'})
    assert ok.status_code == 302
    gate.refresh_from_db()
    assert gate.approvals_needed("medium") == 2


def test_schema_describes_the_gate_endpoints(api_for, owner):
    schema = api_for(owner).get("/api/schema/?format=json").json()
    for path in [
        "/api/pilots/{id}/evaluation/",
        "/api/pilots/{id}/reviews/",
        "/api/reviews/",
        "/api/reviews/{id}/decisions/",
    ]:
        assert path in schema["paths"] or path.replace("{id}", "{pk}") in schema["paths"]


def count(api, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_review_list_api_query_count_is_flat(
    api_for, owner, technical_owner, governance_lead, simple_gates
):
    from gates import services

    def add(n):
        for _ in range(n):
            pilot = PilotFactory(owner=owner)
            PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
            review = services.review_request(pilot=pilot, to_stage="pilot", by=owner)
            services.review_decide(
                review=review, decision="reject", by=governance_lead, rationale="no"
            )

    api = api_for(governance_lead)
    add(2)
    small = count(api, "/api/reviews/")
    add(5)
    assert count(api, "/api/reviews/") == small


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "approve", "conditions": []}, "conditions"),
        ({"decision": "reject", "rationale": "No", "scope_note": ""}, "scope_note"),
        (
            {"decision": "approve_with_conditions", "rationale": "ok", "conditions": [" "]},
            "conditions.0",
        ),
        (
            {"decision": "approve_with_conditions", "rationale": "ok", "conditions": []},
            "conditions",
        ),
        (
            {"decision": "redesign", "rationale": "x", "scope_note": "y", "redesign_to_stage": ""},
            "redesign_to_stage",
        ),
        ({"decision": "reject", "rationale": 5}, "rationale"),
    ],
)
def test_a_decision_takes_exactly_its_own_fields(
    api_for, ready_pilot, owner, governance_lead, body, field
):
    review_id = (
        api_for(owner)
        .post(f"/api/pilots/{ready_pilot.pk}/reviews/", {"to_stage": "pilot"}, format="json")
        .json()["id"]
    )
    response = api_for(governance_lead).post(
        f"/api/reviews/{review_id}/decisions/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Review.objects.get(pk=review_id).status == ReviewStatus.PENDING
