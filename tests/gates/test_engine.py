import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.engine import (
    DEFAULT_GATES,
    FAIL,
    KINDS,
    MISSING,
    PASS,
    STAGES,
    Criterion,
    Evaluation,
    MetricDaily,
    PilotFacts,
    Result,
    Waiver,
    WorkbookFacts,
    aggregate,
    condition_criterion,
    evaluate,
    format_number,
    next_stage,
    window,
)

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)
TODAY = NOW.date()


def day(
    offset: int,
    *,
    count: int = 10,
    mean: float = 100.0,
    minimum: float | None = None,
    maximum: float | None = None,
    p95: float | None = None,
    last: float | None = None,
) -> MetricDaily:
    """A rollup `offset` days before today."""
    the_day = TODAY - timedelta(days=offset)
    return MetricDaily(
        day=the_day,
        count=count,
        minimum=mean if minimum is None else minimum,
        maximum=mean if maximum is None else maximum,
        mean=mean,
        p95=mean if p95 is None else p95,
        last=mean if last is None else last,
        last_at=datetime(the_day.year, the_day.month, the_day.day, 23, 0, tzinfo=UTC),
    )


def workbook(*, complete: bool = True, missing: Sequence[str] = (), **fields: Any) -> WorkbookFacts:
    return WorkbookFacts(complete=complete, fields=fields, lists={}, missing=tuple(missing))


def facts(**overrides: Any) -> PilotFacts:
    base: dict[str, Any] = {
        "risk_tier": "medium",
        "workbooks": {},
        "roles": {},
        "test_results": {},
        "metrics": {},
        "metric_targets": {},
        "metric_thresholds": {},
        "open_alerts": 0,
    }
    base.update(overrides)
    return PilotFacts(**base)


