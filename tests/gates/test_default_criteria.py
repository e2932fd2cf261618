"""The default criteria have one source (gates.engine.DEFAULT_GATES); databases reach it
through migrations that read frozen snapshots of it (gates/migrations/_defaults)."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps

import gates.migrations
from gates.engine import DEFAULT_GATES
from gates.models import CriteriaVersion, Gate

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(gates.migrations.__file__).parent / "_defaults"
MIGRATION = importlib.import_module("gates.migrations.0007_default_criteria_current")


def as_data(gates=DEFAULT_GATES) -> dict:
    return {f"{a}->{b}": [c.to_dict() for c in criteria] for (a, b), criteria in gates.items()}


def test_the_newest_snapshot_is_the_defaults():
    newest = sorted(SNAPSHOTS.glob("*.json"))[-1]
    assert json.loads(newest.read_text(encoding="utf-8")) == as_data(), (
        "DEFAULT_GATES changed: add the next snapshot and a migration like 0007"
    )


def test_a_fresh_database_holds_the_defaults_as_every_gates_current_criteria():
    for (from_stage, to_stage), criteria in DEFAULT_GATES.items():
        gate = Gate.objects.get(from_stage=from_stage, to_stage=to_stage)
        current = gate.versions.order_by("-number").first()
        assert current.criteria == [c.to_dict() for c in criteria], (from_stage, to_stage)


def test_the_scale_gate_asks_for_reporting_metric_sources_by_default():
    keys = {c.key for c in DEFAULT_GATES[("readiness", "scale")]}
    assert {"monitoring_sources_reporting", "monitoring_sources_healthy"} <= keys


def _give(gate: Gate, criteria: list[dict]) -> CriteriaVersion:
    number = gate.versions.order_by("-number").first().number + 1
    return CriteriaVersion.objects.create(gate=gate, number=number, criteria=criteria)


def test_a_gate_on_an_earlier_default_is_brought_to_the_current_defaults():
    gate = Gate.objects.get(from_stage="readiness", to_stage="scale")
    earlier = json.loads((SNAPSHOTS / "0002.json").read_text(encoding="utf-8"))["readiness->scale"]
    old = _give(gate, list(reversed(earlier)))  # the same criteria in another order

    MIGRATION.bring_to_defaults(apps, None)

    current = gate.versions.order_by("-number").first()
    assert current.number == old.number + 1
    assert current.criteria == as_data()["readiness->scale"]
    assert CriteriaVersion.objects.get(pk=old.pk).criteria == list(reversed(earlier))


def test_a_gate_a_governance_lead_edited_is_left_alone():
    gate = Gate.objects.get(from_stage="readiness", to_stage="scale")
    earlier = json.loads((SNAPSHOTS / "0002.json").read_text(encoding="utf-8"))["readiness->scale"]
    edited = [dict(c, mandatory=False) if c["key"] == "no_open_alerts" else c for c in earlier]
    mine = _give(gate, edited)

    MIGRATION.bring_to_defaults(apps, None)

    assert gate.versions.order_by("-number").first().pk == mine.pk


def test_gates_already_on_the_defaults_get_no_new_version():
    before = CriteriaVersion.objects.count()
    MIGRATION.bring_to_defaults(apps, None)
    assert CriteriaVersion.objects.count() == before
