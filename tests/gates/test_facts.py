"""gates.collect assembles real workbook, metric and alert data for the engine."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gates import selectors
from gates.collect import metric_limits_for, pilot_facts
from gates.models import Gate
from metrics.models import MetricDefinition, MetricRollup
from portfolio.workbooks.demo import fill
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def users_of(owner, technical_owner):
    return {"olivia": owner, "tom": technical_owner}


@pytest.fixture
def filled_pilot(owner, technical_owner):
    from accounts.models import PilotRole

    pilot = PilotFactory(owner=owner, name="Filled")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    fill(pilot, users_of(owner, technical_owner), stage="scale")
    return pilot


def test_default_discovery_gate_passes_on_a_complete_strategy_workbook(filled_pilot):
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    result = selectors.pilot_evaluation(pilot=filled_pilot, gate=gate, now=timezone.now())
    assert result.evaluation.passed, result.evaluation.blocking


def test_default_discovery_gate_fails_on_an_empty_pilot_with_actionable_reasons(owner):
    pilot = PilotFactory(owner=owner)
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    result = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now())
    reasons = {r.criterion_key: r.reason for r in result.evaluation.blocking}
    assert reasons["strategy_kpi"] == "Strategy workbook: KPI is not filled in"
    assert reasons["strategy_success_metrics"].startswith("No success metrics")


def test_targets_and_thresholds_come_from_the_workbooks(filled_pilot):
    targets, thresholds = metric_limits_for(filled_pilot)
    assert targets["hallucination_rate"] == 2 and targets["tool_call_success_rate"] == 97
    # The monitoring plan's alert line wins over the stop condition (8) for the same metric.
    assert thresholds["hallucination_rate"] == 3
    assert thresholds["adoption_rate"] == 20


def test_daily_rollups_and_open_alerts_reach_the_engine(filled_pilot):
    now = timezone.now()
    metric = MetricDefinition.objects.get(key="p95_latency_ms")
    day = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    MetricRollup.objects.create(
        pilot=filled_pilot,
        metric=metric,
        period="day",
        bucket_start=day,
        count=4,
        minimum=700,
        maximum=1300,
        total=3600,
        p95=1240,
        last=900,
        last_at=day + timedelta(hours=20),
    )
    facts = pilot_facts(filled_pilot, now=now)
    rollups = facts.metrics["p95_latency_ms"]
    assert [(r.day, r.count, r.p95) for r in rollups] == [(day.date(), 4, 1240)]
    assert facts.open_alerts == 0
    assert facts.test_results["functional"] in {"passed", "not_run", "failed", "waived"}
    assert facts.roles["technical_owner"] == "techowner"


def test_readiness_gate_requires_a_reporting_metric_source(filled_pilot):
    from metrics.models import MetricSource

    gate = Gate.objects.get(from_stage="readiness", to_stage="scale")
    version = gate.versions.order_by("-number").first()
    assert "monitoring_sources_reporting" in [c["key"] for c in version.criteria]

    def results():
        evaluation = selectors.pilot_evaluation(pilot=filled_pilot, gate=gate, now=timezone.now())
        return {r.criterion_key: r for r in evaluation.evaluation.results}

    assert results()["monitoring_sources_reporting"].status == "fail"
    source = MetricSource.objects.create(
        pilot=filled_pilot, kind="http_json", name="Grafana", status="ok"
    )
    assert results()["monitoring_sources_reporting"].status == "pass"
    assert results()["monitoring_sources_healthy"].status == "pass"
    MetricSource.objects.filter(pk=source.pk).update(status="degraded")
    assert results()["monitoring_sources_healthy"].status == "fail"