def criterion(kind: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Criterion:
    return Criterion(
        key=kw.pop("key", f"c_{kind}"),
        kind=kind,
        label=kw.pop("label", kind),
        params=params or {},
        **kw,
    )


def only(c: Criterion, f: PilotFacts, **kw: Any) -> Result:
    evaluation = evaluate([c], f, now=kw.pop("now", NOW), **kw)
    assert len(evaluation.results) == 1
    return evaluation.results[0]


def latency_rule(**params: Any) -> Criterion:
    base = {"metric": "p95_latency_ms", "aggregate": "p95", "window_days": 7, "op": "<="}
    return criterion("metric_rule", {**base, **params}, key="latency")


# --- workbook_complete ----------------------------------------------------------------


def test_workbook_complete_passes_when_the_workbook_is_complete() -> None:
    result = only(
        criterion("workbook_complete", {"phase": "data"}), facts(workbooks={"data": workbook()})
    )
    assert (result.status, result.reason) == (PASS, "Data workbook complete")


def test_workbook_complete_names_the_missing_items() -> None:
    wb = workbook(complete=False, missing=["data_owner", "freshness"])
    result = only(criterion("workbook_complete", {"phase": "data"}), facts(workbooks={"data": wb}))
    assert result.status == FAIL
    assert result.reason == "Data workbook incomplete: missing data owner, freshness"


def test_workbook_complete_fails_when_the_workbook_was_never_started() -> None:
    result = only(criterion("workbook_complete", {"phase": "strategy"}), facts())
    assert (result.status, result.reason) == (FAIL, "Strategy workbook not started")


def test_workbook_complete_without_a_missing_list_still_fails() -> None:
    wb = workbook(complete=False)
    result = only(criterion("workbook_complete", {"phase": "data"}), facts(workbooks={"data": wb}))
    assert (result.status, result.reason) == (FAIL, "Data workbook incomplete")


# --- field_present ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Ada Lovelace", 0, False, 12.5, ["x"]])
def test_field_present_passes_for_any_filled_value(value: Any) -> None:
    c = criterion("field_present", {"phase": "strategy", "field": "business_owner"})
    result = only(c, facts(workbooks={"strategy": workbook(business_owner=value)}))
    assert result.status == PASS


@pytest.mark.parametrize("value", [None, "", "   ", []])
def test_field_present_fails_for_empty_values(value: Any) -> None:
    c = criterion("field_present", {"phase": "strategy", "field": "business_owner"})
    result = only(c, facts(workbooks={"strategy": workbook(business_owner=value)}))
    assert result.status == FAIL
    assert result.reason == "Strategy workbook: business owner is not filled in"


def test_field_present_fails_when_the_workbook_is_absent() -> None:
    c = criterion("field_present", {"phase": "data", "field": "quality_reviewer"})
    assert only(c, facts()).status == FAIL


def test_field_present_with_equals_requires_that_value() -> None:
    c = criterion(
        "field_present",
        {"phase": "deployment", "field": "prior_workflow_kept", "equals": True},
    )
    kept = only(c, facts(workbooks={"deployment": workbook(prior_workflow_kept=True)}))
    dropped = only(c, facts(workbooks={"deployment": workbook(prior_workflow_kept=False)}))
    assert kept.status == PASS
    assert dropped.status == FAIL
    assert dropped.reason == "Deployment workbook: prior workflow kept is no; must be yes"


# --- list_min_rows ---------------------------------------------------------------------


def rows_facts(count: int) -> PilotFacts:
    wb = WorkbookFacts(complete=True, fields={}, lists={"runbooks": count})
    return facts(workbooks={"operations": wb})


def test_list_min_rows_passes_at_the_minimum() -> None:
    c = criterion("list_min_rows", {"phase": "operations", "list": "runbooks", "min": 3})
    result = only(c, rows_facts(3))
    assert (result.status, result.reason) == (PASS, "3 runbooks (at least 3 required)")


def test_list_min_rows_counts_one_row_in_the_singular() -> None:
    c = criterion("list_min_rows", {"phase": "data", "list": "data_sources", "min": 1})
    one = facts(
        workbooks={"data": WorkbookFacts(complete=True, fields={}, lists={"data_sources": 1})}
    )
    assert only(c, one).reason == "1 data source (at least 1 required)"


def test_list_min_rows_fails_below_the_minimum_with_counts() -> None:
    c = criterion("list_min_rows", {"phase": "operations", "list": "runbooks", "min": 3})
    result = only(c, rows_facts(1))
    assert (result.status, result.reason) == (FAIL, "Only 1 of 3 required runbooks")


def test_list_min_rows_with_no_rows_says_none_yet() -> None:
    c = criterion("list_min_rows", {"phase": "operations", "list": "runbooks", "min": 4})
    result = only(c, facts())
    assert result.status == FAIL
    assert result.reason == "No runbooks in the operations workbook; at least 4 required"


def test_list_min_rows_uses_thousands_separators() -> None:
    c = criterion("list_min_rows", {"phase": "operations", "list": "runbooks", "min": 2000})
    assert only(c, rows_facts(1500)).reason == "Only 1,500 of 2,000 required runbooks"


# --- tests_passed ----------------------------------------------------------------------

ALL_PASSED = {
    "functional": "passed",
    "performance": "passed",
    "reliability": "passed",
    "safety_security": "passed",
    "ethical": "passed",
}


def test_tests_passed_accepts_passed_and_waived() -> None:
    results = {**ALL_PASSED, "ethical": "waived"}
    result = only(criterion("tests_passed"), facts(test_results=results))
    assert (result.status, result.reason) == (PASS, "All 5 test categories passed or waived")


def test_tests_passed_lists_each_failing_category_with_its_status() -> None:
    results = {**ALL_PASSED, "performance": "failed", "ethical": "not_run"}
    result = only(criterion("tests_passed"), facts(test_results=results))
    assert result.status == FAIL
    assert result.reason == "Tests not passed: performance (failed), ethical (not run)"


def test_tests_passed_treats_an_unrecorded_category_as_not_run() -> None:
    results = {k: v for k, v in ALL_PASSED.items() if k != "safety_security"}
    result = only(criterion("tests_passed"), facts(test_results=results))
    assert result.reason == "Tests not passed: safety and security (not run)"


def test_tests_passed_checks_only_the_categories_asked_for() -> None:
    c = criterion("tests_passed", {"categories": ["functional"]})
    assert only(c, facts(test_results={"functional": "passed"})).status == PASS


# --- roles_named -----------------------------------------------------------------------


def test_roles_named_passes_when_the_four_roles_have_people() -> None:
    roles = {
        r: "someone" for r in ("business_owner", "technical_owner", "operations_lead", "risk_lead")
    }
    result = only(criterion("roles_named"), facts(roles=roles))
    assert (result.status, result.reason) == (PASS, "All 4 roles named")


def test_roles_named_lists_the_unnamed_roles() -> None:
    roles = {"business_owner": "ana", "technical_owner": "bo", "operations_lead": None}
    result = only(criterion("roles_named"), facts(roles=roles))
    assert (result.status, result.reason) == (FAIL, "Roles not named: operations lead, risk lead")


# --- metric_rule -----------------------------------------------------------------------


def test_metric_rule_reason_reads_like_a_sentence() -> None:
    f = facts(metrics={"p95_latency_ms": [day(0, p95=1240)]})
    result = only(latency_rule(value=800), f)
    assert result.status == FAIL
    assert result.reason == "p95_latency_ms p95 was 1,240 over the last 7 days; must be <= 800"


def test_metric_rule_passes_when_the_aggregate_meets_the_value() -> None:
    f = facts(metrics={"p95_latency_ms": [day(0, p95=640), day(1, p95=700)]})
    result = only(latency_rule(value=800, unit="ms"), f)
    assert result.status == PASS
    assert result.reason == "p95_latency_ms p95 was 700 ms over the last 7 days; must be <= 800 ms"


def test_metric_rule_against_target_uses_the_workbook_target() -> None:
    f = facts(
        metrics={"hallucination_rate": [day(0, mean=0.031)]},
        metric_targets={"hallucination_rate": 0.02},
    )
    c = criterion(
        "metric_rule",
        {"metric": "hallucination_rate", "aggregate": "mean", "op": "<=", "against": "target"},
    )
    result = only(c, f)
    assert result.status == FAIL
    assert result.reason == (
        "hallucination_rate mean was 0.031 over the last 7 days; must be <= 0.02 (target)"
    )


def test_metric_rule_against_a_target_that_is_not_set_is_missing() -> None:
    c = criterion(
        "metric_rule",
        {"metric": "hallucination_rate", "op": "<=", "against": "target"},
    )
    result = only(c, facts(metrics={"hallucination_rate": [day(0)]}))
    assert result.status == MISSING
    assert result.reason.startswith("No target set for hallucination_rate")


def test_metric_rule_against_threshold_uses_the_threshold_not_the_target() -> None:
    f = facts(
        metrics={"uptime_pct": [day(0, mean=99.7)]},
        metric_targets={"uptime_pct": 99.9},
        metric_thresholds={"uptime_pct": 99.5},
    )
    c = criterion(
        "metric_rule",
        {"metric": "uptime_pct", "op": ">=", "against": "threshold", "unit": "%"},
    )
    result = only(c, f)
    assert result.status == PASS
    assert result.reason == (
        "uptime_pct mean was 99.7% over the last 7 days; must be >= 99.5% (threshold)"
    )


def test_metric_rule_with_too_few_snapshots_is_missing() -> None:
    f = facts(metrics={"p95_latency_ms": [day(0, count=1), day(3, count=1)]})
    result = only(latency_rule(value=800, min_snapshots=10), f)
    assert result.status == MISSING
    assert result.reason == "No data: 2 snapshots in the last 7 days, need at least 10"


def test_metric_rule_at_exactly_min_snapshots_is_evaluated() -> None:
    f = facts(metrics={"p95_latency_ms": [day(0, count=4), day(3, count=6, p95=900)]})
    assert only(latency_rule(value=800, min_snapshots=10), f).status == FAIL


def test_metric_rule_without_any_data_is_missing() -> None:
    result = only(latency_rule(value=800), facts())
    assert result.status == MISSING
    assert result.reason == "No data: 0 snapshots in the last 7 days, need at least 1"


def test_metric_rule_ignores_days_outside_the_window() -> None:
    # Day 7 is just outside a 7-day window ending today (today counts as day 0).
    f = facts(metrics={"p95_latency_ms": [day(7, p95=5000), day(6, p95=500)]})
    assert only(latency_rule(value=800), f).status == PASS


def test_metric_rule_window_includes_its_oldest_day() -> None:
    f = facts(metrics={"p95_latency_ms": [day(6, p95=5000), day(0, p95=500)]})
    assert only(latency_rule(value=800), f).status == FAIL


def test_metric_rule_ignores_rollups_dated_after_now() -> None:
    f = facts(metrics={"p95_latency_ms": [day(-1, p95=5000), day(0, p95=500)]})
    assert only(latency_rule(value=800), f).status == PASS


def test_metric_rule_one_day_window_reads_naturally() -> None:
    f = facts(metrics={"p95_latency_ms": [day(0, p95=10)]})
    result = only(latency_rule(value=800, window_days=1), f)
    assert result.reason == "p95_latency_ms p95 was 10 over the last 1 day; must be <= 800"


@pytest.mark.parametrize(
    ("op", "value", "status"),
    [
        ("<=", 100, PASS),
        ("<", 100, FAIL),
        (">=", 100, PASS),
        (">", 100, FAIL),
        ("<", 101, PASS),
        (">", 99, PASS),
    ],
)
def test_metric_rule_operators_at_the_boundary(op: str, value: float, status: str) -> None:
    c = criterion("metric_rule", {"metric": "m", "aggregate": "last", "op": op, "value": value})
    assert only(c, facts(metrics={"m": [day(0, mean=100)]})).status == status


def test_metric_rule_shows_enough_decimals_to_tell_close_values_apart() -> None:
    c = criterion("metric_rule", {"metric": "m", "aggregate": "mean", "op": ">=", "value": 99.95})
    result = only(c, facts(metrics={"m": [day(0, mean=99.949)]}))
    assert result.status == FAIL
    assert "was 99.949 " in result.reason
    assert "must be >= 99.95" in result.reason


# --- aggregation -----------------------------------------------------------------------


def test_mean_is_weighted_by_snapshot_count() -> None:
    days = [day(0, count=1, mean=10.0), day(1, count=3, mean=20.0)]
    assert aggregate(days, "mean") == pytest.approx(17.5)


def test_mean_ignores_days_without_snapshots() -> None:
    days = [day(0, count=0, mean=1000.0), day(1, count=2, mean=20.0)]
    assert aggregate(days, "mean") == pytest.approx(20.0)


def test_last_is_the_last_value_of_the_latest_day() -> None:
    days = [day(0, last=7.0), day(2, last=99.0), day(1, last=50.0)]
    assert aggregate(days, "last") == 7.0


def test_p95_is_the_worst_daily_p95() -> None:
    days = [day(0, p95=300), day(1, p95=900), day(2, p95=400)]
    assert aggregate(days, "p95") == 900


def test_min_and_max_span_all_days() -> None:
    days = [day(0, minimum=5, maximum=50), day(1, minimum=2, maximum=20)]
    assert (aggregate(days, "min"), aggregate(days, "max")) == (2, 50)


def test_aggregate_of_nothing_raises_value_error() -> None:
    with pytest.raises(ValueError):
        aggregate([], "mean")


def test_window_keeps_days_after_cutoff_up_to_today_in_order() -> None:
    days = [day(0), day(8), day(7), day(6), day(-2), day(3)]
    kept = window(days, now=NOW, window_days=7)
    assert [d.day for d in kept] == [TODAY - timedelta(days=n) for n in (6, 3, 0)]


def test_window_is_based_on_the_date_of_now_not_the_hour() -> None:
    just_after_midnight = datetime(2025, 3, 10, 0, 1, tzinfo=UTC)
    kept = window([day(6)], now=just_after_midnight, window_days=7)
    assert [d.day for d in kept] == [date(2025, 3, 4)]


# --- no_open_alerts and conditions -------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "status", "reason"),
    [
        (0, PASS, "No open alerts"),
        (1, FAIL, "1 open alert; resolve it before this gate"),
        (1200, FAIL, "1,200 open alerts; resolve them before this gate"),
    ],
)
def test_no_open_alerts(count: int, status: str, reason: str) -> None:
    result = only(criterion("no_open_alerts"), facts(open_alerts=count))
    assert (result.status, result.reason) == (status, reason)


