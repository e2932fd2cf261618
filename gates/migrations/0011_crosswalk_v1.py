"""Load version 1 of the crosswalk (NIST AI RMF <-> ISO/IEC 42001 Annex A <-> EU AI Act
obligation keys) from the frozen file _crosswalk/0010.json."""

import json
from pathlib import Path

from django.db import migrations

SNAPSHOT = Path(__file__).parent / "_crosswalk" / "0010.json"


def load(apps, schema_editor):
    link = apps.get_model("gates", "CrosswalkLink")
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    version = data["version"]
    if link.objects.filter(version=version).exists():
        return
    link.objects.bulk_create(
        link(version=version, nist=row["nist"], iso=row["iso"], aiact=row["aiact"])
        for row in data["links"]
    )


def unload(apps, schema_editor):
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    apps.get_model("gates", "CrosswalkLink").objects.filter(version=data["version"]).delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0010_crosswalk")]

    operations = [migrations.RunPython(load, unload)]
