import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.signal import (
    ACCEPTABLE,
    CLEAR,
    CLEAR_SCORE,
    DECISION_TABLE,
    ECONOMICS_STATUSES,
    EXPECTED_STAGE_DAYS,
    FAILING,
    HIGH_BURDEN,
    HIGH_BURDEN_OPEN_ALERTS,
    IMPROVING_SCORE,
    IMPROVING_STEP,
    INSUFFICIENT_DATA,
    PROMISING,
    PROMISING_SCORE,
    RELIABILITY_STATUSES,
    RULES,
    SEVERITY,
    SIGNAL_CODES,
    SIGNAL_LABELS,
    STABLE,
    UNKNOWN,
    VALUE_STATUSES,
    WEAK,
    MetricStatus,
    SignalInputs,
    StopCondition,
    assess_economics,
    assess_reliability,
    assess_value,
    condition_in_force,
    decide,
    is_stale,
    portfolio_signal,
    stop_condition_met,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def value_metric(value: float | None, target: float | None = 0.5, **kw: Any) -> MetricStatus:
    return MetricStatus("adoption_rate", "value", value, target, "higher", **kw)


def reliability_metric(
    key: str, value: float | None, target: float | None = 0.02, **kw: Any
) -> MetricStatus:
    return MetricStatus(key, "reliability", value, target, "lower", **kw)


def cost_metric(value: float | None, target: float | None = 0.10, **kw: Any) -> MetricStatus:
    return MetricStatus("cost_per_transaction", "cost", value, target, "lower", **kw)


def by_key(*metrics: MetricStatus) -> dict[str, MetricStatus]:
    return {m.key: m for m in metrics}


# --- MetricStatus ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "value", "target", "met"),
    [
        ("higher", 5, 4, True),
        ("higher", 4, 4, True),
        ("higher", 3, 4, False),
        ("lower", 3, 4, True),
        ("lower", 4, 4, True),
        ("lower", 5, 4, False),
        ("lower", None, 4, None),
        ("lower", 5, None, None),
    ],
)
def test_met_follows_the_direction(
    direction: str, value: float | None, target: float | None, met: bool | None
) -> None:
    assert MetricStatus("m", "value", value, target, direction).met is met


def test_an_explicit_meets_target_wins_over_the_numbers() -> None:
    assert MetricStatus("m", "value", 1, 10, "higher", meets_target=True).met is True
    assert MetricStatus("m", "value", None, None, "higher", meets_target=False).met is False


def test_breached_means_worse_than_the_threshold() -> None:
    assert reliability_metric("error_rate", 0.2, threshold=0.1).breached
    assert not reliability_metric("error_rate", 0.1, threshold=0.1).breached
    assert not reliability_metric("error_rate", 0.2).breached
    assert not reliability_metric("error_rate", None, threshold=0.1).breached


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValueError):
        MetricStatus("m", "value", 1, 2, "sideways")


# --- assess_value (issue 14, item 1) -----------------------------------------------------


def quality(value: float | None, target: float | None = 80, **kw: Any) -> MetricStatus:
    return MetricStatus("outcome_quality", "value", value, target, "higher", **kw)


def test_value_is_unknown_without_a_judged_metric() -> None:
    assert assess_value({}).status == UNKNOWN
    assert assess_value(by_key(value_metric(None))).status == UNKNOWN
    assert assess_value(by_key(value_metric(0.9, target=None))).status == UNKNOWN


def test_value_ignores_other_dimensions() -> None:
    assert assess_value(by_key(reliability_metric("error_rate", 0.01))).status == UNKNOWN


def test_value_is_clear_when_its_metrics_meet_target() -> None:
    assessment = assess_value(by_key(value_metric(0.6)))
    assert assessment.status == CLEAR
    assert assessment.reasons == (
        "1 of 1 value metric meets its target; on average 100% of the way to target",
    )


def test_half_the_metrics_on_target_is_weak_when_the_other_is_far_off() -> None:
    """The issue's case: 6% adoption against 40% while outcome quality meets its target.
    Half meet target, but adoption is 15% of the way: the value is weak."""
    metrics = by_key(value_metric(6, target=40, baseline=0), quality(85))
    assessment = assess_value(metrics)
    assert assessment.status == WEAK
    assert (
        "adoption_rate is 6, target 40 from a baseline of 0 (15% of the way)" in assessment.reasons
    )


