"""Pilot -> readiness warns about the manual steps that keep a pilot running and their
labour cost (DESIGN section 2: "each is a warning with its labor cost").

Adds a new criteria version (reviews of the earlier version keep theirs) unless a
governance lead has already changed this gate's criteria.
"""

from django.db import migrations

MANUAL_STEPS = {
    "key": "data_manual_steps_cost",
    "kind": "manual_steps_cost",
    "label": "Manual steps and their labour cost",
    "params": {},
    "mandatory": False,
    "risk_tiers": [],
}


def add(apps, schema_editor):
    Gate = apps.get_model("gates", "Gate")
    CriteriaVersion = apps.get_model("gates", "CriteriaVersion")
    gate = Gate.objects.filter(from_stage="pilot", to_stage="readiness").first()
    if gate is None:
        return
    versions = list(CriteriaVersion.objects.filter(gate=gate).order_by("-number"))
    if len(versions) != 1:
        return
    current = versions[0]
    if MANUAL_STEPS["key"] in {c["key"] for c in current.criteria}:
        return
    CriteriaVersion.objects.create(
        gate=gate,
        number=current.number + 1,
        criteria=[*current.criteria, MANUAL_STEPS],
        note="Manual steps become a costed warning",
    )


class Migration(migrations.Migration):
    dependencies = [("gates", "0004_waiver_revocation")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
