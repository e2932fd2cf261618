"""pilot_transition checks its own permission (rules.can_move_pilot): no flag skips it.
A gate decision authorizes only the move it means, and only for the lead who recorded it;
a caller that is not a person says so with accounts.system.SYSTEM, audited as the system."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import AuditEvent
from accounts.system import SYSTEM, is_system
from gates import services
from gates.models import Decision
from gates.services.transitions import pilot_transition

pytestmark = pytest.mark.django_db


def _snapshot(pilot):
    pilot.refresh_from_db()
    return pilot.stage, pilot.status


def _hold_decision(pilot, owner, lead) -> Decision:
    """A hold recorded by `lead` (the pilot is then on hold)."""
    review = services.review_request(pilot=pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="hold", by=lead, rationale="Wait")
    return Decision.objects.select_related("review").get(review=review)


def test_the_system_moves_a_pilot_and_is_audited_as_the_system(ready_pilot):
    moved = pilot_transition(pilot=ready_pilot, by=SYSTEM, to_status="on_hold", reason="Job")
    assert moved.status == "on_hold"
    event = AuditEvent.objects.get(action="pilot.transition")
    assert event.actor_id is None and event.actor_label == "system"
    assert event.after["reason"] == "Job"


def test_only_the_system_itself_is_the_system(client):
    from django.contrib.auth.models import AnonymousUser

    assert is_system(SYSTEM) and not is_system(AnonymousUser()) and not is_system(None)


@pytest.mark.parametrize("who", ["governance_lead", "owner", "executive"])
def test_people_other_than_admins_cannot_move_a_pilot_directly(request, ready_pilot, who):
    before = _snapshot(ready_pilot)
    with pytest.raises(PermissionDenied):
        pilot_transition(pilot=ready_pilot, by=request.getfixturevalue(who), to_stage="pilot")
    assert _snapshot(ready_pilot) == before
    assert not AuditEvent.objects.filter(action="pilot.transition").exists()


def test_a_decision_authorizes_only_its_own_move(ready_pilot, owner, governance_lead):
    decision = _hold_decision(ready_pilot, owner, governance_lead)
    before = _snapshot(ready_pilot)
    assert before[1] == "on_hold"
    # A hold does not stop the pilot, even for the lead who recorded it.
    with pytest.raises(PermissionDenied):
        pilot_transition(
            pilot=ready_pilot, by=governance_lead, to_status="stopped", decision=decision
        )
    assert _snapshot(ready_pilot) == before


def test_another_leads_decision_authorizes_nothing(
    ready_pilot, owner, governance_lead, second_governance_lead
):
    decision = _hold_decision(ready_pilot, owner, governance_lead)
    ready_pilot.refresh_from_db()
    pilot_transition(pilot=ready_pilot, by=SYSTEM, to_status="active", reason="Reset")
    ready_pilot.refresh_from_db()
    before = _snapshot(ready_pilot)
    with pytest.raises(PermissionDenied):
        pilot_transition(
            pilot=ready_pilot, by=second_governance_lead, to_status="on_hold", decision=decision
        )
    assert _snapshot(ready_pilot) == before


def test_a_lead_resumes_a_held_pilot_but_an_owner_cannot(
    ready_pilot, owner, governance_lead, second_governance_lead
):
    _hold_decision(ready_pilot, owner, governance_lead)
    ready_pilot.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.pilot_resume(pilot=ready_pilot, by=owner, reason="Fixed")
    resumed = services.pilot_resume(pilot=ready_pilot, by=second_governance_lead, reason="Fixed")
    assert resumed.status == "active"
