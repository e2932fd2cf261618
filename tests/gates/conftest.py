import pytest

from gates.models import CriteriaVersion, Gate
from tests.factories import PilotFactory, UserFactory

# One mandatory criterion the tests control through the pilot's roles: the gate passes once
# a technical owner is named. An advisory one shows that advisory failures never block.
SIMPLE_CRITERIA = [
    {
        "key": "technical_owner_named",
        "kind": "roles_named",
        "label": "Technical owner named",
        "params": {"roles": ["technical_owner"]},
        "mandatory": True,
        "risk_tiers": [],
    },
    {
        "key": "risk_lead_named",
        "kind": "roles_named",
        "label": "Risk lead named",
        "params": {"roles": ["risk_lead"]},
        "mandatory": False,
        "risk_tiers": [],
    },
]


@pytest.fixture
def simple_gates(db):
    """Every gate gets a new criteria version with SIMPLE_CRITERIA (facts the tests control)."""
    versions = {}
    for gate in Gate.objects.all():
        number = gate.versions.count() + 1
        versions[(gate.from_stage, gate.to_stage)] = CriteriaVersion.objects.create(
            gate=gate, number=number, criteria=SIMPLE_CRITERIA, note="test"
        )
    return versions


@pytest.fixture
def ready_pilot(owner, technical_owner, simple_gates):
    """A pilot whose next gate passes: it has a technical owner."""
    from accounts.models import PilotRole

    pilot = PilotFactory(name="Ready pilot", owner=owner, risk_tier="medium")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    return pilot


@pytest.fixture
def high_risk_pilot(owner, technical_owner, simple_gates):
    from accounts.models import PilotRole

    pilot = PilotFactory(name="High risk pilot", owner=owner, risk_tier="high")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    return pilot


@pytest.fixture
def third_governance_lead(db):
    return UserFactory(username="govlead3", roles=["governance_lead"])