def test_condition_fails_until_it_is_marked_met() -> None:
    c = condition_criterion("cond-17-1", "Limit the rollout to the EU queue")
    assert c.mandatory
    open_ = only(c, facts())
    met = only(c, facts(met_conditions=frozenset({"cond-17-1"})))
    assert (open_.status, open_.reason) == (
        FAIL,
        "Condition not yet met: Limit the rollout to the EU queue",
    )
    assert (met.status, met.reason) == (PASS, "Condition met: Limit the rollout to the EU queue")


def test_condition_met_for_another_key_does_not_count() -> None:
    c = condition_criterion("cond-1", "x")
    assert only(c, facts(met_conditions=frozenset({"cond-2"}))).status == FAIL


# --- robustness ------------------------------------------------------------------------


def test_unknown_kind_fails_and_names_the_kind() -> None:
    result = only(criterion("astrology"), facts())
    assert result.status == FAIL
    assert "'astrology'" in result.reason


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"metric": "m", "op": "=="},
        {"metric": "m", "op": "<=", "aggregate": "median", "value": 1},
        {"metric": "m", "op": "<=", "against": "budget"},
        {"metric": "m", "op": "<=", "value": "eight hundred"},
        {"metric": "m", "op": "<=", "value": 1, "window_days": 0},
        {"metric": "m", "op": "<="},
    ],
)
def test_malformed_metric_rule_fails_instead_of_raising(params: dict[str, Any]) -> None:
    result = only(criterion("metric_rule", params, key="bad"), facts(metrics={"m": [day(0)]}))
    assert result.status == FAIL
    assert result.reason.startswith("Criterion 'bad' is misconfigured")


