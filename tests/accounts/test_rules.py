import pytest

from accounts import rules
from accounts.models import PilotRole
from portfolio.models import Pilot, Status
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_outsider_sees_open_pilot_but_not_confidential(outsider, pilot, confidential_pilot):
    assert rules.can_view_pilot(outsider, pilot)
    assert not rules.can_view_pilot(outsider, confidential_pilot)
    visible = set(rules.visible_pilots(outsider, Pilot.objects.all()))
    assert visible == {pilot}


@pytest.mark.parametrize("actor", ["governance_lead", "executive", "admin_user", "owner"])
def test_privileged_roles_and_role_holders_see_confidential_pilots(
    request, actor, confidential_pilot
):
    user = request.getfixturevalue(actor)
    assert rules.can_view_pilot(user, confidential_pilot)
    assert confidential_pilot in rules.visible_pilots(user, Pilot.objects.all())


def test_any_role_holder_sees_a_confidential_pilot(confidential_pilot):
    ops = UserFactory(username="ops", roles=["contributor"])
    PilotRole.objects.create(pilot=confidential_pilot, role="operations_lead", user=ops)
    assert rules.can_view_pilot(ops, confidential_pilot)


def test_anonymous_and_inactive_users_see_nothing(pilot, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    inactive = UserFactory(username="gone", roles=["executive"], is_active=False)
    for user in (AnonymousUser(), inactive):
        assert not rules.can_view_pilot(user, pilot)
        assert not rules.visible_pilots(user, Pilot.objects.all()).exists()


def test_only_owners_and_admins_edit_a_pilot(
    owner, outsider, governance_lead, executive, admin_user, pilot
):
    technical = UserFactory(username="tech", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical)
    assert rules.can_edit_pilot(owner, pilot)
    assert rules.can_edit_pilot(technical, pilot)
    assert rules.can_edit_pilot(admin_user, pilot)
    for user in (outsider, governance_lead, executive):
        assert not rules.can_edit_pilot(user, pilot)


def test_stopped_pilot_is_read_only_for_everyone(owner, admin_user):
    stopped = PilotFactory(status=Status.STOPPED, owner=owner)
    assert not rules.can_edit_pilot(owner, stopped)
    assert not rules.can_edit_pilot(admin_user, stopped)
    assert not rules.can_edit_workbook(owner, stopped, "strategy")


def test_operations_lead_edits_only_the_operations_workbook(pilot):
    ops = UserFactory(username="ops", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    assert rules.can_edit_workbook(ops, pilot, "operations")
    assert not rules.can_edit_workbook(ops, pilot, "strategy")


def test_only_contributors_and_admins_register_pilots(
    owner, executive, governance_lead, admin_user
):
    assert rules.can_create_pilot(owner)
    assert rules.can_create_pilot(admin_user)
    assert not rules.can_create_pilot(executive)
    assert not rules.can_create_pilot(governance_lead)


def test_only_business_owner_or_admin_assign_roles(owner, pilot, admin_user):
    technical = UserFactory(username="tech", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical)
    assert rules.can_assign_roles(owner, pilot)
    assert rules.can_assign_roles(admin_user, pilot)
    assert not rules.can_assign_roles(technical, pilot)


def test_denials_are_written_to_the_security_log(outsider, pilot, caplog):
    from django.core.exceptions import PermissionDenied

    with caplog.at_level("WARNING", logger="pilotgate.security"), pytest.raises(PermissionDenied):
        rules.ensure(
            rules.can_edit_pilot(outsider, pilot), outsider, "edit_pilot", f"pilot:{pilot.pk}"
        )
    assert f"user={outsider.pk} action=edit_pilot target=pilot:{pilot.pk}" in caplog.text
