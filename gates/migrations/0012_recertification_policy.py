from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion
import django.utils.timezone

# The shipped defaults: a high-risk pilot at scale is reviewed again every 6 months, a
# medium one every 12, a low one every 18 (governance leads change them on the policy page).
DEFAULTS = {"high": 6, "medium": 12, "low": 18}


def load_defaults(apps, schema_editor):
    Policy = apps.get_model("gates", "RecertificationPolicy")
    for tier, months in DEFAULTS.items():
        Policy.objects.get_or_create(risk_tier=tier, defaults={"months": months})


class Migration(migrations.Migration):

    dependencies = [
        ("gates", "0011_crosswalk_v1"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RecertificationPolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("risk_tier", models.CharField(max_length=16, unique=True)),
                ("months", models.PositiveSmallIntegerField(help_text="Months between recertifications of a pilot at scale with this risk tier.")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["id"],
                "constraints": [models.CheckConstraint(condition=models.Q(("months__gte", 1), ("months__lte", 60)), name="recertification_months_range")],
            },
        ),
        migrations.RunPython(load_defaults, migrations.RunPython.noop),
    ]