def test_the_issue_pilot_is_stopped_by_the_table_without_a_stop_condition() -> None:
    metrics = by_key(
        value_metric(6, target=40, baseline=0),
        quality(85),
        reliability_metric("error_rate", 0.2, threshold=0.1),
    )
    signal = portfolio_signal(SignalInputs(metrics=metrics, net_annual_value=Decimal(1000)))
    assert (signal.value.status, signal.reliability.status) == (WEAK, HIGH_BURDEN)
    assert signal.code == signal.table_code == "stop"
    assert signal.stop_conditions_met == ()


def test_a_value_threshold_no_longer_decides_value_strength() -> None:
    metrics = by_key(
        value_metric(0.9), MetricStatus("bypass_rate", "value", 0.4, 0.5, "lower", threshold=0.3)
    )
    assert assess_value(metrics).status == CLEAR


def test_attainment_counts_from_the_baseline() -> None:
    # From 20 to a target of 60, at 50: three quarters of the way.
    assert value_metric(50, target=60, baseline=20).attainment == pytest.approx(0.75)
    # Worse than the baseline counts as no progress, a met target as all of it.
    assert value_metric(10, target=60, baseline=20).attainment == 0
    assert value_metric(70, target=60, baseline=20).attainment == 1
    # Lower is better: from 30% bypass to 10%, at 20%: half way.
    bypass = MetricStatus("bypass_rate", "value", 20, 10, "lower", baseline=30)
    assert bypass.attainment == pytest.approx(0.5)
    # Without a baseline, the ratio to the target.
    assert MetricStatus("bypass_rate", "value", 20, 10, "lower").attainment == pytest.approx(0.5)
    assert value_metric(30, target=60).attainment == pytest.approx(0.5)


def two_metrics(first: float, second: float = 100, **kw: Any) -> dict[str, MetricStatus]:
    """Two value metrics with targets of 100 and baselines of 0: attainment = value / 100."""
    return by_key(
        value_metric(first, target=100, baseline=0, **kw),
        quality(second, target=100, baseline=0),
    )


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        (100, 100, CLEAR),
        # mean exactly CLEAR_SCORE and none far from target: clear
        (CLEAR_SCORE * 200 - 100, 100, CLEAR),
        (CLEAR_SCORE * 200 - 100 - 0.2, 100, PROMISING),
        # a metric below half way is never clear, even with a high mean
        (49.8, 100, WEAK if (49.8 + 100) / 200 < PROMISING_SCORE else PROMISING),
        (PROMISING_SCORE * 200 - 100, 100, PROMISING),
        (PROMISING_SCORE * 200 - 100 - 0.2, 100, WEAK),
    ],
)
def test_value_bands_at_their_boundaries(first: float, second: float, status: str) -> None:
    assert assess_value(two_metrics(first, second)).status == status


def test_a_high_mean_with_one_metric_far_off_is_promising_not_clear() -> None:
    metrics = by_key(
        value_metric(45, target=100, baseline=0),
        *(
            MetricStatus(key, "value", 100, 100, "higher")
            for key in ("outcome_quality", "workflow_minutes_saved", "realized_benefit")
        ),
    )
    # mean (0.45 + 3) / 4 = 0.86
    assert assess_value(metrics).status == PROMISING


def test_an_improving_trend_lifts_a_middling_value_to_promising() -> None:
    # At the improving floor (40% of the way), up IMPROVING_STEP (5 points) in a week.
    assert (IMPROVING_SCORE, IMPROVING_STEP) == (0.4, 0.05)
    improving = assess_value(by_key(value_metric(40, target=100, baseline=0, previous=35)))
    assert improving.status == PROMISING
    assert "Trend: improving by 5% since the week before" in improving.reasons
    almost = assess_value(by_key(value_metric(40, target=100, baseline=0, previous=35.5)))
    assert almost.status == WEAK
    below_floor = assess_value(by_key(value_metric(39.5, target=100, baseline=0, previous=20)))
    assert below_floor.status == WEAK


def test_a_declining_trend_is_reported() -> None:
    assessment = assess_value(two_metrics(100, previous=100))
    assert not any(r.startswith("Trend") for r in assessment.reasons)
    declining = assess_value(two_metrics(60, previous=90))
    assert "Trend: declining by 15% since the week before" in declining.reasons