@pytest.mark.parametrize("kind", ["workbook_complete", "field_present", "list_min_rows"])
def test_criteria_missing_their_phase_fail_instead_of_raising(kind: str) -> None:
    assert only(criterion(kind, {}), facts()).status == FAIL


def test_every_kind_has_a_check() -> None:
    for kind in KINDS:
        result = only(criterion(kind, {}), facts())
        assert "Unknown criterion kind" not in result.reason


# --- risk tiers, waivers and the evaluation ----------------------------------------------


def test_criteria_for_other_risk_tiers_are_skipped() -> None:
    high_only = criterion("no_open_alerts", key="high_only", risk_tiers=("high",))
    everyone = criterion("no_open_alerts", key="everyone")
    keys = lambda tier: [  # noqa: E731
        r.criterion_key
        for r in evaluate([high_only, everyone], facts(risk_tier=tier), now=NOW).results
    ]
    assert keys("high") == ["high_only", "everyone"]
    assert keys("low") == ["everyone"]
    assert keys("medium") == ["everyone"]


def test_results_keep_the_order_of_the_criteria() -> None:
    cs = [criterion("no_open_alerts", key=k) for k in ("b", "a", "c")]
    assert [r.criterion_key for r in evaluate(cs, facts(), now=NOW).results] == ["b", "a", "c"]


