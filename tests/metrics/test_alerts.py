from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent
from config.errors import Conflict
from metrics.models import Alert, MetricDefinition, PilotSignal, Snapshot
from metrics.selectors import incident_minutes, open_alert_count
from metrics.services import alert_acknowledge, alert_resolve, snapshots_ingest, snapshots_process
from metrics.thresholds import MetricExpectation, breached
from outbox.models import Event

pytestmark = pytest.mark.django_db


def provider_of(*expectations):
    def provider(pilot_ids):
        return [e for e in expectations if e.pilot_id in pilot_ids]

    return provider


def ingest_and_process(pilot, metric, values, provider, start=None):
    start = start or timezone.now() - timedelta(hours=len(values))
    rows = [
        {"pilot": pilot.pk, "metric": metric, "observed_at": start + timedelta(hours=i), "value": v}
        for i, v in enumerate(values)
    ]
    snapshots_ingest(rows=rows, source="test")
    metric_id = MetricDefinition.objects.get(key=metric).pk
    spans = [(pilot.pk, metric_id, rows[0]["observed_at"], rows[-1]["observed_at"])]
    snapshots_process(spans=spans, expectations_provider=provider)


def rollback(pilot, metric="error_rate", op=">", value=5.0, action="disable_ai"):
    return MetricExpectation(pilot.pk, metric, "rollback", op, value, action)


def test_breach_of_a_rollback_trigger_opens_one_alert_with_its_action(pilot):
    provider = provider_of(rollback(pilot))
    ingest_and_process(pilot, "error_rate", [2, 3, 8], provider)
    alert = Alert.objects.get()
    assert (alert.kind, alert.op, alert.threshold, alert.observed_value) == ("rollback", ">", 5, 8)
    assert alert.action == "disable_ai" and alert.status == "open"
    event = AuditEvent.objects.get(action="alert.open")
    assert event.pilot_id == pilot.pk and event.after["observed"] == 8
    opened = Event.objects.get(type="alert.opened")
    assert opened.pilot_id == pilot.pk and opened.payload == {
        "alert_id": alert.pk, "metric": "error_rate", "severity": "rollback", "value": 8.0,
        "threshold": 5.0,
    }  # fmt: skip
    # Still breached on the next batch: no second alert while the first is unresolved.
    ingest_and_process(pilot, "error_rate", [9, 12], provider, start=timezone.now())
    assert Alert.objects.count() == 1
    assert open_alert_count(pilot.pk) == 1


def test_latest_value_decides_not_the_worst(pilot):
    ingest_and_process(pilot, "error_rate", [9, 1], provider_of(rollback(pilot)))
    assert not Alert.objects.exists()


def test_target_is_judged_only_after_its_date(pilot):
    today = timezone.now().date()
    later = MetricExpectation(
        pilot.pk, "adoption_rate", "target", ">=", 60, "", today + timedelta(5)
    )
    ingest_and_process(pilot, "adoption_rate", [40], provider_of(later))
    assert not Alert.objects.exists()
    due = MetricExpectation(pilot.pk, "adoption_rate", "target", ">=", 60, "", today)
    ingest_and_process(pilot, "adoption_rate", [41], provider_of(due), start=timezone.now())
    alert = Alert.objects.get()
    assert (alert.kind, alert.action) == ("target", "revise")


def test_stop_condition_met_marks_the_pilot_stop_recommended(pilot):
    stop = MetricExpectation(pilot.pk, "bypass_rate", "stop", ">", 30, "end", None)
    ingest_and_process(pilot, "bypass_rate", [45], provider_of(stop))
    signal = PilotSignal.objects.get(pilot=pilot)
    assert signal.stop_recommended
    assert "Bypass rate is 45%" in signal.stop_reason
    pilot.refresh_from_db()
    assert pilot.status == "active"  # advice only; gates.services changes status


