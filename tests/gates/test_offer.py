"""The review request on the task list: offered once the gate's workbooks are complete,
refused with each reason shown once and linked to its fix, and not offered again until
something it was refused for has changed."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, PilotRole
from gates.models import CriteriaVersion, Gate, Review
from gates.offer import review_offer
from portfolio.workbooks import models as m
from tests.factories import PilotFactory
from tests.gates.conftest import SIMPLE_CRITERIA

ROLES_URL = "/pilots/{pk}/roles/"
REASON = "Roles not named: technical owner"


@pytest.fixture
def blocked_pilot(owner, simple_gates):
    """No technical owner: the simple gate's one mandatory criterion fails."""
    return PilotFactory(name="Blocked pilot", owner=owner)


def _request_url(pilot):
    return f"/gates/pilots/{pilot.pk}/request/"


def _needing_strategy(db):
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    complete = {
        "key": "strategy_complete",
        "kind": "workbook_complete",
        "label": "Strategy workbook complete",
        "params": {"phase": "strategy"},
        "mandatory": True,
        "risk_tiers": [],
    }
    CriteriaVersion.objects.create(
        gate=gate, number=gate.versions.count() + 1, criteria=[*SIMPLE_CRITERIA, complete]
    )


def test_the_task_list_offers_the_request_when_no_workbook_is_needed(
    blocked_pilot, owner, client_for
):
    page = client_for(owner).get(blocked_pilot.get_absolute_url()).content.decode()
    assert 'id="request-offer"' in page
    assert f'action="{_request_url(blocked_pilot)}"' in page
    assert "Request review for Pilot" in page


def test_a_refused_request_lists_each_reason_once_with_its_fix_link(
    blocked_pilot, owner, client_for
):
    client = client_for(owner)
    response = client.post(_request_url(blocked_pilot), {"note": ""})
    body = response.content.decode()
    assert response.status_code == 409
    assert body.count(REASON) == 1
    assert f'<a href="{ROLES_URL.format(pk=blocked_pilot.pk)}">Technical owner named</a>' in body
    assert "was refused" in body
    assert re.search(r'<button type="submit" disabled aria-describedby="blocked-note">', body)
    assert not Review.objects.exists()
    # The pilot page no longer offers it either, and says why.
    page = client.get(blocked_pilot.get_absolute_url()).content.decode()
    assert f'action="{_request_url(blocked_pilot)}"' not in page
    assert page.count(REASON) == 1
    assert "nothing it was refused for has changed yet" in page


def test_the_request_comes_back_once_what_it_was_refused_for_changes(
    blocked_pilot, owner, technical_owner, client_for
):
    client = client_for(owner)
    client.post(_request_url(blocked_pilot), {"note": ""})
    assert review_offer(pilot=blocked_pilot, user=owner).state == "refused"
    PilotRole.objects.create(pilot=blocked_pilot, role="technical_owner", user=technical_owner)
    fresh = type(blocked_pilot).objects.get(pk=blocked_pilot.pk)
    assert review_offer(pilot=fresh, user=owner).state == "ready"
    response = client.post(_request_url(blocked_pilot), {"note": ""})
    assert response.status_code == 302
    assert Review.objects.filter(pilot=blocked_pilot, status="pending").exists()


def test_the_request_waits_for_the_workbooks_the_gate_reads(owner, client_for, db):
    _needing_strategy(db)
    pilot = PilotFactory(owner=owner)
    client = client_for(owner)
    page = client.get(pilot.get_absolute_url()).content.decode()
    assert "Complete 1 more workbook to request the review: Strategy and success definition" in (
        page
    )
    assert f'action="{_request_url(pilot)}"' not in page
    assert re.search(r'id="task-strategy".*?Next gate', page, re.S)
    request_page = client.get(_request_url(pilot)).content.decode()
    assert "Unavailable until these workbooks are complete" in request_page


def test_a_complete_workbook_page_offers_the_request(owner, client_for, db):
    from portfolio.workbooks.demo import complete

    _needing_strategy(db)
    pilot = PilotFactory(owner=owner)
    complete(pilot, {}, "strategy")
    page = client_for(owner).get(f"/pilots/{pilot.pk}/workbooks/strategy/").content.decode()
    assert "100% complete" in page
    assert 'id="request-offer"' in page and "Request review for Pilot" in page


@pytest.mark.parametrize("actor", ["executive", "governance_lead"])
def test_who_may_not_request_is_refused_and_is_not_offered_the_button(
    request, actor, blocked_pilot, client_for
):
    client = client_for(request.getfixturevalue(actor))
    assert client.post(_request_url(blocked_pilot), {"note": ""}).status_code == 403
    page = client.get(blocked_pilot.get_absolute_url()).content.decode()
    assert f'action="{_request_url(blocked_pilot)}"' not in page
    assert "business or technical owner requests the review" in page
    assert not AuditEvent.objects.filter(action="review.refused").exists()


def test_a_too_long_note_is_a_400_naming_the_field(
    blocked_pilot, owner, technical_owner, client_for
):
    PilotRole.objects.create(pilot=blocked_pilot, role="technical_owner", user=technical_owner)
    response = client_for(owner).post(_request_url(blocked_pilot), {"note": "x" * 4001})
    assert response.status_code == 400
    assert "Note for the reviewers" in response.content.decode()
    assert not Review.objects.exists()


def test_pilot_page_query_count_does_not_grow_with_refusals(blocked_pilot, owner, client_for):
    client = client_for(owner)
    client.post(_request_url(blocked_pilot), {"note": ""})

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(blocked_pilot.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for _ in range(5):
        client.post(_request_url(blocked_pilot), {"note": ""})
    m.ManualStep.objects.create(pilot=blocked_pilot, description="d", minutes_per_week=5)
    assert count() == small