def test_a_failing_mandatory_criterion_blocks() -> None:
    evaluation = evaluate([criterion("no_open_alerts")], facts(open_alerts=2), now=NOW)
    assert not evaluation.passed
    assert [r.criterion_key for r in evaluation.blocking] == ["c_no_open_alerts"]


def test_a_failing_optional_criterion_does_not_block() -> None:
    c = criterion("no_open_alerts", mandatory=False)
    evaluation = evaluate([c], facts(open_alerts=2), now=NOW)
    assert evaluation.passed
    assert evaluation.results[0].status == FAIL


def test_missing_data_on_a_mandatory_criterion_blocks() -> None:
    assert not evaluate([latency_rule(value=800)], facts(), now=NOW).passed


def test_an_unexpired_waiver_covers_a_failing_criterion() -> None:
    waiver = Waiver("c_no_open_alerts", expires_at=NOW + timedelta(seconds=1), justification="x")
    evaluation = evaluate(
        [criterion("no_open_alerts")], facts(open_alerts=1), now=NOW, waivers=[waiver]
    )
    assert evaluation.passed
    assert evaluation.results[0].waived
    assert evaluation.results[0].status == FAIL


def test_a_waiver_expiring_exactly_now_no_longer_counts() -> None:
    waiver = Waiver("c_no_open_alerts", expires_at=NOW, justification="x")
    evaluation = evaluate(
        [criterion("no_open_alerts")], facts(open_alerts=1), now=NOW, waivers=[waiver]
    )
    assert not evaluation.passed
    assert not evaluation.results[0].waived


