"""The decision table, stop conditions and staleness: from the dimensions to a signal."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType

from metrics.signal.dimensions import (
    _measure,
    assess_economics,
    assess_reliability,
    assess_value,
    economics_basis,
)
from metrics.signal.inputs import Signal, SignalInputs, StopCondition
from metrics.signal.vocabulary import (
    ACCEPTABLE,
    CLEAR,
    ECONOMICS_STATUSES,
    EXPECTED_STAGE_DAYS,
    FAILING,
    HIGH_BURDEN,
    HOLD,
    INSUFFICIENT_DATA,
    PROMISING,
    REDESIGN,
    RELIABILITY_STATUSES,
    SCALE,
    SEVERITY,
    SIGNAL_CODES,
    SIGNAL_LABELS,
    STABLE,
    STATUS_LABELS,
    STOP,
    UNKNOWN,
    VALUE_STATUSES,
    WEAK,
    condition_holds,
    condition_in_force,
)

# --- the decision table -----------------------------------------------------------------

# rule id -> (what it says, whether the source's table says it)
RULES: Mapping[str, tuple[str, bool]] = MappingProxyType(
    {
        "scale": ("Value clear, operations stable, costs acceptable: scale carefully", True),
        "hold": (
            "Value clear or promising, reliability or support burden weak: hold and harden",
            True,
        ),
        "redesign_economics": (
            "Reliability acceptable but the economics fail: redesign or narrow scope",
            True,
        ),
        "stop": ("Value weak and operating burden high: stop", True),
        "hold_unproven": (
            "Value promising but not yet clear, operations stable, costs acceptable: hold "
            "(keep it limited) until the value is clear",
            False,
        ),
        "stop_nothing_holds": (
            "Value weak, reliability weak and economics failing: nothing holds up, stop",
            False,
        ),
        "redesign_value": (
            "Value weak while operations hold and costs are acceptable: redesign or narrow scope",
            False,
        ),
    }
)


def _known(statuses: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in statuses if s != UNKNOWN)


def _table() -> dict[tuple[str, str, str], tuple[str, str]]:
    table: dict[tuple[str, str, str], tuple[str, str]] = {}
    for v, r, e in itertools.product(
        _known(VALUE_STATUSES), _known(RELIABILITY_STATUSES), _known(ECONOMICS_STATUSES)
    ):
        if v == WEAK and r == HIGH_BURDEN:
            cell = (STOP, "stop")
        elif e == FAILING and r == STABLE:
            cell = (REDESIGN, "redesign_economics")
        elif v in (CLEAR, PROMISING) and r in (WEAK, HIGH_BURDEN):
            cell = (HOLD, "hold")
        elif v == CLEAR and r == STABLE and e == ACCEPTABLE:
            cell = (SCALE, "scale")
        elif v == PROMISING and r == STABLE and e == ACCEPTABLE:
            cell = (HOLD, "hold_unproven")
        elif v == WEAK and r == WEAK and e == FAILING:
            cell = (STOP, "stop_nothing_holds")
        else:  # weak value, stable or weak reliability, acceptable economics
            cell = (REDESIGN, "redesign_value")
        table[(v, r, e)] = cell
    return table


# (value, reliability, economics) -> (signal, rule id), for every known combination.
DECISION_TABLE: Mapping[tuple[str, str, str], tuple[str, str]] = MappingProxyType(_table())


def decide(value: str, reliability: str, economics: str) -> str:
    """The table's signal for three known statuses."""
    if UNKNOWN in (value, reliability, economics):
        raise ValueError("decide() needs known statuses; use portfolio_signal()")
    return DECISION_TABLE[(value, reliability, economics)][0]


def table_signal(value: str, reliability: str, economics: str) -> tuple[str, str, bool]:
    """(signal, rule text, whether the source decides it) for statuses that may be unknown."""
    options = [
        _known(VALUE_STATUSES) if value == UNKNOWN else (value,),
        _known(RELIABILITY_STATUSES) if reliability == UNKNOWN else (reliability,),
        _known(ECONOMICS_STATUSES) if economics == UNKNOWN else (economics,),
    ]
    cells = {DECISION_TABLE[combo] for combo in itertools.product(*options)}
    codes = {code for code, _ in cells}
    unknown = [
        name
        for name, status in zip(("value", "reliability", "economics"), options, strict=True)
        if len(status) > 1
    ]
    if len(codes) > 1:
        choices = " or ".join(SIGNAL_LABELS[c].lower() for c in SIGNAL_CODES if c in codes)
        return (
            INSUFFICIENT_DATA,
            f"Not enough data on {' and '.join(unknown)} to choose between {choices}",
            False,
        )
    code = codes.pop()
    rule_ids = sorted({rule for _, rule in cells})
    text = "; ".join(RULES[r][0] for r in rule_ids)
    if unknown:
        text = f"{text} (whatever the {' and '.join(unknown)} turn out to be)"
    return code, text, all(RULES[r][1] for r in rule_ids)


