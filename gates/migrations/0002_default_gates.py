"""Load the default gates and their first criteria version from gates.engine.DEFAULT_GATES.

The criteria are copied as plain dicts at migration time; later edits to DEFAULT_GATES do
not change existing databases (governance leads own the criteria from here on).
"""

from django.db import migrations


def load(apps, schema_editor):
    from gates.engine import DEFAULT_GATES, DEFAULT_QUORUM

    Gate = apps.get_model("gates", "Gate")
    CriteriaVersion = apps.get_model("gates", "CriteriaVersion")
    for (from_stage, to_stage), criteria in DEFAULT_GATES.items():
        gate, _ = Gate.objects.get_or_create(
            from_stage=from_stage, to_stage=to_stage, defaults={"quorum": DEFAULT_QUORUM}
        )
        if not CriteriaVersion.objects.filter(gate=gate).exists():
            CriteriaVersion.objects.create(
                gate=gate,
                number=1,
                criteria=[c.to_dict() for c in criteria],
                note="Default criteria",
            )


def unload(apps, schema_editor):
    apps.get_model("gates", "CriteriaVersion").objects.filter(number=1, created_by=None).delete()
    apps.get_model("gates", "Gate").objects.filter(versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