def test_the_same_waiver_counts_before_and_not_after_its_expiry() -> None:
    expires = datetime(2025, 4, 1, tzinfo=UTC)
    waiver = Waiver("c_no_open_alerts", expires_at=expires, justification="x")
    c, f = [criterion("no_open_alerts")], facts(open_alerts=1)
    assert evaluate(c, f, now=expires - timedelta(days=1), waivers=[waiver]).passed
    assert not evaluate(c, f, now=expires + timedelta(days=1), waivers=[waiver]).passed


def test_a_waiver_for_another_criterion_does_not_help() -> None:
    waiver = Waiver("something_else", expires_at=NOW + timedelta(days=9), justification="x")
    evaluation = evaluate(
        [criterion("no_open_alerts")], facts(open_alerts=1), now=NOW, waivers=[waiver]
    )
    assert not evaluation.passed


def test_a_passing_criterion_is_not_marked_waived() -> None:
    waiver = Waiver("c_no_open_alerts", expires_at=NOW + timedelta(days=9), justification="x")
    evaluation = evaluate([criterion("no_open_alerts")], facts(), now=NOW, waivers=[waiver])
    assert not evaluation.results[0].waived


def test_an_empty_gate_passes() -> None:
    assert evaluate([], facts(), now=NOW).passed


def test_evaluation_survives_a_json_round_trip() -> None:
    criteria = [
        criterion("no_open_alerts", key="alerts"),
        criterion("tests_passed", key="tests", mandatory=False),
        latency_rule(value=800),
        condition_criterion("cond", "Keep humans on refunds"),
    ]
    waiver = Waiver("alerts", expires_at=NOW + timedelta(days=1), justification="vendor fix due")
    evaluation = evaluate(criteria, facts(open_alerts=3), now=NOW, waivers=[waiver])
    frozen = json.loads(json.dumps(evaluation.to_dict()))
    assert Evaluation.from_dict(frozen) == evaluation
    assert frozen["passed"] is False
    assert frozen["blocking"] == ["latency", "cond"]


def test_default_criteria_survive_a_json_round_trip() -> None:
    for criteria in DEFAULT_GATES.values():
        for c in criteria:
            assert Criterion.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_from_dict_of_an_empty_evaluation() -> None:
    assert Evaluation.from_dict({"results": []}) == Evaluation(results=())


# --- stages and default gates ------------------------------------------------------------


def test_next_stage_walks_the_stages_in_order() -> None:
    assert [next_stage(s) for s in STAGES] == ["pilot", "readiness", "scale", None]