# --- assess_reliability ------------------------------------------------------------------


def test_reliability_is_unknown_without_data() -> None:
    assert assess_reliability({}).status == UNKNOWN


def test_reliability_is_stable_when_every_target_is_met() -> None:
    metrics = by_key(reliability_metric("error_rate", 0.01), reliability_metric("drift_score", 0.0))
    assert assess_reliability(metrics).status == STABLE


def test_reliability_is_weak_when_a_minority_of_targets_is_missed() -> None:
    metrics = by_key(
        reliability_metric("error_rate", 0.03),
        reliability_metric("drift_score", 0.01),
        reliability_metric("hallucination_rate", 0.01),
    )
    assessment = assess_reliability(metrics)
    assert assessment.status == WEAK
    assert assessment.reasons == ("error_rate is 0.03, target 0.02",)


def test_reliability_is_weak_with_an_open_alert() -> None:
    metrics = by_key(reliability_metric("error_rate", 0.01))
    assessment = assess_reliability(metrics, open_alerts=1)
    assert (assessment.status, assessment.reasons) == (WEAK, ("1 open reliability alert",))


def test_reliability_has_a_high_burden_when_a_threshold_is_breached() -> None:
    metrics = by_key(
        reliability_metric("error_rate", 0.2, threshold=0.1),
        reliability_metric("drift_score", 0.0),
        reliability_metric("hallucination_rate", 0.0),
    )
    assessment = assess_reliability(metrics)
    assert assessment.status == HIGH_BURDEN
    assert assessment.reasons == ("error_rate is 0.2, past its threshold 0.1",)


def test_a_threshold_alone_judges_reliability() -> None:
    """A catalog default threshold (drift) with no workbook target still counts."""
    drift = MetricStatus("drift_score", "reliability", 3.5, None, "lower", threshold=3)
    assert assess_reliability(by_key(drift)).status == HIGH_BURDEN
    calm = MetricStatus("drift_score", "reliability", 3.0, None, "lower", threshold=3)
    assert assess_reliability(by_key(calm)).status == UNKNOWN


def test_reliability_has_a_high_burden_when_most_targets_are_missed() -> None:
    metrics = by_key(reliability_metric("error_rate", 0.03), reliability_metric("drift_score", 0.5))
    assert assess_reliability(metrics).status == HIGH_BURDEN


def test_many_open_alerts_are_a_high_burden_even_without_metrics() -> None:
    assert assess_reliability({}, open_alerts=HIGH_BURDEN_OPEN_ALERTS).status == HIGH_BURDEN
    assert assess_reliability({}, open_alerts=HIGH_BURDEN_OPEN_ALERTS - 1).status == UNKNOWN


# --- assess_economics (items 2 and 8) ----------------------------------------------------


def test_economics_is_unknown_without_a_case_or_cost_metrics() -> None:
    assert assess_economics({}).status == UNKNOWN


def test_economics_is_acceptable_with_positive_planned_net_value() -> None:
    assessment = assess_economics({}, net_annual_value=Decimal("125000.50"))
    assert assessment.status == ACCEPTABLE
    assert assessment.reasons == ("Planned net annual value is €125,001 (no measured costs yet)",)


@pytest.mark.parametrize("net", [Decimal("0"), Decimal("-1.00"), -250000.0])
def test_economics_fails_when_net_value_is_not_positive(net: Decimal | float) -> None:
    assert assess_economics({}, net_annual_value=net).status == FAILING


def test_realized_net_value_wins_over_the_plan() -> None:
    assessment = assess_economics(
        {},
        net_annual_value=Decimal(180000),
        realized_net_annual_value=Decimal(-42000),
        realised_basis="measured cost per transaction; planned benefit",
    )
    assert assessment.status == FAILING
    assert assessment.reasons[0] == (
        "Realized net annual value is -€42,000 (measured cost per transaction; planned "
        "benefit); planned €180,000"
    )
    good = assess_economics({}, net_annual_value=Decimal(-5), realized_net_annual_value=1)
    assert good.status == ACCEPTABLE


