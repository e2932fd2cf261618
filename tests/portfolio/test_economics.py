import json
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio.economics import EconomicCase, EconomicInputs, economic_case, realised_economics

FULL = {
    "expected_annual_benefit": D("500000"),
    "annual_volume": D("120000"),
    "cost_per_transaction": D("0.35"),
    "human_review_rate_pct": D("15"),
    "minutes_per_review": D("4"),
    "loaded_hourly_cost": D("60"),
    "failure_handling_cost": D("20000"),
    "one_time_build_cost": D("150000"),
}


def case(**overrides: Any) -> EconomicCase:
    return economic_case(EconomicInputs(**{**FULL, **overrides}))


def test_a_complete_case_computes_every_figure_by_hand() -> None:
    result = case()
    # 120,000 x 0.35
    assert result.annual_run_cost == D("42000.00")
    # 120,000 x 15% = 18,000 reviews x 4 min = 1,200 h x 60
    assert result.annual_review_hours == D("1200.0")
    assert result.annual_review_cost == D("72000.00")
    assert result.failure_handling_cost == D("20000.00")
    assert result.total_annual_cost == D("134000.00")
    assert result.net_annual_value == D("366000.00")
    # 150,000 / (366,000 / 12) = 4.918...
    assert result.payback_months == D("4.9")
    assert result.payback_label == "4.9 months"
    # (366,000 - 150,000) / (150,000 + 134,000) = 76.056...%
    assert result.roi_pct == D("76.1")
    assert result.complete
    assert result.missing == ()


def test_money_is_rounded_half_up_to_cents() -> None:
    # 3 x 0.335 = 1.005 exactly: half up gives 1.01 (banker's rounding would give 1.00).
    result = case(annual_volume=D("3"), cost_per_transaction=D("0.335"), human_review_rate_pct=0)
    assert result.annual_run_cost == D("1.01")


def test_costs_are_rounded_before_they_are_summed() -> None:
    result = case(
        annual_volume=D("1"),
        cost_per_transaction=D("0.005"),
        human_review_rate_pct=D("100"),
        minutes_per_review=D("0.005"),
        loaded_hourly_cost=D("60"),
        failure_handling_cost=D("0.004"),
    )
    parts = result.annual_run_cost + result.annual_review_cost + result.failure_handling_cost
    assert result.total_annual_cost == parts == D("0.01") + D("0.01") + D("0.00")


def test_payback_of_seven_and_a_half_months() -> None:
    # Net 240,000 a year = 20,000 a month; 150,000 / 20,000 = 7.5.
    result = case(expected_annual_benefit=D("374000"), one_time_build_cost=D("150000"))
    assert result.net_annual_value == D("240000.00")
    assert result.payback_months == D("7.5")
    assert result.payback_label == "7.5 months"


def test_payback_of_exactly_one_month_is_singular() -> None:
    result = case(expected_annual_benefit=D("134000") + D("120000"), one_time_build_cost=D("10000"))
    assert result.payback_months == D("1.0")
    assert result.payback_label == "1 month"


def test_whole_month_paybacks_drop_the_decimal() -> None:
    result = case(
        expected_annual_benefit=D("134000") + D("120000"), one_time_build_cost=D("120000")
    )
    assert result.payback_label == "12 months"


def test_zero_benefit_never_pays_back_and_does_not_divide_by_zero() -> None:
    result = case(expected_annual_benefit=D("0"))
    assert result.net_annual_value == D("-134000.00")
    assert result.payback_months is None
    assert result.payback_label == "never"
    # (-134,000 - 150,000) / 284,000 = -100%
    assert result.roi_pct == D("-100.0")


def test_break_even_net_value_never_pays_back() -> None:
    result = case(expected_annual_benefit=D("134000"))
    assert result.net_annual_value == D("0.00")
    assert result.payback_months is None


def test_zero_build_cost_pays_back_immediately() -> None:
    result = case(one_time_build_cost=D("0"))
    assert result.payback_months == D("0")
    assert result.payback_label == "immediate"
    # 366,000 / 134,000
    assert result.roi_pct == D("273.1")


def test_zero_volume_has_no_running_or_review_cost() -> None:
    result = case(annual_volume=D("0"))
    assert result.annual_run_cost == D("0.00")
    assert result.annual_review_cost == D("0.00")
    assert result.annual_review_hours == D("0.0")
    assert result.total_annual_cost == D("20000.00")
    assert result.net_annual_value == D("480000.00")


def test_nothing_spent_gives_no_roi_instead_of_an_error() -> None:
    inputs = EconomicInputs(expected_annual_benefit=D("1000"))
    result = economic_case(inputs)
    assert result.roi_pct is None
    assert result.payback_label == "immediate"


def test_all_zero_inputs_never_pay_back() -> None:
    result = economic_case(EconomicInputs(**{k: D(0) for k in FULL}))
    assert result.payback_months is None
    assert result.roi_pct is None
    assert result.complete


def test_missing_inputs_count_as_zero_and_are_listed() -> None:
    result = economic_case(
        EconomicInputs(
            expected_annual_benefit=D("100000"),
            annual_volume=D("1000"),
            cost_per_transaction=D("2"),
        )
    )
    assert not result.complete
    assert result.missing == (
        "human_review_rate_pct",
        "minutes_per_review",
        "loaded_hourly_cost",
        "failure_handling_cost",
        "one_time_build_cost",
    )
    assert result.annual_review_cost == D("0.00")
    assert result.total_annual_cost == D("2000.00")
    assert result.net_annual_value == D("98000.00")
    assert result.payback_label == "immediate"


def test_an_empty_draft_is_all_zero_and_incomplete() -> None:
    result = economic_case(EconomicInputs())
    assert result.missing == tuple(FULL)
    assert result.total_annual_cost == D("0.00")
    assert result.payback_months is None
    assert result.roi_pct is None


