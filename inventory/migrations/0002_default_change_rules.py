"""The change rules shipped by default (governance leads edit them afterwards).

Material: what changes the system's behaviour, its data or who processes it. Minor:
bookkeeping that changes neither. An aspect without a rule is material (services)."""

from django.db import migrations

MINOR, MATERIAL = "minor", "material"

DEFAULT_RULES = [
    # (asset kind, aspect, risk tier or "" for every tier, classification, explanation)
    ("model", "added", "", MATERIAL, "A new model in a live pilot changes its behaviour."),
    ("model", "removed", "", MATERIAL, "Taking a model out changes what the pilot does."),
    ("model", "provider", "", MATERIAL, "Another provider: another model and data route."),
    ("model", "name", "", MATERIAL, "Another model family behaves differently."),
    ("model", "version", "", MATERIAL, "A new version can change outputs; re-test it."),
    ("model", "hosting", "", MATERIAL, "Moving between vendor API and self-hosting moves data."),
    ("model", "vendor", "", MATERIAL, "Another vendor processes the data."),
    ("model", "licence", "", MINOR, "Record the licence; legal checks it outside a review."),
    ("model", "general_purpose", "", MINOR, "A label of the model, not of its behaviour."),
    ("prompt", "added", "", MINOR, "A new prompt is recorded; its content is versioned."),
    ("prompt", "removed", "", MINOR, "Removing a prompt is recorded."),
    ("prompt", "identifier", "", MATERIAL, "Another prompt altogether."),
    ("prompt", "content", "", MINOR, "A prompt edit in a low or medium risk pilot."),
    ("prompt", "content", "high", MATERIAL, "A prompt edit in a high-risk pilot is reviewed."),
    ("dataset", "added", "", MATERIAL, "New data in a live pilot needs a legal check."),
    ("dataset", "removed", "", MINOR, "Less data: recorded."),
    ("dataset", "name", "", MATERIAL, "Another dataset."),
    ("dataset", "personal_data_categories", "", MATERIAL, "Other personal data."),
    ("dataset", "legal_basis", "", MATERIAL, "Another legal basis for processing."),
    ("dataset", "owner", "", MINOR, "A new data owner is recorded."),
    ("dataset", "retention", "", MINOR, "Retention is recorded; the owner answers for it."),
    ("vendor", "added", "", MATERIAL, "A new vendor processes the pilot's data."),
    ("vendor", "removed", "", MINOR, "One vendor fewer: recorded."),
    ("vendor", "name", "", MATERIAL, "Another vendor."),
    ("vendor", "data_residency", "", MATERIAL, "Data kept in another place."),
    ("vendor", "risk_rating", "", MATERIAL, "A vendor with another risk rating."),
    ("vendor", "dpa_signed_on", "", MINOR, "A renewed data-processing agreement."),
]


def load(apps, schema_editor):
    ChangeRule = apps.get_model("inventory", "ChangeRule")
    for kind, aspect, tier, classification, explanation in DEFAULT_RULES:
        ChangeRule.objects.get_or_create(
            asset_kind=kind, aspect=aspect, risk_tier=tier,
            defaults={"classification": classification, "explanation": explanation},
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
