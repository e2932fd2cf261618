"""One breach, one alert: a value breaching several expectations of a metric opens one
alert (the most severe), a worse breach escalates it, and old duplicates are merged."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from accounts.audit import audit_record, audit_verify
from accounts.models import AuditEvent
from metrics.models import Alert
from metrics.thresholds import MetricExpectation
from tests.metrics.test_alerts import ingest_and_process, provider_of

pytestmark = pytest.mark.django_db


def expectation(pilot, kind, op, value, metric="error_rate"):
    return MetricExpectation(pilot.pk, metric, kind, op, value, "")


def test_one_value_breaching_three_expectations_opens_one_alert_carrying_the_stop(pilot):
    provider = provider_of(
        expectation(pilot, "target", "<=", 2),
        expectation(pilot, "monitor", ">", 4),
        expectation(pilot, "stop", ">", 8),
    )
    ingest_and_process(pilot, "error_rate", [9], provider)
    alert = Alert.objects.get()
    assert (alert.kind, alert.op, alert.threshold, alert.action) == ("stop", ">", 8, "end")
    assert AuditEvent.objects.filter(action="alert.open").count() == 1


def test_a_worse_breach_escalates_the_open_alert_instead_of_opening_another(pilot):
    provider = provider_of(
        expectation(pilot, "monitor", ">", 4), expectation(pilot, "rollback", ">", 6)
    )
    ingest_and_process(pilot, "error_rate", [5], provider)
    alert = Alert.objects.get()
    assert alert.kind == "monitor"
    ingest_and_process(pilot, "error_rate", [7], provider, start=timezone.now())
    escalated = Alert.objects.get()
    assert escalated.pk == alert.pk and escalated.opened_at == alert.opened_at
    assert (escalated.kind, escalated.threshold, escalated.observed_value) == ("rollback", 6, 7)
    event = AuditEvent.objects.get(action="alert.escalate")
    assert event.before["kind"] == "monitor" and event.after["kind"] == "rollback"
    # Back to a milder breach: the alert keeps its severity, nothing new opens.
    later = timezone.now() + timedelta(hours=1)
    ingest_and_process(pilot, "error_rate", [5], provider, start=later)
    assert Alert.objects.get().kind == "rollback"
    assert AuditEvent.objects.filter(action__startswith="alert.").count() == 2


def test_breaches_of_two_metrics_are_two_alerts(pilot):
    provider = provider_of(
        expectation(pilot, "rollback", ">", 5),
        expectation(pilot, "rollback", ">", 500, metric="p95_latency_ms"),
    )
    ingest_and_process(pilot, "error_rate", [9], provider)
    ingest_and_process(pilot, "p95_latency_ms", [900], provider)
    assert Alert.objects.filter(status="open").count() == 2


def _insert_duplicates(pilot, metric, rows):
    """Duplicates as the old rule (one per kind) allowed them: drop the index for the insert
    (the test's transaction rolls the DDL back)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX alert_one_unresolved_per_metric")
    now = timezone.now()
    return [
        Alert.objects.create(
            pilot=pilot,
            metric=metric,
            kind=kind,
            op=">",
            threshold=threshold,
            observed_value=9,
            observed_at=now,
            action="investigate",
            opened_at=now - timedelta(minutes=minutes),
            status=status,
            acknowledged_at=now if status == "acknowledged" else None,
        )
        for kind, threshold, minutes, status in rows
    ]


class _Editor:
    """What the migration's function uses of a schema editor (a real one cannot be opened
    inside the test's transaction on SQLite)."""

    connection = connection

    def execute(self, sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_migration_merges_duplicate_open_alerts_into_the_most_severe(pilot):
    from metrics.models import MetricDefinition

    metric = MetricDefinition.objects.get(key="error_rate")
    other = MetricDefinition.objects.get(key="p95_latency_ms")
    target, stop, _monitor = _insert_duplicates(
        pilot,
        metric,
        [("target", 2, 30, "acknowledged"), ("stop", 8, 10, "open"), ("monitor", 4, 20, "open")],
    )
    single = Alert.objects.create(
        pilot=pilot,
        metric=other,
        kind="rollback",
        op=">",
        threshold=500,
        observed_value=900,
        observed_at=timezone.now(),
        action="investigate",
    )
    # A database this migration meets has audited something already, so its audit chains'
    # heads exist (the migration, written before there were several chains, appends to
    # the first one).
    audit_record(actor=None, action="test.setup", object_type="test", object_id=1)
    migration = importlib.import_module("metrics.migrations.0010_alert_one_unresolved_per_metric")
    migration.merge_duplicates(apps, _Editor())
    kept = Alert.objects.get(metric=metric)
    assert kept.pk == stop.pk and kept.kind == "stop"
    assert kept.opened_at == target.opened_at  # the incident began with the first alert
    assert kept.status == "acknowledged" and kept.acknowledged_at == target.acknowledged_at
    assert Alert.objects.filter(pk=single.pk).exists()
    event = AuditEvent.objects.get(action="alert.merge")
    assert event.object_id == str(stop.pk) and event.actor_label == "system"
    assert sorted(d["kind"] for d in event.before["duplicates"]) == ["monitor", "target"]
    assert audit_verify().ok
