import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from gates.services import pilot_transition
from portfolio import services
from portfolio.models import Pilot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_contributor_registers_pilot_and_becomes_business_owner(owner):
    pilot = services.pilot_create(by=owner, name=" Invoice bot ", business_unit="Finance")
    assert pilot.name == "Invoice bot"
    assert pilot.stage == "discovery" and pilot.status == "active"
    assert PilotRole.objects.get(pilot=pilot, role="business_owner").user == owner
    event = AuditEvent.objects.get(action="pilot.create")
    assert event.actor == owner and event.after["name"] == "Invoice bot"


def test_executive_cannot_register_a_pilot(executive):
    with pytest.raises(PermissionDenied):
        services.pilot_create(by=executive, name="X", business_unit="Finance")
    assert not Pilot.objects.exists()


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": "", "business_unit": "Finance"}, "name"),
        ({"name": "x" * 201, "business_unit": "Finance"}, "name"),
        ({"name": "X", "business_unit": ""}, "business_unit"),
        ({"name": "X", "business_unit": "Finance", "risk_tier": "extreme"}, "risk_tier"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(owner, fields, bad_field):
    with pytest.raises(ValidationError) as info:
        services.pilot_create(by=owner, **fields)
    assert bad_field in info.value.message_dict
    assert not Pilot.objects.exists()
    assert not AuditEvent.objects.exists()


def test_update_audits_only_changed_fields(owner, pilot):
    services.pilot_update(pilot=pilot, by=owner, name="Claims triage v2", business_unit="Finance")
    event = AuditEvent.objects.filter(action="pilot.update").get()
    assert event.before == {"name": "Claims triage"}
    assert event.after == {"name": "Claims triage v2"}


def test_update_with_no_change_writes_no_event(owner, pilot):
    services.pilot_update(pilot=pilot, by=owner, name=pilot.name)
    assert not AuditEvent.objects.filter(action="pilot.update").exists()


def test_stage_cannot_be_changed_through_update(owner, pilot):
    with pytest.raises(ValidationError) as info:
        services.pilot_update(pilot=pilot, by=owner, stage="scale")
    assert "stage" in info.value.message_dict
    pilot.refresh_from_db()
    assert pilot.stage == "discovery"


@pytest.mark.parametrize("actor", ["outsider", "executive", "governance_lead"])
def test_wrong_actor_cannot_update(request, actor, pilot):
    with pytest.raises(PermissionDenied):
        services.pilot_update(pilot=pilot, by=request.getfixturevalue(actor), name="Hijacked")
    pilot.refresh_from_db()
    assert pilot.name == "Claims triage"


def test_outsider_updating_a_confidential_pilot_gets_not_found(outsider, confidential_pilot):
    with pytest.raises(Http404):
        services.pilot_update(pilot=confidential_pilot, by=outsider, name="x")


def test_role_assignment_replaces_holder_and_is_audited(owner, pilot):
    first = UserFactory(username="t1", roles=["contributor"])
    second = UserFactory(username="t2", roles=["contributor"])
    services.pilot_role_assign(pilot=pilot, role="technical_owner", user=first, by=owner)
    services.pilot_role_assign(pilot=pilot, role="technical_owner", user=second, by=owner)
    assert PilotRole.objects.get(pilot=pilot, role="technical_owner").user == second
    last = AuditEvent.objects.filter(action="pilot_role.assign").last()
    assert last.before == {"role": "technical_owner", "user": "t1"}
    assert last.after == {"role": "technical_owner", "user": "t2"}


def test_inactive_user_cannot_be_named(owner, pilot):
    gone = UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError) as info:
        services.pilot_role_assign(pilot=pilot, role="risk_lead", user=gone, by=owner)
    assert "user" in info.value.message_dict


def test_business_owner_cannot_be_cleared(owner, pilot):
    with pytest.raises(ValidationError):
        services.pilot_role_assign(pilot=pilot, role="business_owner", user=None, by=owner)


def test_outsider_cannot_assign_roles(outsider, pilot):
    with pytest.raises(PermissionDenied):
        services.pilot_role_assign(pilot=pilot, role="risk_lead", user=outsider, by=outsider)
    assert not PilotRole.objects.filter(user=outsider).exists()


def test_only_admin_moves_a_pilot_directly(owner, admin_user, pilot):
    with pytest.raises(PermissionDenied):
        pilot_transition(pilot=pilot, by=owner, to_stage="scale")
    moved = pilot_transition(pilot=pilot, by=admin_user, to_stage="pilot", reason="test")
    assert moved.stage == "pilot"
    assert AuditEvent.objects.get(action="pilot.transition").after["stage"] == "pilot"


def test_transition_from_a_stale_copy_is_a_conflict(admin_user, pilot):
    stale = Pilot.objects.get(pk=pilot.pk)
    pilot_transition(pilot=pilot, by=admin_user, to_stage="pilot")
    with pytest.raises(Conflict):
        pilot_transition(pilot=stale, by=admin_user, to_stage="readiness")
    pilot.refresh_from_db()
    assert pilot.stage == "pilot"


def test_stopped_pilot_never_moves_again(admin_user, pilot):
    pilot = pilot_transition(pilot=pilot, by=admin_user, to_status="stopped")
    with pytest.raises(Conflict):
        pilot_transition(pilot=pilot, by=admin_user, to_status="active")
