"""Readiness -> scale also requires connected, reporting metric sources (DESIGN section 2).

Adds a new criteria version (reviews of the earlier version keep theirs) unless a
governance lead has already changed this gate's criteria.
"""

from django.db import migrations

SOURCES_CRITERIA = [
    {
        "key": "monitoring_sources_reporting",
        "kind": "list_min_rows",
        "label": "A metric source connected and reporting",
        "params": {"phase": "metric_sources", "list": "healthy_sources", "min": 1},
        "mandatory": True,
        "risk_tiers": [],
    },
    {
        "key": "monitoring_sources_healthy",
        "kind": "field_present",
        "label": "No metric source degraded",
        "params": {"phase": "metric_sources", "field": "all_sources_healthy", "equals": True},
        "mandatory": False,
        "risk_tiers": [],
    },
]


def add(apps, schema_editor):
    Gate = apps.get_model("gates", "Gate")
    CriteriaVersion = apps.get_model("gates", "CriteriaVersion")
    gate = Gate.objects.filter(from_stage="readiness", to_stage="scale").first()
    if gate is None:
        return
    versions = list(CriteriaVersion.objects.filter(gate=gate).order_by("-number"))
    if len(versions) != 1:
        return
    current = versions[0]
    keys = {c["key"] for c in current.criteria}
    if keys & {c["key"] for c in SOURCES_CRITERIA}:
        return
    CriteriaVersion.objects.create(
        gate=gate,
        number=current.number + 1,
        criteria=current.criteria + SOURCES_CRITERIA,
        note="Metric sources connected and reporting",
    )


class Migration(migrations.Migration):
    dependencies = [("gates", "0002_default_gates")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
