from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import audit_record
from config.encryption import rotate_all


class Command(BaseCommand):
    help = (
        "Encrypt every stored secret again with the first key of FIELD_ENCRYPTION_KEY. "
        "Rotation: put the new key first, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = rotate_all()
            # Counts only: which values were rewritten, never what they hold.
            audit_record(
                actor=None,
                action="encryption.rotate",
                object_type="config.field_encryption",
                object_id="FIELD_ENCRYPTION_KEY",
                after={"rewritten": counts},
            )
        total = sum(counts.values())
        detail = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} values ({detail})."))
