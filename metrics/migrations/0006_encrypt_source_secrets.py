"""Encrypt the secret header values of metric sources at rest.

The column is widened to text first (a token is about a third longer than its plaintext),
existing values are encrypted while the historical field still reads them as they are
stored, and only then does the field become the encrypting one.
"""

from django.db import migrations, models

import config.encryption


def encrypt_existing(apps, schema_editor):
    from config.encryption import encrypt, opens

    MetricSource = apps.get_model("metrics", "MetricSource")
    stored = MetricSource.objects.exclude(secret_header_value="").values_list(
        "pk", "secret_header_value"
    )
    for pk, value in stored:
        if not opens(value):  # skip a value already encrypted (a re-run)
            MetricSource.objects.filter(pk=pk).update(secret_header_value=encrypt(value))


def decrypt_existing(apps, schema_editor):
    from config.encryption import decrypt, opens

    MetricSource = apps.get_model("metrics", "MetricSource")
    stored = MetricSource.objects.exclude(secret_header_value="").values_list(
        "pk", "secret_header_value"
    )
    for pk, value in stored:
        if opens(value):
            MetricSource.objects.filter(pk=pk).update(secret_header_value=decrypt(value))


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_rollup_portfolio_trend_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="metricsource",
            name="secret_header_value",
            field=models.TextField(blank=True, max_length=4000),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.AlterField(
            model_name="metricsource",
            name="secret_header_value",
            field=config.encryption.EncryptedTextField(blank=True, max_length=4000),
        ),
    ]
