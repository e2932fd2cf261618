import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.signal import (
    ECONOMICS_STATUSES,
    EXPECTED_STAGE_DAYS,
    FAILING,
    HEALTHY,
    HIGH_BURDEN,
    HIGH_BURDEN_OPEN_ALERTS,
    INSUFFICIENT_DATA,
    RELIABILITY_STATUSES,
    SIGNAL_CODES,
    SIGNAL_LABELS,
    UNKNOWN,
    VALUE_STATUSES,
    WEAK,
    MetricStatus,
    SignalInputs,
    assess_economics,
    assess_reliability,
    assess_value,
    decide,
    is_stale,
    portfolio_signal,
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


# --- assess_value ------------------------------------------------------------------------


def test_value_is_unknown_without_a_judged_metric() -> None:
    assert assess_value({}).status == UNKNOWN
    assert assess_value(by_key(value_metric(None))).status == UNKNOWN
    assert assess_value(by_key(value_metric(0.9, target=None))).status == UNKNOWN


def test_value_ignores_other_dimensions() -> None:
    assert assess_value(by_key(reliability_metric("error_rate", 0.01))).status == UNKNOWN


def test_value_is_healthy_when_its_metrics_meet_target() -> None:
    assessment = assess_value(by_key(value_metric(0.6)))
    assert assessment.status == HEALTHY
    assert assessment.reasons == ("1 of 1 value metrics meet their target",)


def test_value_is_healthy_when_half_meet_target() -> None:
    metrics = by_key(
        value_metric(0.6),
        MetricStatus("outcome_quality", "value", 3.9, 4.2, "higher"),
    )
    assessment = assess_value(metrics)
    assert assessment.status == HEALTHY
    assert "outcome_quality is 3.9, target 4.2" in assessment.reasons


def test_value_is_weak_when_most_metrics_miss_target() -> None:
    metrics = by_key(
        value_metric(0.2),
        MetricStatus("outcome_quality", "value", 3.9, 4.2, "higher"),
        MetricStatus("workflow_minutes_saved", "value", 1200, 1000, "higher"),
    )
    assessment = assess_value(metrics)
    assert assessment.status == WEAK
    assert assessment.reasons[0] == "1 of 3 value metrics meet their target"


def test_value_past_a_stop_condition_is_weak_even_if_others_are_fine() -> None:
    metrics = by_key(
        value_metric(0.9),
        MetricStatus("bypass_rate", "value", 0.4, 0.5, "lower", threshold=0.3),
    )
    assessment = assess_value(metrics)
    assert assessment.status == WEAK
    assert "bypass_rate is 0.4, past its threshold 0.3" in assessment.reasons


# --- assess_reliability ------------------------------------------------------------------


def test_reliability_is_unknown_without_data() -> None:
    assert assess_reliability({}).status == UNKNOWN


def test_reliability_is_healthy_when_every_target_is_met() -> None:
    metrics = by_key(reliability_metric("error_rate", 0.01), reliability_metric("drift_score", 0.0))
    assert assess_reliability(metrics).status == HEALTHY


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
    assert (assessment.status, assessment.reasons) == (WEAK, ("1 open alert",))


def test_reliability_has_a_high_burden_when_a_threshold_is_breached() -> None:
    metrics = by_key(
        reliability_metric("error_rate", 0.2, threshold=0.1),
        reliability_metric("drift_score", 0.0),
        reliability_metric("hallucination_rate", 0.0),
    )
    assessment = assess_reliability(metrics)
    assert assessment.status == HIGH_BURDEN
    assert assessment.reasons == ("error_rate is 0.2, past its threshold 0.1",)


def test_reliability_has_a_high_burden_when_most_targets_are_missed() -> None:
    metrics = by_key(reliability_metric("error_rate", 0.03), reliability_metric("drift_score", 0.5))
    assert assess_reliability(metrics).status == HIGH_BURDEN


def test_many_open_alerts_are_a_high_burden_even_without_metrics() -> None:
    assert assess_reliability({}, open_alerts=HIGH_BURDEN_OPEN_ALERTS).status == HIGH_BURDEN
    assert assess_reliability({}, open_alerts=HIGH_BURDEN_OPEN_ALERTS - 1).status == UNKNOWN


# --- assess_economics --------------------------------------------------------------------


def test_economics_is_unknown_without_a_case_or_cost_metrics() -> None:
    assert assess_economics({}).status == UNKNOWN


def test_economics_is_healthy_with_positive_net_value() -> None:
    assessment = assess_economics({}, net_annual_value=Decimal("125000.50"))
    assert assessment.status == HEALTHY
    assert assessment.reasons == ("Net annual value is 125,000.5",)


@pytest.mark.parametrize("net", [Decimal("0"), Decimal("-1.00"), -250000.0])
def test_economics_fails_when_net_value_is_not_positive(net: Decimal | float) -> None:
    assert assess_economics({}, net_annual_value=net).status == FAILING


def test_economics_fails_when_a_cost_threshold_is_breached() -> None:
    metrics = by_key(cost_metric(0.30, threshold=0.25))
    assessment = assess_economics(metrics, net_annual_value=Decimal(1000))
    assert assessment.status == FAILING
    assert "cost_per_transaction is 0.3, past its threshold 0.25" in assessment.reasons


def test_economics_can_be_judged_from_cost_metrics_alone() -> None:
    assert assess_economics(by_key(cost_metric(0.08))).status == HEALTHY
    assert assess_economics(by_key(cost_metric(0.12))).status == FAILING


# --- decide and portfolio_signal ---------------------------------------------------------

# value, reliability, economics -> signal. u = unknown, hb = high burden, f = failing.
DECISION_TABLE = """
h  h  h   scale
h  h  f   redesign
h  w  h   hold
h  w  f   hold
h  hb h   hold
h  hb f   hold
w  h  h   redesign
w  h  f   redesign
w  w  h   redesign
w  w  f   stop
w  hb h   stop
w  hb f   stop
u  h  h   insufficient_data
u  h  f   redesign
u  w  h   insufficient_data
u  w  f   insufficient_data
u  hb h   insufficient_data
u  hb f   insufficient_data
h  u  h   insufficient_data
h  u  f   insufficient_data
w  u  h   insufficient_data
w  u  f   insufficient_data
h  h  u   insufficient_data
h  w  u   hold
h  hb u   hold
w  h  u   redesign
w  w  u   insufficient_data
w  hb u   stop
u  u  h   insufficient_data
u  u  f   insufficient_data
u  h  u   insufficient_data
u  w  u   insufficient_data
u  hb u   insufficient_data
h  u  u   insufficient_data
w  u  u   insufficient_data
u  u  u   insufficient_data
"""
ABBREVIATIONS = {"h": HEALTHY, "w": WEAK, "hb": HIGH_BURDEN, "f": FAILING, "u": UNKNOWN}
EXPECTED = {
    tuple(ABBREVIATIONS[a] for a in line.split()[:3]): line.split()[3]
    for line in DECISION_TABLE.strip().splitlines()
}


def inputs_for(value: str, reliability: str, economics: str) -> SignalInputs:
    """Metrics that the assessors turn into exactly these statuses."""
    metrics: dict[str, MetricStatus] = {}
    if value != UNKNOWN:
        metrics["adoption_rate"] = value_metric(0.6 if value == HEALTHY else 0.2)
    if reliability == HEALTHY:
        metrics["error_rate"] = reliability_metric("error_rate", 0.01)
    elif reliability == WEAK:
        metrics["error_rate"] = reliability_metric("error_rate", 0.03)
        metrics["drift_score"] = reliability_metric("drift_score", 0.0)
        metrics["uptime_pct"] = MetricStatus("uptime_pct", "reliability", 99.9, 99.5, "higher")
    elif reliability == HIGH_BURDEN:
        metrics["error_rate"] = reliability_metric("error_rate", 0.2, threshold=0.1)
    net = {HEALTHY: Decimal(50000), FAILING: Decimal(-20000), UNKNOWN: None}[economics]
    return SignalInputs(metrics=metrics, net_annual_value=net)


def test_the_decision_table_covers_every_combination() -> None:
    combos = set(itertools.product(VALUE_STATUSES, RELIABILITY_STATUSES, ECONOMICS_STATUSES))
    assert set(EXPECTED) == combos
    assert len(combos) == 36


@pytest.mark.parametrize(("statuses", "code"), sorted(EXPECTED.items()))
def test_portfolio_signal_follows_the_documented_rules(
    statuses: tuple[str, str, str], code: str
) -> None:
    signal = portfolio_signal(inputs_for(*statuses))
    assert (signal.value.status, signal.reliability.status, signal.economics.status) == statuses
    assert signal.code == code
    assert signal.label == SIGNAL_LABELS[code]
    assert signal.reasons


@pytest.mark.parametrize(
    ("statuses", "code"), [(s, c) for s, c in sorted(EXPECTED.items()) if UNKNOWN not in s]
)
def test_decide_matches_the_table_for_known_statuses(
    statuses: tuple[str, str, str], code: str
) -> None:
    assert decide(*statuses) == code


def test_decide_refuses_unknown_statuses() -> None:
    with pytest.raises(ValueError):
        decide(UNKNOWN, HEALTHY, HEALTHY)


def test_scale_signal_reads_well() -> None:
    signal = portfolio_signal(inputs_for(HEALTHY, HEALTHY, HEALTHY))
    assert signal.label == "Scale carefully"
    assert signal.reasons[0] == "Value is clear, operations are stable and the economics hold"
    assert "Economics: Net annual value is 50,000" in signal.reasons


def test_insufficient_data_names_the_missing_dimension_and_the_choices() -> None:
    signal = portfolio_signal(inputs_for(HEALTHY, HEALTHY, UNKNOWN))
    assert signal.code == INSUFFICIENT_DATA
    assert signal.reasons[0] == (
        "Not enough data on economics to choose between scale carefully or redesign or narrow scope"
    )


def test_stop_needs_no_economics_when_value_is_weak_and_burden_high() -> None:
    signal = portfolio_signal(inputs_for(WEAK, HIGH_BURDEN, UNKNOWN))
    assert signal.code == "stop"
    assert signal.reasons[0] == "Value is weak and the operating burden is high"


def test_redesign_explains_failing_economics() -> None:
    signal = portfolio_signal(inputs_for(HEALTHY, HEALTHY, FAILING))
    assert signal.reasons[0] == "The system runs acceptably but the economics do not work"


def test_an_empty_pilot_has_insufficient_data() -> None:
    assert portfolio_signal(SignalInputs(metrics={})).code == INSUFFICIENT_DATA


status_sets = st.fixed_dictionaries(
    {
        "value": st.sampled_from(VALUE_STATUSES),
        "reliability": st.sampled_from(RELIABILITY_STATUSES),
        "economics": st.sampled_from(ECONOMICS_STATUSES),
    }
)


@given(
    metrics=st.lists(
        st.builds(
            MetricStatus,
            key=st.sampled_from(["a", "b", "c", "d", "e", "f"]),
            dimension=st.sampled_from(["value", "reliability", "cost", "other"]),
            value=st.none() | st.floats(-1e6, 1e6),
            target=st.none() | st.floats(-1e6, 1e6),
            direction=st.sampled_from(["higher", "lower"]),
            meets_target=st.none() | st.booleans(),
            threshold=st.none() | st.floats(-1e6, 1e6),
        ),
        max_size=8,
    ),
    open_alerts=st.integers(0, 10),
    net=st.none() | st.decimals(-1e9, 1e9, places=2, allow_nan=False),
)
def test_a_signal_is_always_produced_and_consistent(
    metrics: list[MetricStatus], open_alerts: int, net: Decimal | None
) -> None:
    signal = portfolio_signal(
        SignalInputs(
            metrics={m.key: m for m in metrics}, open_alerts=open_alerts, net_annual_value=net
        )
    )
    assert signal.code in SIGNAL_CODES
    assert signal.label == SIGNAL_LABELS[signal.code]
    assert signal.reasons
    statuses = (signal.value.status, signal.reliability.status, signal.economics.status)
    if UNKNOWN not in statuses:
        assert signal.code == decide(*statuses)
    else:
        assert signal.code == EXPECTED[statuses]


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
