"""The audit becomes several hash chains, each with its own lock and sealed head.

Every existing event stays where it is, unchanged and verifiable: it is chain 1, whose
hash formula and seal are those of the single chain before. When the audit has begun
(its head exists), the other chains get their empty, sealed heads now, so the verifier
finds a head for every chain.
"""

from django.db import migrations, models
from django.utils import timezone

CHAINS_AT_THIS_MIGRATION = 16
GENESIS_HASH = "0" * 64


def open_chains(apps, schema_editor):
    from accounts.audit import head_seal

    AuditHead = apps.get_model("accounts", "AuditHead")
    if not AuditHead.objects.filter(pk=1).exists():
        return  # nothing audited yet: the first append opens every head
    AuditHead.objects.bulk_create(
        [
            AuditHead(
                pk=chain,
                count=0,
                last_id=0,
                last_hash=GENESIS_HASH,
                seal=head_seal(count=0, last_id=0, last_hash=GENESIS_HASH, chain=chain),
                updated_at=timezone.now(),
            )
            for chain in range(2, CHAINS_AT_THIS_MIGRATION + 1)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_head"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="accounts_audit_chain_id"),
        ),
        migrations.RunPython(open_chains, migrations.RunPython.noop),
    ]
