from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics import drift
from metrics.models import Alert, MetricDefinition, PilotSignal, Snapshot
from metrics.selectors import portfolio_signals
from metrics.services import drift_compute, snapshots_ingest, snapshots_process
from metrics.signal_refresh import refresh
from metrics.thresholds import MetricExpectation
from portfolio.workbooks.models import MonitoredMetric, RollbackTrigger
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def feed(pilot, values_by_metric, provider=None, days=1):
    """Hourly points over `days` days ending now for each metric."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    ids = dict(MetricDefinition.objects.values_list("key", "id"))
    rows, spans = [], []
    for key, value in values_by_metric.items():
        start = now - timedelta(hours=24 * days - 1)
        points = [
            (start + timedelta(hours=h), value(h) if callable(value) else value)
            for h in range(24 * days)
        ]
        rows += [
            {"pilot": pilot.pk, "metric": key, "observed_at": t, "value": v} for t, v in points
        ]
        spans.append((pilot.pk, ids[key], points[0][0], points[-1][0]))
    for i in range(0, len(rows), 10_000):
        snapshots_ingest(rows=rows[i : i + 10_000], source="t")
    snapshots_process(spans=spans, expectations_provider=provider)


def targets(pilot, **limits):
    out = []
    for key, (op, value) in limits.items():
        out.append(MetricExpectation(pilot.pk, key, "target", op, value, ""))
    return out


def test_healthy_pilot_is_scale_and_weak_value_with_breaches_is_stop(owner):
    good, bad = PilotFactory(owner=owner), PilotFactory(owner=owner)
    expectations = (
        targets(
            good, adoption_rate=(">=", 60), error_rate=("<=", 2), cost_per_transaction=("<=", 1)
        )
        + targets(bad, adoption_rate=(">=", 60), error_rate=("<=", 2))
        + [MetricExpectation(bad.pk, "error_rate", "rollback", ">", 5, "disable_ai")]
    )

    def provider(ids):
        return [e for e in expectations if e.pilot_id in ids]

    feed(good, {"adoption_rate": 75, "error_rate": 1, "cost_per_transaction": 0.4}, provider)
    feed(bad, {"adoption_rate": 20, "error_rate": 9}, provider)
    stored = {s.pilot_id: s for s in PilotSignal.objects.all()}
    assert stored[good.pk].code == "scale"
    assert stored[bad.pk].code == "stop"
    # One alert per breached metric: adoption's missed target, and error rate's missed
    # target and rollback trigger as one alert carrying the more severe (the rollback).
    assert stored[bad.pk].open_alerts == 2
    assert any("Error rate" in r for r in stored[bad.pk].reasons)


def test_portfolio_signals_reads_in_bulk(owner):
    pilots = [PilotFactory(owner=owner) for _ in range(6)]
    for p in pilots[:3]:
        feed(p, {"adoption_rate": 50})
    with CaptureQueriesContext(connection) as few:
        result_few = portfolio_signals([p.pk for p in pilots[:2]])
    with CaptureQueriesContext(connection) as many:
        result_many = portfolio_signals([p.pk for p in pilots])
    assert set(result_many) == {p.pk for p in pilots}
    assert result_few[pilots[0].pk].code == result_many[pilots[0].pk].code
    # Stored signals are one query; the three never fed are computed together.
    assert len(few.captured_queries) == 1
    assert len(many.captured_queries) <= 1 + 9
    assert result_many[pilots[5].pk].code == "insufficient_data"


def test_stale_pilot_is_flagged(owner):
    pilot = PilotFactory(owner=owner, stage="pilot")
    type(pilot).objects.filter(pk=pilot.pk).update(
        stage_entered_at=timezone.now() - timedelta(days=200)
    )
    refresh([pilot.pk])
    assert PilotSignal.objects.get(pilot=pilot).stale


def test_workbook_rollback_trigger_and_monitor_open_alerts_through_the_default_provider(pilot):
    error_rate = MetricDefinition.objects.get(key="error_rate")
    uptime = MetricDefinition.objects.get(key="uptime_pct")
    RollbackTrigger.objects.create(
        pilot=pilot, metric=error_rate, threshold=5, action="reduce_scope"
    )
    MonitoredMetric.objects.create(pilot=pilot, metric=uptime, source="grafana", threshold=99)
    feed(pilot, {"error_rate": 7, "uptime_pct": 98.5})
    alerts = {a.kind: a for a in Alert.objects.filter(pilot=pilot)}
    assert set(alerts) == {"rollback", "monitor"}
    assert (alerts["rollback"].op, alerts["rollback"].action) == (">", "reduce_scope")
    assert (alerts["monitor"].op, alerts["monitor"].threshold) == ("<", 99)
    assert alerts["monitor"].action == "investigate"


def test_shift_score_is_standardized_mean_shift():
    baseline = [10, 12, 10, 12, 10, 12, 10, 12]  # mean 11, pstdev 1
    assert drift.shift_score(baseline, [14, 14, 14]) == pytest.approx(3)
    assert drift.shift_score(baseline, [11, 11, 11]) == 0
    assert drift.shift_score(baseline[:5], [14, 14, 14]) is None  # too little baseline
    # A flat baseline uses a 1% floor instead of dividing by zero.
    assert drift.shift_score([100] * 10, [101] * 3) == pytest.approx(1)


def test_drift_is_stored_as_a_drift_score_snapshot(pilot):
    # 35 days: flat-ish for 28, then a jump in the last 7.
    feed(
        pilot,
        {"p95_latency_ms": lambda h: 800 + (h % 2) * 20 + (400 if h >= 24 * 28 else 0)},
        days=35,
    )
    result = drift_compute(pilot_id=pilot.pk)
    assert result.score is not None and result.score > 3
    assert result.by_metric["p95_latency_ms"] == result.score
    snapshot = Snapshot.objects.get(pilot=pilot, metric__key="drift_score")
    assert snapshot.value == pytest.approx(result.score)
    # Running again within the hour stores nothing new.
    assert drift_compute(pilot_id=pilot.pk).stored == 0


def test_daily_drift_task_fans_out_one_task_per_pilot_with_data(pilot, owner, eager_celery):
    from metrics.tasks import compute_drift_all

    quiet = PilotFactory(owner=owner)
    feed(pilot, {"error_rate": lambda h: 1 + (h % 3) * 0.1}, days=35)
    assert compute_drift_all() == 1
    assert Snapshot.objects.filter(pilot=pilot, metric__key="drift_score").exists()
    assert not Snapshot.objects.filter(pilot=quiet).exists()