def test_next_stage_rejects_an_unknown_stage() -> None:
    with pytest.raises(ValueError):
        next_stage("production")


def test_default_gates_cover_each_forward_move() -> None:
    assert set(DEFAULT_GATES) == {(a, b) for a, b in zip(STAGES, STAGES[1:], strict=False)}


def test_default_gate_criteria_have_unique_keys_and_known_kinds() -> None:
    for criteria in DEFAULT_GATES.values():
        keys = [c.key for c in criteria]
        assert len(keys) == len(set(keys))
        assert all(c.kind in KINDS for c in criteria)


def test_default_gates_never_raise_and_block_an_empty_pilot() -> None:
    for criteria in DEFAULT_GATES.values():
        evaluation = evaluate(criteria, facts(risk_tier="high"), now=NOW)
        assert not evaluation.passed
        assert all("misconfigured" not in r.reason for r in evaluation.results)


def full_facts() -> PilotFacts:
    """A pilot that satisfies every default gate."""
    lists = {
        "success_metrics": 2,
        "stop_conditions": 1,
        "data_sources": 2,
        "validation_layers": 3,
        "rollout_steps": 3,
        "rollback_triggers": 2,
        "runbooks": 4,
        "monitored_metrics": 5,
    }

    def wb(**fields: Any) -> WorkbookFacts:
        return WorkbookFacts(complete=True, fields=fields, lists=lists)

    names = ("business_owner", "technical_owner", "operations_lead", "risk_lead")
    good = {
        "hallucination_rate": 0.01,
        "error_rate": 0.005,
        "tool_call_success_rate": 0.99,
        "outcome_quality": 4.6,
        "p95_latency_ms": 420.0,
        "uptime_pct": 99.95,
    }
    limits = {
        "hallucination_rate": 0.02,
        "error_rate": 0.01,
        "tool_call_success_rate": 0.97,
        "outcome_quality": 4.2,
        "p95_latency_ms": 800.0,
        "uptime_pct": 99.5,
    }
    return facts(
        risk_tier="high",
        workbooks={
            "strategy": wb(
                business_owner="Ana",
                delivery_lead="Bo",
                kpi="average handle time",
                expected_annual_benefit=250000,
                target_workflow="refund triage",
                primary_risk="wrong refunds",
                readiness_criteria="two weeks inside targets",
            ),
            "data": wb(acceptance_criteria="x", bias_review="done", quality_reviewer="Cy"),
            "deployment": wb(
                first_traffic_slice_pct=5, rollout_user_group="tier 1", prior_workflow_kept=True
            ),
            "operations": wb(
                escalation_path="x",
                review_cadence="monthly",
                knowledge_owner="Di",
                kill_switch_owner="Ed",
            ),
            "monitoring": wb(),
            # What gates.collect makes of two connected, reporting metric sources.
            "metric_sources": WorkbookFacts(
                complete=True,
                fields={"all_sources_healthy": True},
                lists={"sources": 2, "healthy_sources": 2, "degraded_sources": 0},
            ),
        },
        roles={n: n for n in names},
        test_results=ALL_PASSED,
        metrics={k: [day(n, count=5, mean=v) for n in range(30)] for k, v in good.items()},
        metric_targets=limits,
        metric_thresholds=limits,
    )


def test_a_well_prepared_pilot_passes_every_default_gate() -> None:
    for gate, criteria in DEFAULT_GATES.items():
        evaluation = evaluate(criteria, full_facts(), now=NOW)
        assert evaluation.passed, (gate, [r.reason for r in evaluation.blocking])
        assert all(r.status == PASS for r in evaluation.results), gate


def test_the_high_risk_only_default_criterion_is_skipped_for_low_risk() -> None:
    criteria = DEFAULT_GATES[("readiness", "scale")]
    high = evaluate(criteria, full_facts(), now=NOW)
    low = evaluate(criteria, replace(full_facts(), risk_tier="low"), now=NOW)
    assert len(low.results) == len(high.results) - 1