@pytest.mark.parametrize(
    "kind,op,limit,observed,by_date,expected",
    [
        ("rollback", ">", 5, 5, None, False),
        ("rollback", ">=", 5, 5, None, True),
        ("monitor", "<", 99, 98.5, None, True),
        ("stop", "<", 20, 10, date(2999, 1, 1), False),
        ("stop", "<", 20, 10, date(2000, 1, 1), True),
        ("target", ">=", 60, 70, None, False),
        ("target", "<=", 800, 900, None, True),
        ("rollback", "~", 5, 50, None, False),
    ],
)
def test_breach_rules(kind, op, limit, observed, by_date, expected):
    e = MetricExpectation(1, "error_rate", kind, op, limit, "", by_date)
    assert breached(e, observed, date(2026, 11, 26)) is expected


@pytest.fixture
def open_alert(pilot):
    ingest_and_process(pilot, "error_rate", [8], provider_of(rollback(pilot)))
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(opened_at=timezone.now() - timedelta(minutes=90))
    alert.refresh_from_db()
    return alert


def test_operations_lead_acknowledges_and_owner_resolves(
    open_alert, pilot_with_ops, ops_lead, owner, django_capture_on_commit_callbacks
):
    alert = alert_acknowledge(alert=open_alert, by=ops_lead)
    assert alert.status == "acknowledged" and alert.acknowledged_by == ops_lead
    assert AuditEvent.objects.filter(action="alert.acknowledge", object_id=str(alert.pk)).exists()
    with pytest.raises(Conflict):
        alert_acknowledge(alert=alert, by=ops_lead)
    alert = alert_resolve(alert=alert, by=owner, note="Rolled back to v1 <b>now</b>")
    assert alert.status == "resolved" and alert.resolved_by == owner
    assert alert.resolution_note == "Rolled back to v1 <b>now</b>"
    event = AuditEvent.objects.get(action="alert.resolve")
    assert event.actor == owner and event.after["status"] == "resolved"
    resolved = Event.objects.get(type="alert.resolved")
    assert resolved.actor == owner and resolved.payload["alert_id"] == alert.pk
    with pytest.raises(Conflict):
        alert_resolve(alert=alert, by=owner)
    assert open_alert_count(pilot_with_ops.pk) == 0


def test_resolving_records_the_incident_time_as_rollback_mttr(open_alert, owner):
    alert = alert_resolve(alert=open_alert, by=owner)
    assert incident_minutes(alert.pilot_id) == [pytest.approx(90, abs=0.5)]
    mttr = Snapshot.objects.get(metric__key="rollback_mttr_minutes", pilot_id=alert.pilot_id)
    assert mttr.value == pytest.approx(90, abs=0.5)
    assert mttr.observed_at == alert.resolved_at
    # Resolving without acknowledging first fills the acknowledgement too.
    assert alert.acknowledged_by == owner


def test_after_resolution_a_new_breach_opens_a_new_alert(open_alert, owner, pilot):
    alert_resolve(alert=open_alert, by=owner)
    ingest_and_process(
        pilot, "error_rate", [11], provider_of(rollback(pilot)), start=timezone.now()
    )
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(status="open").count() == 1


def test_wrong_actors_cannot_manage_alerts(open_alert, outsider, executive, governance_lead):
    for user in (outsider, executive, governance_lead):
        with pytest.raises(PermissionDenied):
            alert_acknowledge(alert=open_alert, by=user)
        with pytest.raises(PermissionDenied):
            alert_resolve(alert=open_alert, by=user)
    open_alert.refresh_from_db()
    assert open_alert.status == "open"


def test_hidden_pilot_alert_is_404_for_outsider(confidential_pilot, outsider):
    provider = provider_of(rollback(confidential_pilot))
    ingest_and_process(confidential_pilot, "error_rate", [8], provider)
    alert = Alert.objects.get()
    with pytest.raises(Http404):
        alert_acknowledge(alert=alert, by=outsider)
