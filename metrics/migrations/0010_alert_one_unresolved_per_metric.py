"""One unresolved alert per (pilot, metric): a value breaching several expectations at once is
one breach. Existing duplicates are merged first: the most severe alert of each group stays
(stop, rollback, monitoring, target; the oldest on a tie), takes the group's earliest
opening and acknowledgement, and the others are removed, each merge written to the audit
chain (same formula as accounts/audit.py, with the models as of this migration)."""

from django.db import migrations, models
from django.utils import timezone

SEVERITY = {"stop": 3, "rollback": 2, "monitor": 1, "target": 0}
_ADVISORY_LOCK_KEY = 7_402_110_551  # accounts/audit.py's chain lock


def _append_audit(apps, schema_editor, *, object_id, pilot_id, before, after):
    from accounts.audit import compute_hash, head_seal, to_jsonable

    AuditEvent = apps.get_model("accounts", "AuditEvent")
    AuditHead = apps.get_model("accounts", "AuditHead")
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
    before, after = to_jsonable(before), to_jsonable(after)
    prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = prev_hash or "0" * 64
    created_at = timezone.now()
    fields = dict(
        actor_id=None,
        actor_label="system",
        action="alert.merge",
        object_type="metrics.alert",
        object_id=str(object_id),
        pilot_id=pilot_id,
        before=before,
        after=after,
        created_at=created_at,
    )
    digest = compute_hash(prev_hash=prev_hash, **fields)
    event = AuditEvent.objects.create(prev_hash=prev_hash, hash=digest, **fields)
    head = AuditHead.objects.filter(pk=1).values_list("count", flat=True).first()
    count = head + 1 if head is not None else AuditEvent.objects.count()
    AuditHead.objects.update_or_create(
        pk=1,
        defaults={
            "count": count,
            "last_id": event.id,
            "last_hash": digest,
            "seal": head_seal(count=count, last_id=event.id, last_hash=digest),
            "updated_at": timezone.now(),
        },
    )


def merge_duplicates(apps, schema_editor):
    Alert = apps.get_model("metrics", "Alert")
    groups: dict[tuple[int, int], list] = {}
    for alert in Alert.objects.exclude(status="resolved").order_by("opened_at", "id"):
        groups.setdefault((alert.pilot_id, alert.metric_id), []).append(alert)
    for (pilot_id, _metric_id), alerts in groups.items():
        if len(alerts) < 2:
            continue
        keep = max(alerts, key=lambda a: (SEVERITY.get(a.kind, -1), -a.opened_at.timestamp()))
        others = [a for a in alerts if a.pk != keep.pk]
        before = {"opened_at": keep.opened_at, "status": keep.status}
        keep.opened_at = min(a.opened_at for a in alerts)
        seen = [a for a in alerts if a.acknowledged_at is not None]
        if seen and keep.acknowledged_at is None:
            first = min(seen, key=lambda a: a.acknowledged_at)
            keep.status = "acknowledged"
            keep.acknowledged_at = first.acknowledged_at
            keep.acknowledged_by_id = first.acknowledged_by_id
        keep.save(update_fields=["opened_at", "status", "acknowledged_at", "acknowledged_by"])
        before["duplicates"] = [
            {
                "kind": a.kind,
                "threshold": f"{a.op} {a.threshold:g}",
                "observed": a.observed_value,
                "status": a.status,
                "opened_at": a.opened_at,
            }
            for a in others
        ]
        Alert.objects.filter(pk__in=[a.pk for a in others]).delete()
        _append_audit(
            apps,
            schema_editor,
            object_id=keep.pk,
            pilot_id=pilot_id,
            before=before,
            after={"opened_at": keep.opened_at, "status": keep.status, "duplicates": []},
        )
    if schema_editor.connection.vendor == "postgresql":
        # Fire the deferred foreign-key checks now: PostgreSQL refuses to change the table's
        # indexes below while trigger events are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_head"),
        ("metrics", "0009_signal_explanation_catalog_defaults"),
    ]

    operations = [
        migrations.RunPython(merge_duplicates, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="alert",
            name="alert_one_unresolved_per_threshold",
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "resolved"), _negated=True),
                fields=("pilot", "metric"),
                name="alert_one_unresolved_per_metric",
            ),
        ),
    ]
