"""Load the default gates and their first criteria version.

The criteria come from the frozen copy of gates.engine.DEFAULT_GATES as it stood when this
migration landed (_defaults/0002.json): later edits to DEFAULT_GATES reach databases through
their own migrations (0007), so this one does the same on a fresh database forever.
"""

import json
from pathlib import Path

from django.db import migrations

SNAPSHOT = Path(__file__).parent / "_defaults" / "0002.json"


def load(apps, schema_editor):
    from gates.engine import DEFAULT_QUORUM

    Gate = apps.get_model("gates", "Gate")
    CriteriaVersion = apps.get_model("gates", "CriteriaVersion")
    for gate_key, criteria in json.loads(SNAPSHOT.read_text(encoding="utf-8")).items():
        from_stage, to_stage = gate_key.split("->")
        gate, _ = Gate.objects.get_or_create(
            from_stage=from_stage, to_stage=to_stage, defaults={"quorum": DEFAULT_QUORUM}
        )
        if not CriteriaVersion.objects.filter(gate=gate).exists():
            CriteriaVersion.objects.create(
                gate=gate,
                number=1,
                criteria=criteria,
                note="Default criteria",
            )


def unload(apps, schema_editor):
    apps.get_model("gates", "CriteriaVersion").objects.filter(number=1, created_by=None).delete()
    apps.get_model("gates", "Gate").objects.filter(versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
