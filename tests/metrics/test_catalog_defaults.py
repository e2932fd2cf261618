"""Catalog default thresholds: drift counts for every pilot unless a workbook says
otherwise (issue 14, item 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics import signal_refresh as signals
from metrics import thresholds
from metrics.models import Alert, MetricDefinition
from metrics.services import snapshots_ingest, snapshots_process
from portfolio.workbooks import models as wb
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def drift(pilot, value: float) -> None:
    at = timezone.now() - timedelta(hours=1)
    snapshots_ingest(
        rows=[{"pilot": pilot.pk, "metric": "drift_score", "observed_at": at, "value": value}],
        source="t",
        process=False,
    )
    metric = MetricDefinition.objects.get(key="drift_score").pk
    snapshots_process(spans=[(pilot.pk, metric, at, at)])


def test_drift_has_a_catalog_default_threshold():
    assert MetricDefinition.objects.get(key="drift_score").default_threshold == 3.0


def test_the_default_applies_to_every_pilot_without_a_workbook_threshold(owner):
    plain, own = PilotFactory(owner=owner), PilotFactory(owner=owner)
    wb.MonitoredMetric.objects.create(pilot=own, metric_id="drift_score", source="x", threshold=5)
    found = thresholds.expectations_for([plain.pk, own.pk])
    drift_lines = {
        (e.pilot_id, e.kind, e.value, e.origin) for e in found if e.metric_key == "drift_score"
    }
    assert drift_lines == {
        (plain.pk, "monitor", 3.0, "catalog"),
        (own.pk, "monitor", 5.0, "workbook"),
    }


def test_a_rollback_trigger_also_overrides_the_default(owner):
    pilot = PilotFactory(owner=owner)
    wb.RollbackTrigger.objects.create(
        pilot=pilot, metric_id="drift_score", threshold=4, action="disable_ai"
    )
    found = [e for e in thresholds.expectations_for([pilot.pk]) if e.metric_key == "drift_score"]
    assert [(e.kind, e.value) for e in found] == [("rollback", 4.0)]


@pytest.mark.parametrize(
    ("score", "status", "alerted"), [(3.0, "unknown", False), (3.5, "high_burden", True)]
)
def test_drift_past_the_default_is_a_reliability_breach_and_an_alert(owner, score, status, alerted):
    pilot = PilotFactory(owner=owner)
    drift(pilot, score)
    facts = signals.compute_many([pilot.pk])[pilot.pk]
    assert facts.signal.reliability.status == status
    assert (
        Alert.objects.filter(
            pilot=pilot, metric_id__in=MetricDefinition.objects.filter(key="drift_score")
        ).exists()
        is alerted
    )
    if alerted:
        assert "Drift score is 3.5, past its threshold 3" in facts.signal.reliability.reasons


def test_a_workbook_threshold_wins_over_the_default(owner):
    pilot = PilotFactory(owner=owner)
    wb.MonitoredMetric.objects.create(pilot=pilot, metric_id="drift_score", source="x", threshold=5)
    drift(pilot, 4)
    assert signals.compute_many([pilot.pk])[pilot.pk].signal.reliability.status == "unknown"
    assert not Alert.objects.filter(pilot=pilot).exists()


def test_the_pilot_page_marks_the_catalog_default(owner, client_for):
    pilot = PilotFactory(owner=owner)
    drift(pilot, 1)
    html = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert "&gt; 3 (catalog default)" in html