def test_huge_values_are_exact() -> None:
    result = case(
        expected_annual_benefit=D("1e30"),
        annual_volume=D("1e15"),
        cost_per_transaction=D("123456.789"),
        human_review_rate_pct=D("100"),
        minutes_per_review=D("600"),
        loaded_hourly_cost=D("1e6"),
        failure_handling_cost=D("0"),
        one_time_build_cost=D("1e20"),
    )
    assert result.annual_run_cost == D("123456789000000000000.00")
    # 1e15 reviews x 10 h x 1e6
    assert result.annual_review_cost == D("1e22").quantize(D("0.01"))
    expected_total = D("123456789000000000000") + D("1e22")
    assert result.total_annual_cost == expected_total
    assert result.net_annual_value == D("1e30") - expected_total
    assert result.payback_months == D("0.0")
    assert result.payback_label == "immediate"


def test_big_but_realistic_figures_format_with_separators() -> None:
    result = case(expected_annual_benefit=D("134001"), one_time_build_cost=D("1000"))
    # 1,000 / (1 / 12) = 12,000 months
    assert result.payback_label == "12,000 months"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("annual_volume", D("-1")),
        ("human_review_rate_pct", D("100.1")),
        ("cost_per_transaction", D("NaN")),
        ("loaded_hourly_cost", D("Infinity")),
        ("minutes_per_review", "four"),
        ("failure_handling_cost", True),
    ],
)
def test_invalid_inputs_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValueError):
        EconomicInputs(**{field: value})


def test_ints_strings_and_floats_are_accepted_as_decimals() -> None:
    inputs = EconomicInputs(annual_volume=1000, cost_per_transaction="0.10", loaded_hourly_cost=0.1)  # type: ignore[arg-type]
    assert inputs.annual_volume == D("1000")
    assert inputs.cost_per_transaction == D("0.10")
    assert inputs.loaded_hourly_cost == D("0.1")


def test_as_dict_is_json_safe() -> None:
    data = json.loads(json.dumps(case().as_dict()))
    assert data["net_annual_value"] == "366000.00"
    assert data["payback_months"] == "4.9"
    assert data["payback_label"] == "4.9 months"
    assert data["complete"] is True
    assert (
        json.loads(json.dumps(case(expected_annual_benefit=0).as_dict()))["payback_months"] is None
    )


money = st.decimals(min_value=0, max_value=D("1e9"), places=2)


@given(
    benefit=money,
    volume=st.decimals(min_value=0, max_value=D("1e8"), places=0),
    cost=st.decimals(min_value=0, max_value=100, places=4),
    rate=st.decimals(min_value=0, max_value=100, places=1),
    minutes=st.decimals(min_value=0, max_value=120, places=1),
    hourly=st.decimals(min_value=0, max_value=500, places=2),
    failure=money,
    build=money,
)
def test_figures_are_consistent_for_any_inputs(
    benefit: D, volume: D, cost: D, rate: D, minutes: D, hourly: D, failure: D, build: D
) -> None:
    result = economic_case(
        EconomicInputs(benefit, volume, cost, rate, minutes, hourly, failure, build)
    )
    assert (
        result.total_annual_cost
        == result.annual_run_cost + result.annual_review_cost + result.failure_handling_cost
    )
    assert result.net_annual_value == result.expected_annual_benefit - result.total_annual_cost
    for amount in (result.annual_run_cost, result.total_annual_cost, result.net_annual_value):
        assert amount.as_tuple().exponent == -2
    if result.net_annual_value <= 0:
        assert result.payback_label == "never"
    else:
        assert result.payback_months is not None and result.payback_months >= 0
    if result.roi_pct is not None:
        assert result.roi_pct >= D("-100.0")


# --- realised economics (issue 14, item 2) -----------------------------------------------

PLAN = dict(
    expected_annual_benefit="300000",
    annual_volume="100000",
    cost_per_transaction="0.50",
    human_review_rate_pct="10",
    minutes_per_review="6",
    loaded_hourly_cost="50",
    failure_handling_cost="10000",
    one_time_build_cost="20000",
)


def test_nothing_measured_is_no_realised_case():
    assert realised_economics(EconomicInputs(**PLAN)) is None
    assert realised_economics(EconomicInputs(**PLAN), monthly_benefit=1) is None


def test_measured_cost_per_transaction_times_the_planned_volume():
    realised = realised_economics(EconomicInputs(**PLAN), cost_per_transaction=3.0)
    # run 100,000 x 3.00; review 1,000 h x 50 = 50,000; failure 10,000; benefit planned.
    assert realised.annual_run_cost == D("300000.00")
    assert realised.total_annual_cost == D("360000.00")
    assert realised.net_annual_value == D("-60000.00")
    assert realised.measured == ("cost per transaction",)
    assert realised.basis == (
        "measured cost per transaction; planned benefit and review and failure-handling costs"
    )


def test_a_monthly_run_cost_wins_over_cost_per_transaction_and_benefit_is_annualised():
    realised = realised_economics(
        EconomicInputs(**PLAN),
        monthly_run_cost=2000,
        cost_per_transaction=9,
        monthly_benefit=30000,
    )
    assert realised.annual_run_cost == D("24000.00")
    assert realised.annual_benefit == D("360000.00")
    assert realised.net_annual_value == D("276000.00")
    assert realised.measured == ("run cost", "benefit")


def test_cost_per_transaction_needs_a_planned_volume():
    inputs = EconomicInputs(**{**PLAN, "annual_volume": None})
    assert realised_economics(inputs, cost_per_transaction=1) is None
    assert realised_economics(inputs, monthly_run_cost=1) is not None