def test_economics_fails_when_a_cost_threshold_is_breached() -> None:
    metrics = by_key(cost_metric(0.30, threshold=0.25))
    assessment = assess_economics(metrics, net_annual_value=Decimal(1000))
    assert assessment.status == FAILING
    assert "cost_per_transaction is 0.3, past its threshold 0.25" in assessment.reasons


def test_economics_can_be_judged_from_cost_metrics_alone() -> None:
    assert assess_economics(by_key(cost_metric(0.08))).status == ACCEPTABLE
    assert assess_economics(by_key(cost_metric(0.12))).status == FAILING


def test_the_signal_says_which_economics_it_read() -> None:
    metrics = by_key(value_metric(0.6), reliability_metric("error_rate", 0.01))
    planned = portfolio_signal(SignalInputs(metrics=metrics, net_annual_value=Decimal(5)))
    realised = portfolio_signal(
        SignalInputs(metrics=metrics, net_annual_value=Decimal(5), realized_net_annual_value=-1)
    )
    from_costs = portfolio_signal(SignalInputs(metrics=by_key(cost_metric(0.08))))
    nothing = portfolio_signal(SignalInputs(metrics=metrics))
    assert (planned.economics_basis, planned.code) == ("planned", "scale")
    assert (realised.economics_basis, realised.code) == ("realised", "redesign")
    assert from_costs.economics_basis == "cost metrics"
    assert nothing.economics_basis == "none"


# --- decide and portfolio_signal ---------------------------------------------------------

# value, reliability, economics -> signal, written out by hand from DESIGN section 4 and
# the README's "How the signal is decided". c = clear, p = promising, s = stable,
# w = weak, hb = high burden, a = acceptable, f = failing, u = unknown.
TABLE = """
c  s  a   scale
c  s  f   redesign
c  w  a   hold
c  w  f   hold
c  hb a   hold
c  hb f   hold
p  s  a   hold
p  s  f   redesign
p  w  a   hold
p  w  f   hold
p  hb a   hold
p  hb f   hold
w  s  a   redesign
w  s  f   redesign
w  w  a   redesign
w  w  f   stop
w  hb a   stop
w  hb f   stop
u  s  a   insufficient_data
u  s  f   redesign
u  w  a   insufficient_data
u  w  f   insufficient_data
u  hb a   insufficient_data
u  hb f   insufficient_data
c  u  a   insufficient_data
c  u  f   insufficient_data
p  u  a   hold
p  u  f   insufficient_data
w  u  a   insufficient_data
w  u  f   insufficient_data
c  s  u   insufficient_data
c  w  u   hold
c  hb u   hold
p  s  u   insufficient_data
p  w  u   hold
p  hb u   hold
w  s  u   redesign
w  w  u   insufficient_data
w  hb u   stop
u  u  a   insufficient_data
u  u  f   insufficient_data
u  s  u   insufficient_data
u  w  u   insufficient_data
u  hb u   insufficient_data
c  u  u   insufficient_data
p  u  u   insufficient_data
w  u  u   insufficient_data
u  u  u   insufficient_data
"""
ABBREVIATIONS = {
    "c": CLEAR,
    "p": PROMISING,
    "s": STABLE,
    "w": WEAK,
    "hb": HIGH_BURDEN,
    "a": ACCEPTABLE,
    "f": FAILING,
    "u": UNKNOWN,
}
EXPECTED = {
    tuple(ABBREVIATIONS[a] for a in line.split()[:3]): line.split()[3]
    for line in TABLE.strip().splitlines()
}
# The four rows of the source's table, as cells: each must be decided by a source rule.
SOURCE_CELLS = {
    (CLEAR, STABLE, ACCEPTABLE),
    (PROMISING, WEAK, ACCEPTABLE),
    (PROMISING, WEAK, FAILING),
    (PROMISING, HIGH_BURDEN, ACCEPTABLE),
    (CLEAR, STABLE, FAILING),
    (PROMISING, STABLE, FAILING),
    (WEAK, STABLE, FAILING),
    (WEAK, HIGH_BURDEN, ACCEPTABLE),
    (WEAK, HIGH_BURDEN, FAILING),
}


