from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.engine import DEFAULT_GATES, PilotFacts, evaluate
from portfolio.workbooks import models as m
from portfolio.workbooks.provides import (
    MetricExpectation,
    metric_expectations,
    prefetch_workbook_facts,
    progress,
    test_results,
    workbook_facts,
    workbook_facts_many,
)
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def test_empty_pilot_has_five_incomplete_workbooks_naming_what_is_missing(pilot):
    facts = workbook_facts(pilot)
    assert set(facts) == {"strategy", "data", "deployment", "operations", "monitoring"}
    assert not any(f.complete for f in facts.values())
    assert "business owner" in facts["strategy"].missing
    assert "success metrics" in facts["strategy"].missing
    assert facts["strategy"].fields["business_owner"] is None
    assert facts["data"].lists == {"data_sources": 0, "manual_steps": 0, "validation_layers": 0}
    assert progress(facts["monitoring"], "monitoring") == 0


def test_facts_report_usernames_counts_and_completeness(pilot, owner):
    m.MonitoringWorkbook.objects.create(pilot=pilot, roi_baseline="12%", scaling_criteria="ok")
    m.MonitoredMetric.objects.create(pilot=pilot, metric_id="error_rate", source="s", threshold=2)
    m.DataWorkbook.objects.create(pilot=pilot, quality_reviewer=owner)
    facts = workbook_facts(pilot)
    assert facts["monitoring"].complete and facts["monitoring"].missing == ()
    assert facts["monitoring"].lists == {"monitored_metrics": 1}
    assert progress(facts["monitoring"], "monitoring") == 100
    assert facts["data"].fields["quality_reviewer"] == "owner"
    assert "acceptance criteria" in facts["data"].missing


def test_facts_feed_the_gate_engine_with_the_names_it_expects(pilot, owner):
    wb = m.StrategyWorkbook.objects.create(
        pilot=pilot,
        business_owner=owner,
        kpi="Cost per claim",
        expected_annual_benefit=Decimal("1000"),
        target_workflow="Triage",
        primary_risk="Wrong queue",
        readiness_criteria="Accuracy",
    )
    assert wb.pk
    facts = PilotFacts(
        risk_tier="low",
        workbooks=workbook_facts(pilot),
        roles={},
        test_results=test_results(pilot),
        metrics={},
        metric_targets={},
        metric_thresholds={},
        open_alerts=0,
    )
    from django.utils import timezone

    results = {
        r.criterion_key: r.status
        for r in evaluate(DEFAULT_GATES[("discovery", "pilot")], facts, now=timezone.now()).results
    }
    assert results["strategy_business_owner"] == "pass"
    assert results["strategy_kpi"] == "pass"
    assert results["strategy_delivery_lead"] == "fail"
    assert results["strategy_success_metrics"] == "fail"
    assert results["strategy_complete"] == "fail"


def test_facts_of_many_pilots_take_one_query(owner):
    pilots = [PilotFactory(owner=owner) for _ in range(3)]
    for p in pilots:
        m.StrategyWorkbook.objects.create(pilot=p, business_owner=owner, delivery_lead=owner)
        m.SuccessMetric.objects.create(pilot=p, metric_id="error_rate", baseline=5, target=2)
    with CaptureQueriesContext(connection) as ctx:
        many = workbook_facts_many([p.pk for p in pilots])
    assert len(ctx.captured_queries) == 1
    assert all(many[p.pk]["strategy"].lists["success_metrics"] == 1 for p in pilots)
    assert all(many[p.pk]["strategy"].fields["delivery_lead"] == "owner" for p in pilots)


def test_test_results_default_to_not_run(pilot):
    m.TestResult.objects.create(pilot=pilot, category="functional", status="passed")
    m.TestResult.objects.create(pilot=pilot, category="ethical", status="waived")
    assert test_results(pilot) == {
        "functional": "passed",
        "performance": "not_run",
        "reliability": "not_run",
        "safety_security": "not_run",
        "ethical": "waived",
    }


