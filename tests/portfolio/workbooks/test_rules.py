import pytest

from accounts import rules
from accounts.models import PilotRole
from gates.services import pilot_transition
from portfolio.workbooks.models import EvidenceFile
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_workbooks_are_read_by_everyone_who_sees_the_pilot(
    pilot, confidential_pilot, owner, outsider, executive
):
    assert rules.can_view_workbook(outsider, pilot)
    assert rules.can_view_workbook(executive, confidential_pilot)
    assert rules.can_view_workbook(owner, confidential_pilot)
    assert not rules.can_view_workbook(outsider, confidential_pilot)


def test_edit_rights_by_role_and_phase(pilot, owner, technical_owner, outsider, governance_lead):
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    ops = UserFactory(username="opsl", roles=["contributor"])
    risk = UserFactory(username="riskl", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    PilotRole.objects.create(pilot=pilot, role="risk_lead", user=risk)
    for phase in ("strategy", "data", "deployment", "operations", "monitoring"):
        assert rules.can_edit_workbook(owner, pilot, phase)
        assert rules.can_edit_workbook(technical_owner, pilot, phase)
        assert rules.can_edit_workbook(ops, pilot, phase) == (phase == "operations")
        assert not rules.can_edit_workbook(risk, pilot, phase)
        assert not rules.can_edit_workbook(outsider, pilot, phase)
        assert not rules.can_edit_workbook(governance_lead, pilot, phase)


def test_nobody_edits_a_stopped_pilot(pilot, owner, admin_user):
    stopped = pilot_transition(pilot=pilot, by=admin_user, to_status="stopped", reason="x")
    assert not rules.can_edit_workbook(owner, stopped, "strategy")
    assert not rules.can_edit_workbook(admin_user, stopped, "strategy")
    assert rules.can_view_workbook(owner, stopped)


def test_evidence_is_readable_only_through_its_own_visible_pilot(
    pilot, confidential_pilot, owner, outsider
):
    secret = EvidenceFile.objects.create(
        pilot=confidential_pilot, file="evidence/x.pdf", name="x.pdf", content_type="a", size=1
    )
    public = EvidenceFile.objects.create(
        pilot=pilot, file="evidence/y.pdf", name="y.pdf", content_type="a", size=1
    )
    assert rules.can_read_evidence(owner, secret, confidential_pilot)
    assert not rules.can_read_evidence(outsider, secret, confidential_pilot)
    assert rules.can_read_evidence(outsider, public, pilot)
    # Asking for a file through another pilot never works, even one you can see.
    assert not rules.can_read_evidence(owner, secret, pilot)
    assert not rules.can_read_evidence(outsider, public, PilotFactory(owner=owner))