def inputs_for(value: str, reliability: str, economics: str, **kw: Any) -> SignalInputs:
    """Metrics that the assessors turn into exactly these statuses."""
    metrics: dict[str, MetricStatus] = {}
    if value != UNKNOWN:
        metrics["adoption_rate"] = value_metric({CLEAR: 0.6, PROMISING: 0.35, WEAK: 0.2}[value])
    if reliability == STABLE:
        metrics["error_rate"] = reliability_metric("error_rate", 0.01)
    elif reliability == WEAK:
        metrics["error_rate"] = reliability_metric("error_rate", 0.03)
        metrics["drift_score"] = reliability_metric("drift_score", 0.0)
        metrics["uptime_pct"] = MetricStatus("uptime_pct", "reliability", 99.9, 99.5, "higher")
    elif reliability == HIGH_BURDEN:
        metrics["error_rate"] = reliability_metric("error_rate", 0.2, threshold=0.1)
    net = {ACCEPTABLE: Decimal(50000), FAILING: Decimal(-20000), UNKNOWN: None}[economics]
    return SignalInputs(metrics=metrics, net_annual_value=net, **kw)


def test_the_table_covers_every_combination() -> None:
    combos = set(itertools.product(VALUE_STATUSES, RELIABILITY_STATUSES, ECONOMICS_STATUSES))
    assert set(EXPECTED) == combos
    assert len(combos) == 48
    assert len(DECISION_TABLE) == 18


@pytest.mark.parametrize(("statuses", "code"), sorted(EXPECTED.items()))
def test_portfolio_signal_follows_the_documented_table(
    statuses: tuple[str, str, str], code: str
) -> None:
    signal = portfolio_signal(inputs_for(*statuses))
    assert (signal.value.status, signal.reliability.status, signal.economics.status) == statuses
    assert signal.code == signal.table_code == code
    assert signal.label == SIGNAL_LABELS[code]
    assert signal.reasons
    assert signal.rule


@pytest.mark.parametrize("cell", sorted(SOURCE_CELLS))
def test_cells_the_source_decides_say_so(cell: tuple[str, str, str]) -> None:
    signal = portfolio_signal(inputs_for(*cell))
    assert signal.rule_from_source
    assert RULES[DECISION_TABLE[cell][1]][1]


@pytest.mark.parametrize(
    "cell",
    [(PROMISING, STABLE, ACCEPTABLE), (WEAK, WEAK, FAILING), (WEAK, STABLE, ACCEPTABLE)],
)
def test_cells_we_decided_say_so(cell: tuple[str, str, str]) -> None:
    signal = portfolio_signal(inputs_for(*cell))
    assert not signal.rule_from_source
    assert "source" not in signal.explain()["rule"]


def test_decide_refuses_unknown_statuses() -> None:
    with pytest.raises(ValueError):
        decide(UNKNOWN, STABLE, ACCEPTABLE)


def test_scale_signal_reads_well() -> None:
    signal = portfolio_signal(inputs_for(CLEAR, STABLE, ACCEPTABLE))
    assert signal.label == "Scale carefully"
    assert signal.reasons[0] == "Value clear, operations stable, costs acceptable: scale carefully"
    assert (
        "Economics (acceptable): Planned net annual value is €50,000 (no measured costs yet)"
        in signal.reasons
    )


def test_insufficient_data_names_the_missing_dimension_and_the_choices() -> None:
    signal = portfolio_signal(inputs_for(CLEAR, STABLE, UNKNOWN))
    assert signal.code == INSUFFICIENT_DATA
    assert signal.reasons[0] == (
        "Not enough data on economics to choose between scale carefully or redesign or narrow scope"
    )


def test_stop_needs_no_economics_when_value_is_weak_and_burden_high() -> None:
    signal = portfolio_signal(inputs_for(WEAK, HIGH_BURDEN, UNKNOWN))
    assert signal.code == "stop"
    assert signal.reasons[0] == (
        "Value weak and operating burden high: stop (whatever the economics turn out to be)"
    )


def test_the_explanation_carries_the_cell_and_its_inputs() -> None:
    explained = portfolio_signal(inputs_for(CLEAR, WEAK, FAILING)).explain()
    assert explained["cell"] == {"value": CLEAR, "reliability": WEAK, "economics": FAILING}
    assert explained["signal"] == explained["table_signal"] == "hold"
    assert explained["rule_from_source"] is True
    assert explained["economics_basis"] == "planned"
    assert explained["inputs"]["reliability"] == ["error_rate is 0.03, target 0.02"]
    assert explained["inputs"]["economics"][0].startswith("Planned net annual value is -€20,000")