def test_metric_expectations_of_many_pilots_in_one_query(owner):
    first, second, other = (PilotFactory(owner=owner) for _ in range(3))
    soon = date.today() + timedelta(days=30)
    m.SuccessMetric.objects.create(pilot=first, metric_id="error_rate", baseline=5, target=2)
    m.SuccessMetric.objects.create(pilot=first, metric_id="uptime_pct", baseline=95, target=99.5)
    m.StopCondition.objects.create(
        pilot=first, metric_id="error_rate", threshold=8, by_date=soon, action="end"
    )
    m.StopCondition.objects.create(
        pilot=second, metric_id="adoption_rate", threshold=10, by_date=soon, action="revise"
    )
    m.RollbackTrigger.objects.create(
        pilot=second, metric_id="p95_latency_ms", threshold=1500, action="human_review"
    )
    m.MonitoredMetric.objects.create(
        pilot=second, metric_id="tool_call_success_rate", source="prom", threshold=97
    )
    m.MonitoredMetric.objects.create(pilot=other, metric_id="error_rate", source="x", threshold=1)
    with CaptureQueriesContext(connection) as ctx:
        found = metric_expectations([first.pk, second.pk])
    assert len(ctx.captured_queries) == 1
    assert found == sorted(
        [
            MetricExpectation(first.pk, "error_rate", "target", "<=", 2.0, "", None, 5.0),
            MetricExpectation(first.pk, "uptime_pct", "target", ">=", 99.5, "", None, 95.0),
            MetricExpectation(first.pk, "error_rate", "stop", ">", 8.0, "end", soon),
            MetricExpectation(second.pk, "adoption_rate", "stop", "<", 10.0, "revise", soon),
            MetricExpectation(
                second.pk, "p95_latency_ms", "rollback", ">", 1500.0, "human_review", None
            ),
            MetricExpectation(
                second.pk, "tool_call_success_rate", "monitor", "<", 97.0, "investigate", None
            ),
        ],
        key=lambda e: (e.pilot_id, e.metric_key, e.kind, e.value),
    )
    assert metric_expectations([]) == []


def test_gate_limits_take_the_strictest_number_and_fall_back_to_rollback(pilot):
    from portfolio.workbooks.provides import gate_limits

    m.SuccessMetric.objects.create(pilot=pilot, metric_id="error_rate", baseline=5, target=2)
    m.SuccessMetric.objects.create(pilot=pilot, metric_id="error_rate", baseline=5, target=1)
    m.SuccessMetric.objects.create(pilot=pilot, metric_id="uptime_pct", baseline=95, target=99)
    m.SuccessMetric.objects.create(pilot=pilot, metric_id="uptime_pct", baseline=95, target=98)
    m.MonitoredMetric.objects.create(pilot=pilot, metric_id="error_rate", source="s", threshold=3)
    m.RollbackTrigger.objects.create(
        pilot=pilot, metric_id="error_rate", threshold=9, action="disable_ai"
    )
    m.RollbackTrigger.objects.create(
        pilot=pilot, metric_id="p95_latency_ms", threshold=2000, action="human_review"
    )
    m.RollbackTrigger.objects.create(
        pilot=pilot, metric_id="p95_latency_ms", threshold=1500, action="reduce_scope"
    )
    targets, thresholds = gate_limits(pilot)
    assert targets == {"error_rate": 1.0, "uptime_pct": 99.0}
    assert thresholds == {"error_rate": 3.0, "p95_latency_ms": 1500.0}


def test_prefetched_facts_are_read_once_and_fresh_copies_still_read_the_database(pilot):
    from portfolio.models import Pilot

    page_copy = prefetch_workbook_facts(Pilot.objects.get(pk=pilot.pk))
    with CaptureQueriesContext(connection) as ctx:
        facts = workbook_facts(page_copy)
    assert len(ctx.captured_queries) == 0
    assert facts == workbook_facts(pilot)
    m.StrategyWorkbook.objects.update_or_create(pilot=pilot, defaults={"kpi": "Handle time"})
    # Another copy of the pilot (a service after a save) reads what is stored now.
    fresh = Pilot.objects.get(pk=pilot.pk)
    assert workbook_facts(fresh)["strategy"].fields["kpi"] == "Handle time"
    assert workbook_facts(page_copy)["strategy"].fields["kpi"] in (None, "")
