import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# TRUNCATE skips row triggers, so the append-only guard needs a statement trigger too.
# Test databases (named test_* by Django) are exempt: test runners empty every table with
# TRUNCATE between tests (a test sets pilotgate.audit_guard = 'strict' to see the guard
# work). The head row may be updated (that is how it moves) but never
# deleted or truncated.
GUARD = """
CREATE OR REPLACE FUNCTION pilotgate_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_database() LIKE 'test\\_%'
            AND coalesce(current_setting('pilotgate.audit_guard', true), '') <> 'strict' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
CREATE TRIGGER accounts_auditevent_no_truncate
    BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION pilotgate_audit_no_truncate();
DROP TRIGGER IF EXISTS accounts_audithead_no_truncate ON accounts_audithead;
CREATE TRIGGER accounts_audithead_no_truncate
    BEFORE TRUNCATE ON accounts_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION pilotgate_audit_no_truncate();
DROP TRIGGER IF EXISTS accounts_audithead_no_delete ON accounts_audithead;
CREATE TRIGGER accounts_audithead_no_delete
    BEFORE DELETE ON accounts_audithead
    FOR EACH ROW EXECUTE FUNCTION pilotgate_audit_append_only();
"""

GUARD_REVERSE = """
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
DROP TRIGGER IF EXISTS accounts_audithead_no_truncate ON accounts_audithead;
DROP TRIGGER IF EXISTS accounts_audithead_no_delete ON accounts_audithead;
DROP FUNCTION IF EXISTS pilotgate_audit_no_truncate();
"""


def install_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_REVERSE, params=None)


def seal_existing_chain(apps, schema_editor):
    """Seal the head of a chain written before heads existed (same formula as audit.py)."""
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    AuditHead = apps.get_model("accounts", "AuditHead")
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    if last is None:
        return
    count = AuditEvent.objects.count()
    message = f"pilotgate-audit-head:{count}:{last[0]}:{last[1]}".encode()
    seal = hmac.new(settings.AUDIT_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()
    AuditHead.objects.create(
        pk=1, count=count, last_id=last[0], last_hash=last[1], seal=seal,
        updated_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_roles_and_audit_guard"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("count", models.BigIntegerField()),
                ("last_id", models.BigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
                ("seal", models.CharField(max_length=64)),
                ("updated_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(seal_existing_chain, migrations.RunPython.noop),
        migrations.RunPython(install_guard, remove_guard),
    ]
