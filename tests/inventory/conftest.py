from importlib import import_module

import pytest
from django.apps import apps as django_apps

from accounts.models import PilotRole
from gates.models import CriteriaVersion, Gate
from inventory.models import AIModel, ChangeRule, PilotAsset, Vendor
from tests.factories import PilotFactory

load_rules = import_module("inventory.migrations.0002_default_change_rules").load

# The gate into the pilot's stage supplies a change review's criteria: one the tests control.
CRITERIA = [
    {
        "key": "technical_owner_named",
        "kind": "roles_named",
        "label": "Technical owner named",
        "params": {"roles": ["technical_owner"]},
        "mandatory": True,
        "risk_tiers": [],
    }
]


@pytest.fixture
def change_rules(db):
    """The default rules (a transactional test's flush removes the migration's rows)."""
    if not ChangeRule.objects.exists():
        load_rules(django_apps, None)
    for gate in Gate.objects.all():
        CriteriaVersion.objects.create(
            gate=gate, number=gate.versions.count() + 1, criteria=CRITERIA, note="test"
        )


@pytest.fixture
def vendor(db):
    return Vendor.objects.create(name="Modelworks", data_residency="EU", risk_rating="medium")


@pytest.fixture
def model_v1(vendor):
    return AIModel.objects.create(
        provider="Modelworks", name="Writer", version="2024-05", vendor=vendor
    )


@pytest.fixture
def model_v2(vendor):
    return AIModel.objects.create(
        provider="Modelworks", name="Writer", version="2024-08", vendor=vendor
    )


def make_pilot(owner, technical_owner, *, stage="scale", risk_tier="medium", **kwargs):
    pilot = PilotFactory(owner=owner, stage=stage, risk_tier=risk_tier, **kwargs)
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    return pilot


@pytest.fixture
def scaled_pilot(owner, technical_owner, change_rules):
    return make_pilot(owner, technical_owner, stage="scale", name="Claims drafting")


@pytest.fixture
def scaled_link(scaled_pilot, model_v1):
    return PilotAsset.objects.create(
        pilot=scaled_pilot, kind="model", model=model_v1, purpose="Drafts replies"
    )