def test_an_empty_pilot_has_insufficient_data() -> None:
    assert portfolio_signal(SignalInputs(metrics={})).code == INSUFFICIENT_DATA


# --- stop conditions: a separate rule, one by-date rule (items 1 and 5) ------------------

BY = date(2025, 9, 1)


def adoption_stop(observed: float | None, action: str = "end", by_date: date | None = BY):
    return StopCondition("adoption_rate", "<", 10, action, by_date=by_date, observed=observed)


def test_by_date_rule_counts_from_the_date_itself() -> None:
    assert not condition_in_force(BY, BY - timedelta(days=1))
    assert condition_in_force(BY, BY)
    assert condition_in_force(None, BY - timedelta(days=999))


@pytest.mark.parametrize(
    ("today", "observed", "met"),
    [
        (BY - timedelta(days=1), 6, False),
        (BY, 6, True),
        (BY, 10, False),  # "< 10": exactly the threshold does not trigger
        (BY, None, False),  # no recent data: nothing to judge
    ],
)
def test_stop_condition_boundaries(today: date, observed: float | None, met: bool) -> None:
    assert stop_condition_met(adoption_stop(observed), today) is met
    signal = portfolio_signal(
        inputs_for(
            CLEAR, STABLE, ACCEPTABLE, stop_conditions=(adoption_stop(observed),), today=today
        )
    )
    assert signal.code == ("stop" if met else "scale")
    assert signal.table_code == "scale"


def test_a_met_stop_condition_recommends_stopping_and_the_table_is_kept() -> None:
    signal = portfolio_signal(
        inputs_for(CLEAR, STABLE, ACCEPTABLE, stop_conditions=(adoption_stop(6),), today=BY)
    )
    assert signal.code == "stop"
    assert signal.reasons[0] == (
        "Stop condition met: adoption_rate is 6 (< 10, in force since 2025-09-01); "
        "agreed action: end the pilot"
    )
    assert signal.reasons[1] == "The decision table alone says scale carefully"
    assert signal.explain()["table_signal"] == "scale"


def test_a_revise_stop_condition_recommends_a_redesign_never_less_severe() -> None:
    revise = (adoption_stop(6, action="revise"),)
    scale = portfolio_signal(
        inputs_for(CLEAR, STABLE, ACCEPTABLE, stop_conditions=revise, today=BY)
    )
    assert scale.code == "redesign"
    stop = portfolio_signal(
        inputs_for(WEAK, HIGH_BURDEN, ACCEPTABLE, stop_conditions=revise, today=BY)
    )
    assert stop.code == "stop"


# --- properties -------------------------------------------------------------------------

metric_statuses = st.builds(
    MetricStatus,
    key=st.sampled_from(["a", "b", "c", "d", "e", "f"]),
    dimension=st.sampled_from(["value", "reliability", "cost", "other"]),
    value=st.none() | st.floats(-1e6, 1e6),
    target=st.none() | st.floats(-1e6, 1e6),
    direction=st.sampled_from(["higher", "lower"]),
    meets_target=st.none() | st.booleans(),
    threshold=st.none() | st.floats(-1e6, 1e6),
    baseline=st.none() | st.floats(-1e6, 1e6),
    previous=st.none() | st.floats(-1e6, 1e6),
)
stop_conditions = st.builds(
    StopCondition,
    key=st.sampled_from(["a", "b"]),
    op=st.sampled_from(["<", "<=", ">", ">="]),
    threshold=st.floats(-1e3, 1e3),
    action=st.sampled_from(["end", "revise"]),
    by_date=st.none() | st.dates(date(2025, 1, 1), date(2025, 12, 31)),
    observed=st.none() | st.floats(-1e3, 1e3),
)
amounts = st.none() | st.decimals(-1e9, 1e9, places=2, allow_nan=False)


