"""gates.services.pilots_move_stage: many administrative moves under pilot_transition's rule,
each audited and published, the audit chain intact."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.audit import audit_verify
from accounts.models import AuditEvent
from accounts.system import SYSTEM
from config.errors import Conflict
from gates.services import pilots_move_stage
from outbox.models import Event
from portfolio.models import Pilot
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def test_an_admin_moves_many_pilots_each_audited(admin_user, owner):
    pilots = [PilotFactory(owner=owner) for _ in range(3)]
    moved = pilots_move_stage(
        moves=[(pilots[0], "pilot"), (pilots[1], "scale"), (pilots[2], "discovery")],
        by=admin_user, reason="Imported from x.csv",
    )  # fmt: skip
    assert moved == 2  # the third is already in discovery
    assert dict(Pilot.objects.values_list("pk", "stage")) == {
        pilots[0].pk: "pilot", pilots[1].pk: "scale", pilots[2].pk: "discovery",
    }  # fmt: skip
    events = AuditEvent.objects.filter(action="pilot.transition").order_by("id")
    assert [(e.pilot_id, e.actor_id, e.after["stage"]) for e in events] == [
        (pilots[0].pk, admin_user.pk, "pilot"),
        (pilots[1].pk, admin_user.pk, "scale"),
    ]
    assert events[0].after["reason"] == "Imported from x.csv"
    assert Event.objects.filter(type="pilot.stage_changed").count() == 2
    assert audit_verify().ok


@pytest.mark.parametrize("actor", ["owner", "governance_lead"])
def test_only_those_who_may_move_a_pilot_do(request, owner, actor):
    pilot = PilotFactory(owner=owner)
    with pytest.raises(PermissionDenied):
        pilots_move_stage(moves=[(pilot, "scale")], by=request.getfixturevalue(actor))
    assert Pilot.objects.get(pk=pilot.pk).stage == "discovery"


def test_a_stopped_pilot_does_not_move(owner):
    pilot = PilotFactory(owner=owner, status="stopped")
    with pytest.raises(Conflict):
        pilots_move_stage(moves=[(pilot, "scale")], by=SYSTEM)


def test_a_pilot_changed_meanwhile_moves_none(admin_user, owner):
    first, second = PilotFactory(owner=owner), PilotFactory(owner=owner)
    Pilot.objects.filter(pk=second.pk).update(stage="pilot")  # the objects are stale now
    with pytest.raises(Conflict):
        pilots_move_stage(moves=[(first, "scale"), (second, "scale")], by=admin_user)
    assert Pilot.objects.get(pk=first.pk).stage == "discovery"