def test_default_scale_gate_reports_a_latency_breach_in_ms() -> None:
    f = full_facts()
    metrics = dict(f.metrics)
    metrics["p95_latency_ms"] = [day(n, count=5, mean=400, p95=1240) for n in range(7)]
    evaluation = evaluate(
        DEFAULT_GATES[("readiness", "scale")], replace(f, metrics=metrics), now=NOW
    )
    assert [r.reason for r in evaluation.blocking] == [
        "p95_latency_ms p95 was 1,240 ms over the last 7 days; must be <= 800 ms (threshold)"
    ]


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1240.0, "1,240"),
        (0.031, "0.031"),
        (99.25, "99.25"),
        (1234567.891, "1,234,567.89"),
        (-2.5, "-2.5"),
        (0.000123456, "0.000123"),
        (0.0, "0"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


# --- properties ----------------------------------------------------------------------------

statuses = st.sampled_from(["passed", "failed", "not_run", "waived"])
criterion_specs = st.lists(
    st.tuples(
        st.sampled_from(["no_open_alerts", "tests_passed", "condition", "bogus"]),
        st.booleans(),  # mandatory
        st.booleans(),  # waived
        st.sampled_from([(), ("high",), ("low", "medium")]),
    ),
    max_size=8,
)


@given(
    specs=criterion_specs,
    tier=st.sampled_from(["low", "medium", "high"]),
    open_alerts=st.integers(min_value=0, max_value=3),
    tests=st.fixed_dictionaries({k: statuses for k in ALL_PASSED}),
    met=st.booleans(),
    expiry_offset=st.integers(min_value=-3, max_value=3),
)
def test_passed_iff_every_mandatory_applicable_result_passes_or_is_waived(
    specs: list[tuple[str, bool, bool, tuple[str, ...]]],
    tier: str,
    open_alerts: int,
    tests: dict[str, str],
    met: bool,
    expiry_offset: int,
) -> None:
    criteria = [
        Criterion(
            key=f"k{i}",
            kind=kind,
            label=kind,
            params={"text": "t"},
            mandatory=mandatory,
            risk_tiers=tiers,
        )
        for i, (kind, mandatory, _, tiers) in enumerate(specs)
    ]
    expires = NOW + timedelta(seconds=expiry_offset)
    waivers = [
        Waiver(f"k{i}", expires_at=expires, justification="j")
        for i, (_, _, waived, _) in enumerate(specs)
        if waived
    ]
    met_conditions = frozenset(f"k{i}" for i in range(len(specs))) if met else frozenset()
    f = facts(
        risk_tier=tier, open_alerts=open_alerts, test_results=tests, met_conditions=met_conditions
    )

    evaluation = evaluate(criteria, f, now=NOW, waivers=waivers)

    applicable = [c for c in criteria if not c.risk_tiers or tier in c.risk_tiers]
    assert [r.criterion_key for r in evaluation.results] == [c.key for c in applicable]
    # What each kind should give, worked out independently of the engine.
    would_pass = {
        "no_open_alerts": open_alerts == 0,
        "tests_passed": all(v in ("passed", "waived") for v in tests.values()),
        "condition": met,
        "bogus": False,
    }
    waiver_active = expiry_offset > 0
    waived_keys = {w.criterion_key for w in waivers} if waiver_active else set()
    for c, r in zip(applicable, evaluation.results, strict=True):
        assert (r.status == PASS) is would_pass[c.kind]
        assert r.waived is (r.status != PASS and c.key in waived_keys)
    expected = all(would_pass[c.kind] or c.key in waived_keys for c in applicable if c.mandatory)
    assert evaluation.passed is expected
    assert evaluation.passed is not bool(evaluation.blocking)
    assert all(r.status in (PASS, FAIL, MISSING) for r in evaluation.results)
    assert Evaluation.from_dict(json.loads(json.dumps(evaluation.to_dict()))) == evaluation
