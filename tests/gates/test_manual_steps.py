"""Manual steps become a costed, non-mandatory warning at pilot -> readiness (issue 14,
item 7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gates.engine import Criterion, PilotFacts, WorkbookFacts, evaluate
from gates.engine.defaults import DEFAULT_GATES, MANUAL_STEPS_CRITERION

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def facts(steps: int, minutes: float, rate) -> PilotFacts:
    data = WorkbookFacts(
        complete=True, fields={"manual_minutes_per_week": minutes}, lists={"manual_steps": steps}
    )
    strategy = WorkbookFacts(complete=True, fields={"loaded_hourly_cost": rate}, lists={})
    return PilotFacts(
        risk_tier="low",
        workbooks={"data": data, "strategy": strategy},
        roles={},
        test_results={},
        metrics={},
        metric_targets={},
        metric_thresholds={},
        open_alerts=0,
    )


def result(f: PilotFacts):
    return evaluate([MANUAL_STEPS_CRITERION], f, now=NOW).results[0]


def test_three_steps_are_costed_in_hours_and_money():
    r = result(facts(3, 330, 50))
    assert r.status == "fail" and not r.blocks
    assert r.reason.startswith("3 manual steps, 5.5 hours a week, ≈ 14,300 a year at 50 an hour")


def test_no_manual_steps_passes():
    assert result(facts(0, 0, 50)).status == "pass"


def test_one_step_without_an_hourly_cost_still_warns():
    r = result(facts(1, 30, None))
    assert r.reason == (
        "1 manual step, 0.5 hours a week; yearly cost unknown: the economic case has no "
        "loaded hourly cost"
    )


def test_the_default_gate_has_it_as_a_warning():
    criteria: list[Criterion] = DEFAULT_GATES[("pilot", "readiness")]
    found = [c for c in criteria if c.kind == "manual_steps_cost"]
    assert found == [MANUAL_STEPS_CRITERION] and not found[0].mandatory


@pytest.mark.django_db
def test_the_gate_evaluation_of_a_pilot_reads_its_manual_steps(owner, pilot):
    from django.utils import timezone

    from gates.selectors import gate_get, pilot_evaluation
    from portfolio.workbooks import models as wb

    wb.StrategyWorkbook.objects.create(pilot=pilot, loaded_hourly_cost=50)
    wb.ManualStep.objects.create(pilot=pilot, description="Re-key invoices", minutes_per_week=120)
    wb.ManualStep.objects.create(pilot=pilot, description="Fix labels", minutes_per_week=90)
    wb.ManualStep.objects.create(pilot=pilot, description="Upload CSV", minutes_per_week=120)
    gate = gate_get(from_stage="pilot", to_stage="readiness")
    evaluation = pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now()).evaluation
    manual = next(r for r in evaluation.results if r.criterion_key == "data_manual_steps_cost")
    assert manual.reason.startswith("3 manual steps, 5.5 hours a week, ≈ 14,300 a year")
    assert manual.status == "fail" and manual not in evaluation.blocking