@given(
    metrics=st.lists(metric_statuses, max_size=8),
    open_alerts=st.integers(0, 10),
    net=amounts,
    realised=amounts,
    conditions=st.lists(stop_conditions, max_size=3),
    today=st.dates(date(2025, 1, 1), date(2025, 12, 31)),
)
def test_the_signal_is_a_function_of_the_three_statuses_and_the_stop_rule(
    metrics: list[MetricStatus],
    open_alerts: int,
    net: Decimal | None,
    realised: Decimal | None,
    conditions: list[StopCondition],
    today: date,
) -> None:
    signal = portfolio_signal(
        SignalInputs(
            metrics={m.key: m for m in metrics},
            open_alerts=open_alerts,
            net_annual_value=net,
            realized_net_annual_value=realised,
            stop_conditions=tuple(conditions),
            today=today,
        )
    )
    statuses = (signal.value.status, signal.reliability.status, signal.economics.status)
    # The table's answer depends on the three statuses only, exactly as written above.
    assert signal.table_code == EXPECTED[statuses]
    if UNKNOWN not in statuses:
        assert signal.table_code == decide(*statuses)
    # The recommendation is the table's, made more severe only by a met stop condition.
    met = [c for c in conditions if stop_condition_met(c, today)]
    wanted = [signal.table_code] + ["stop" if c.action == "end" else "redesign" for c in met]
    assert signal.code == max(wanted, key=SEVERITY.__getitem__)
    assert signal.code in SIGNAL_CODES
    assert signal.label == SIGNAL_LABELS[signal.code]
    assert signal.reasons
    assert signal.explain()["cell"] == dict(
        zip(("value", "reliability", "economics"), statuses, strict=True)
    )
    # Which economics it read follows the inputs.
    if signal.economics.status != UNKNOWN and realised is not None:
        assert signal.economics_basis == "realised"


@given(a=st.lists(metric_statuses, max_size=6), b=st.lists(metric_statuses, max_size=6))
def test_equal_statuses_give_equal_table_answers(
    a: list[MetricStatus], b: list[MetricStatus]
) -> None:
    first = portfolio_signal(SignalInputs(metrics={m.key: m for m in a}))
    second = portfolio_signal(SignalInputs(metrics={m.key: m for m in b}))
    cell = lambda s: (s.value.status, s.reliability.status, s.economics.status)  # noqa: E731
    if cell(first) == cell(second):
        assert first.table_code == second.table_code
        assert first.rule == second.rule


# --- is_stale ----------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "days"), sorted(EXPECTED_STAGE_DAYS.items()))
def test_a_pilot_is_stale_only_after_its_expected_days(stage: str, days: int) -> None:
    exactly = NOW - timedelta(days=days)
    assert not is_stale(stage, exactly, False, NOW)
    assert is_stale(stage, exactly - timedelta(seconds=1), False, NOW)


def test_a_pending_review_means_not_stale() -> None:
    assert not is_stale("pilot", NOW - timedelta(days=400), True, NOW)


def test_scale_is_never_stale() -> None:
    assert not is_stale("scale", NOW - timedelta(days=4000), False, NOW)


def test_an_unknown_stage_is_not_stale() -> None:
    assert not is_stale("archived", NOW - timedelta(days=4000), False, NOW)


def test_expected_days_can_be_overridden() -> None:
    entered = NOW - timedelta(days=10)
    assert is_stale("pilot", entered, False, NOW, expected_days={"pilot": 7})
    assert not is_stale("pilot", entered, False, NOW)


def test_default_expected_days() -> None:
    assert dict(EXPECTED_STAGE_DAYS) == {"discovery": 45, "pilot": 90, "readiness": 60}


def test_alerts_read_the_by_date_like_the_signal() -> None:
    """Item 5: thresholds.breached (alerts) and the signal share condition_in_force."""
    from metrics.thresholds import MetricExpectation, breached

    stop = MetricExpectation(1, "adoption_rate", "stop", "<", 10, "end", BY)
    for today in (BY - timedelta(days=1), BY, BY + timedelta(days=1)):
        signal_met = stop_condition_met(adoption_stop(6), today)
        assert breached(stop, 6, today) is signal_met is condition_in_force(BY, today)


def test_the_deciding_stop_condition_is_named_first() -> None:
    conditions = (
        adoption_stop(6, action="revise"),
        StopCondition("error_rate", ">", 5, "end", by_date=BY, observed=9),
    )
    signal = portfolio_signal(
        inputs_for(CLEAR, STABLE, ACCEPTABLE, stop_conditions=conditions, today=BY)
    )
    assert signal.code == "stop"
    assert signal.reasons[0].startswith("Stop condition met: error_rate is 9")
