"""The decision form: what each decision says it does, fields that belong to one decision,
send back to earlier stages only, the after-deciding state (plain post and htmx), the
frozen-versus-live highlight and stage changes in the timeline."""

import re

import pytest

from accounts.models import AuditEvent, PilotRole
from gates import services
from gates.models import Decision, ReviewStatus
from gates.services.transitions import pilot_transition

pytestmark = pytest.mark.django_db


def _page(client, review) -> str:
    response = client.get(f"/gates/reviews/{review.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _decide(client, review, data, **headers):
    return client.post(f"/gates/reviews/{review.pk}/decide/", data, **headers)


# Everything a browser without JS submits: every field, the unused ones empty.
JS_OFF = {"rationale": "", "conditions": "", "scope_note": "", "redesign_to_stage": ""}


def test_each_decision_says_what_it_will_do(client_for, ready_pilot, owner, governance_lead):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    html = _page(client_for(governance_lead), review)
    assert "The pilot moves to Pilot now." in html
    assert "mandatory criterion of the Pilot → Readiness gate" in html
    assert "the pilot stays in Discovery" in html
    assert "puts the pilot on hold" in html
    assert "sends the pilot back to the stage you choose" in html
    assert "stops the pilot for good" in html
    # Each radio sits with its label and is described by its effect.
    assert 'aria-describedby="id_decision_0_effect"' in html


def test_on_a_two_lead_gate_an_approval_says_it_counts_as_one(
    client_for, high_risk_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=high_risk_pilot, to_stage="pilot", by=owner)
    assert "once 2 leads have approved" in _page(client_for(governance_lead), review)
    services.review_decide(review=review, decision="approve", by=governance_lead)
    assert "The pilot moves to Pilot now." in _page(client_for(second_governance_lead), review)


def test_fields_of_one_decision_are_marked_for_it(client_for, ready_pilot, owner, governance_lead):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    html = _page(client_for(governance_lead), review)
    assert html.count('data-for-decision="approve_with_conditions"') == 1
    assert html.count('data-for-decision="redesign"') == 2
    assert 'src="/static/js/decisions.js"' in html
    assert "onclick" not in html and "onchange" not in html


def test_send_back_lists_only_earlier_stages(client_for, ready_pilot, owner, governance_lead):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve", by=governance_lead)
    ready_pilot.refresh_from_db()
    later = services.review_request(pilot=ready_pilot, to_stage="readiness", by=owner)
    html = _page(client_for(governance_lead), later)
    select = re.search(r'<select name="redesign_to_stage".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\w*)"', select) == ["", "discovery"]
    refused = _decide(
        client_for(governance_lead),
        later,
        {**JS_OFF, "decision": "redesign", "rationale": "r", "scope_note": "s",
         "redesign_to_stage": "readiness"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Send back to: choose a stage before Pilot." in refused.content.decode()
    assert not Decision.objects.filter(review=later).exists()


def test_without_js_every_field_is_sent_and_an_approval_still_goes_through(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    done = _decide(client_for(governance_lead), review, {**JS_OFF, "decision": "approve"})
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED


@pytest.mark.parametrize(
    ("decision", "field", "value", "message"),
    [
        ("approve", "conditions", "Name a risk lead", "Conditions belongs only to"),
        ("reject", "scope_note", "Only claims", "Narrowed scope belongs only to"),
        ("hold", "redesign_to_stage", "discovery", "Send back to belongs only to"),
    ],
)
def test_the_server_refuses_a_field_that_does_not_belong_naming_it(
    client_for, ready_pilot, owner, governance_lead, decision, field, value, message
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    before = AuditEvent.objects.count()
    data = {**JS_OFF, "decision": decision, "rationale": "Because", field: value}
    refused = _decide(client_for(governance_lead), review, data)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert message in html and 'id="decision-errors"' in html
    assert f'href="#id_{field}"' in html  # the error summary links to the field
    assert re.search(rf'<(textarea|select) name="{field}"[^>]*aria-invalid="true"', html)
    assert not Decision.objects.filter(review=review).exists()
    assert AuditEvent.objects.count() == before


def test_after_a_plain_post_the_lead_sees_what_they_did_instead_of_the_form(
    client_for, high_risk_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=high_risk_pilot, to_stage="pilot", by=owner)
    client = client_for(governance_lead)
    assert _decide(client, review, {**JS_OFF, "decision": "approve"}).status_code == 302
    html = _page(client, review)
    assert 'id="decision-form"' not in html
    assert re.search(r"You approved on \d+ \w+ \d{4} at \d\d:\d\d; waiting for a second lead", html)
    # The second lead still has the form; once they approve, both read the outcome.
    assert 'id="decision-form"' in _page(client_for(second_governance_lead), review)
    _decide(client_for(second_governance_lead), review, {**JS_OFF, "decision": "approve"})
    assert "; the pilot moved to Pilot." in _page(client, review)


def test_after_an_htmx_post_the_page_comes_back_with_the_after_deciding_state(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    response = _decide(
        client_for(governance_lead),
        review,
        {"decision": "hold", "rationale": "Wait for the audit"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="decision-form"' not in html
    assert "You put the pilot on hold on" in html and 'id="decided"' in html


def test_an_htmx_post_with_an_error_comes_back_as_400_with_the_form(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    response = _decide(
        client_for(governance_lead), review, {"decision": "stop"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Give the reasons for this decision." in response.content.decode()


@pytest.mark.parametrize(
    ("decision", "extra", "wording"),
    [
        ("reject", {}, "You rejected this review on"),
        ("redesign", {"scope_note": "Only claims"}, "You sent the pilot back to Discovery"),
        ("stop", {}, "You stopped the pilot on"),
    ],
)
def test_each_decision_has_its_own_after_deciding_wording(
    client_for, ready_pilot, owner, governance_lead, decision, extra, wording
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(
        review=review, decision=decision, rationale="Because", by=governance_lead, **extra
    )
    assert wording in _page(client_for(governance_lead), review)


def test_changed_rows_are_highlighted_and_said_in_words(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    html = _page(client_for(governance_lead), review)
    assert "Nothing has changed since the request." in html and 'class="changed"' not in html
    PilotRole.objects.filter(pilot=ready_pilot, role="technical_owner").delete()
    html = _page(client_for(governance_lead), review)
    assert html.count('class="changed"') == 1
    assert "1 criterion has changed since the request" in html
    assert "Changed: Pass at request, Fail now." in html


def test_the_timeline_has_every_stage_change(
    client_for, ready_pilot, owner, governance_lead, admin_user
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(
        review=review, decision="approve", by=governance_lead, rationale="Solid memo"
    )
    ready_pilot.refresh_from_db()
    pilot_transition(pilot=ready_pilot, by=admin_user, to_stage="readiness", reason="Fast track")
    ready_pilot.refresh_from_db()
    later = services.review_request(pilot=ready_pilot, to_stage="scale", by=owner)
    services.review_decide(
        review=later, decision="redesign", rationale="r", scope_note="Smaller",
        redesign_to_stage="discovery", by=governance_lead,
    )  # fmt: skip
    html = client_for(owner).get(f"/pilots/{ready_pilot.pk}/").content.decode()
    start = html.index('<ol class="timeline"')
    timeline = html[start : html.index("</ol>", start)]
    assert "Stage: Discovery → Pilot" in timeline  # the approval
    assert "Stage: Pilot → Readiness" in timeline and "Fast track" in timeline  # the admin
    assert "Stage: Readiness → Discovery" in timeline  # the send-back
    assert timeline.count('class="timeline-stage"') == 3
    # A change a decision made links to its review; its reasons stay with the decision.
    assert timeline.count("Solid memo") == 1
    assert f'href="/gates/reviews/{review.pk}/">Stage: Discovery → Pilot' in timeline