def stop_condition_met(condition: StopCondition, today: date) -> bool:
    return (
        condition.observed is not None
        and condition_in_force(condition.by_date, today)
        and condition_holds(condition.op, condition.observed, condition.threshold)
    )


def stop_condition_text(condition: StopCondition) -> str:
    action = "end the pilot" if condition.action == "end" else "revise it"
    since = f", in force since {condition.by_date.isoformat()}" if condition.by_date else ""
    observed = (
        _measure(condition.observed, condition.unit) if condition.observed is not None else "?"
    )
    limit = _measure(condition.threshold, condition.unit)
    return (
        f"Stop condition met: {condition.name or condition.key} is {observed} "
        f"({condition.op} {limit}{since}); agreed action: {action}"
    )


def portfolio_signal(inputs: SignalInputs) -> Signal:
    value = assess_value(inputs.metrics)
    reliability = assess_reliability(inputs.metrics, open_alerts=inputs.open_alerts)
    economics = assess_economics(
        inputs.metrics,
        net_annual_value=inputs.net_annual_value,
        realized_net_annual_value=inputs.realized_net_annual_value,
        realised_basis=inputs.realised_basis,
    )
    table_code, rule, from_source = table_signal(value.status, reliability.status, economics.status)

    today = inputs.today or date.today()
    # The conditions that decide come first: "end" before "revise".
    met = sorted(
        (c for c in inputs.stop_conditions if stop_condition_met(c, today)),
        key=lambda c: c.action != "end",
    )
    code = table_code
    for condition in met:
        wanted = STOP if condition.action == "end" else REDESIGN
        if SEVERITY[wanted] > SEVERITY[code]:
            code = wanted
    reasons: list[str] = [stop_condition_text(c) for c in met]
    if table_code == INSUFFICIENT_DATA or code == table_code:
        reasons.append(rule if table_code == INSUFFICIENT_DATA else _headline(table_code, rule))
    else:
        reasons.append(f"The decision table alone says {SIGNAL_LABELS[table_code].lower()}")
    assessments = {"value": value, "reliability": reliability, "economics": economics}
    for name, assessment in assessments.items():
        status = STATUS_LABELS[assessment.status]
        reasons += [f"{name.capitalize()} ({status}): {r}" for r in assessment.reasons]
    return Signal(
        code=code,
        label=SIGNAL_LABELS[code],
        reasons=tuple(reasons),
        value=value,
        reliability=reliability,
        economics=economics,
        table_code=table_code,
        rule=rule,
        rule_from_source=from_source,
        economics_basis=economics_basis(inputs, economics),
        stop_conditions_met=tuple(stop_condition_text(c) for c in met),
    )


def stale_before(
    now: datetime, expected_days: Mapping[str, int] = EXPECTED_STAGE_DAYS
) -> dict[str, datetime]:
    """Per stage with an expected duration, the moment a pilot must have entered it after
    not to be stale. The one definition of "too long in stage": `is_stale` compares with
    it here, the dashboard's SQL (dashboard.selectors.pilots.over_expected_q) in a query."""
    return {stage: now - timedelta(days=days) for stage, days in expected_days.items()}


def is_stale(
    stage: str,
    entered_stage_at: datetime,
    has_pending_review: bool,
    now: datetime,
    expected_days: Mapping[str, int] = EXPECTED_STAGE_DAYS,
) -> bool:
    """True for a "permanent demo": in a stage longer than expected with no review asked.

    Stages without an expected duration (scale) are never stale. Exactly the expected
    number of days is not stale yet.
    """
    if has_pending_review:
        return False
    before = stale_before(now, expected_days).get(stage)
    return before is not None and entered_stage_at < before


def _headline(code: str, rule: str) -> str:
    return rule[:1].upper() + rule[1:] if rule else SIGNAL_LABELS[code]
