"""Bring every gate still on a default criteria version to the current defaults.

The current defaults are the frozen copy _defaults/0007.json (gates.engine.DEFAULT_GATES
when this landed: readiness -> scale now holds migration 0003's metric-source criteria, the
pilot -> readiness gate migration 0005's manual-steps warning). A gate whose newest version
equals an earlier default (0002's, or what 0003 and 0005 made of it), in any order, gets a
new version with the current defaults; reviews of the earlier version keep theirs. A gate a
governance lead edited is left alone, and a gate already on the defaults too.
"""

import json
from pathlib import Path

from django.db import migrations

SNAPSHOTS = Path(__file__).parent / "_defaults"
MANUAL_STEPS_KEY = "data_manual_steps_cost"  # migration 0005
SOURCES_KEYS = ("monitoring_sources_reporting", "monitoring_sources_healthy")  # migration 0003


def _snapshot(name: str) -> dict[str, list[dict]]:
    return json.loads((SNAPSHOTS / f"{name}.json").read_text(encoding="utf-8"))


def _same(a: list[dict], b: list[dict]) -> bool:
    """The same criteria, in any order."""

    def canonical(criteria):
        return sorted(json.dumps(c, sort_keys=True) for c in criteria)

    return canonical(a) == canonical(b)


def earlier_defaults(gate_key: str) -> list[list[dict]]:
    """What a database may hold for this gate from the default-loading migrations: 0002's
    copy, without 0005's manual-steps warning (before the defaults had it), and with or
    without 0003's metric-source criteria."""
    first = _snapshot("0002")[gate_key]
    current = _snapshot("0007")[gate_key]
    without_manual = [c for c in first if c["key"] != MANUAL_STEPS_KEY]
    sources = [c for c in current if c["key"] in SOURCES_KEYS]
    candidates = [first, without_manual]
    candidates += [[*criteria, *sources] for criteria in list(candidates)]
    return candidates


def bring_to_defaults(apps, schema_editor):
    Gate = apps.get_model("gates", "Gate")
    CriteriaVersion = apps.get_model("gates", "CriteriaVersion")
    for gate_key, criteria in _snapshot("0007").items():
        from_stage, to_stage = gate_key.split("->")
        gate = Gate.objects.filter(from_stage=from_stage, to_stage=to_stage).first()
        if gate is None:
            continue
        latest = CriteriaVersion.objects.filter(gate=gate).order_by("-number").first()
        if latest is None or _same(latest.criteria, criteria):
            continue
        if not any(_same(latest.criteria, old) for old in earlier_defaults(gate_key)):
            continue  # edited by a governance lead: theirs
        CriteriaVersion.objects.create(
            gate=gate,
            number=latest.number + 1,
            criteria=criteria,
            note="Default criteria brought up to date",
        )


class Migration(migrations.Migration):
    dependencies = [("gates", "0006_review_evidence_files")]

    operations = [migrations.RunPython(bring_to_defaults, migrations.RunPython.noop)]
