"""The three dimensions: value, reliability and support burden, economics."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from config.money import format_money
from gates.engine import format_number
from gates.engine.wording import with_unit
from metrics.signal.inputs import DimensionAssessment, MetricStatus, SignalInputs
from metrics.signal.vocabulary import (
    ACCEPTABLE,
    CLEAR,
    CLEAR_SCORE,
    FAILING,
    FAR_FROM_TARGET,
    HIGH_BURDEN,
    HIGH_BURDEN_OPEN_ALERTS,
    IMPROVING_SCORE,
    IMPROVING_STEP,
    PROMISING,
    PROMISING_SCORE,
    STABLE,
    UNKNOWN,
    WEAK,
)


def assess_value(metrics: Mapping[str, MetricStatus]) -> DimensionAssessment:
    """How close the value metrics are to their targets (thresholds play no part).

    Clear: mean attainment >= CLEAR_SCORE and none below FAR_FROM_TARGET. Promising: mean
    >= PROMISING_SCORE, or >= IMPROVING_SCORE while the mean rose by IMPROVING_STEP since
    the previous window. Weak otherwise. Unknown when no value metric has data and a target.
    """
    judged = [m for m in _in_dimension(metrics, "value") if m.attainment is not None]
    if not judged:
        return DimensionAssessment(UNKNOWN, ("No value metric has recent data and a target",))
    scores = [m.attainment for m in judged]
    score = sum(scores) / len(scores)
    met = sum(1 for m in judged if m.met)
    noun = "value metric meets its" if len(judged) == 1 else "value metrics meet their"
    reasons = [
        f"{met} of {len(judged)} {noun} target; on average {_pct(score)} of the way to target"
    ]
    for m in judged:
        if not m.met:
            reasons.append(f"{_miss_reason(m)} ({_pct(m.attainment)} of the way)")
    trend = _trend(judged)
    if trend is not None and abs(trend) >= IMPROVING_STEP:
        word = "improving" if trend > 0 else "declining"
        reasons.append(f"Trend: {word} by {_pct(abs(trend))} since the week before")
    improving = trend is not None and trend >= IMPROVING_STEP
    if score >= CLEAR_SCORE and min(scores) >= FAR_FROM_TARGET:
        status = CLEAR
    elif score >= PROMISING_SCORE or (score >= IMPROVING_SCORE and improving):
        status = PROMISING
    else:
        status = WEAK
    return DimensionAssessment(status, tuple(reasons))


def assess_reliability(
    metrics: Mapping[str, MetricStatus], *, open_alerts: int = 0
) -> DimensionAssessment:
    """High burden on a breached threshold, most targets missed or many open alerts.

    Weak when any reliability target is missed or an alert is open; stable otherwise.
    Unknown when no reliability metric has a verdict and there are too few open alerts
    to call the burden high.
    """
    relevant = _in_dimension(metrics, "reliability")
    judged = [m for m in relevant if m.met is not None]
    breaches = [m for m in relevant if m.breached]
    if not judged and not breaches and open_alerts < HIGH_BURDEN_OPEN_ALERTS:
        reasons = ["No reliability metric has recent data and a target or threshold"]
        if open_alerts:
            reasons.append(_alerts_reason(open_alerts))
        return DimensionAssessment(UNKNOWN, tuple(reasons))
    misses = [m for m in judged if not m.met and not m.breached]
    reasons = [_breach_reason(m) for m in breaches] + [_miss_reason(m) for m in misses]
    if open_alerts > 0:
        reasons.append(_alerts_reason(open_alerts))
    missed_total = len([m for m in judged if not m.met])
    if (
        breaches
        or (judged and missed_total * 2 > len(judged))
        or open_alerts >= HIGH_BURDEN_OPEN_ALERTS
    ):
        return DimensionAssessment(HIGH_BURDEN, tuple(reasons))
    if missed_total or open_alerts > 0:
        return DimensionAssessment(WEAK, tuple(reasons))
    noun = "reliability metric meets its" if len(judged) == 1 else "reliability metrics meet their"
    return DimensionAssessment(STABLE, (f"{len(judged)} {noun} target",))


def assess_economics(
    metrics: Mapping[str, MetricStatus],
    *,
    net_annual_value: Decimal | float | None = None,
    realized_net_annual_value: Decimal | float | None = None,
    realised_basis: str = "",
) -> DimensionAssessment:
    """Failing when the net annual value is not positive, a cost threshold is breached
    or most cost targets are missed; acceptable when the known evidence holds up.

    The net annual value read is the realised one when measured costs give one, else the
    planned case's; the first reason says which.
    """
    costs = _in_dimension(metrics, "cost")
    judged = [m for m in costs if m.met is not None]
    breaches = [m for m in costs if m.breached]
    reasons: list[str] = []
    failing = False
    net = realized_net_annual_value if realized_net_annual_value is not None else net_annual_value
    if realized_net_annual_value is not None:
        planned = "" if net_annual_value is None else f"; planned {format_money(net_annual_value)}"
        basis = f" ({realised_basis})" if realised_basis else ""
        reasons.append(f"Realized net annual value is {format_money(net)}{basis}{planned}")
    elif net_annual_value is not None:
        reasons.append(f"Planned net annual value is {format_money(net)} (no measured costs yet)")
    if net is not None and net <= 0:
        failing = True
        reasons.append("The net annual value must be positive")
    reasons += [_breach_reason(m) for m in breaches]
    misses = [m for m in judged if not m.met]
    reasons += [_miss_reason(m) for m in misses if not m.breached]
    if breaches or (judged and len(misses) * 2 > len(judged)):
        failing = True
    if net is None and not judged and not breaches:
        return DimensionAssessment(UNKNOWN, ("No economic case and no cost metric with a target",))
    return DimensionAssessment(FAILING if failing else ACCEPTABLE, tuple(reasons))


def economics_basis(inputs: SignalInputs, economics: DimensionAssessment) -> str:
    if economics.status == UNKNOWN:
        return "none"
    if inputs.realized_net_annual_value is not None:
        return "realised"
    if inputs.net_annual_value is not None:
        return "planned"
    return "cost metrics"


def _trend(judged: list[MetricStatus]) -> float | None:
    """Change of the value score since the previous window; a metric without a previous
    window counts as unchanged. None when no metric has one."""
    if all(m.previous_attainment is None for m in judged):
        return None
    changes = [
        0.0 if m.previous_attainment is None else m.attainment - m.previous_attainment
        for m in judged
    ]
    return sum(changes) / len(judged)


def _in_dimension(metrics: Mapping[str, MetricStatus], dimension: str) -> list[MetricStatus]:
    return [m for _, m in sorted(metrics.items()) if m.dimension == dimension]


def _number(value: Decimal | float) -> str:
    return format_number(float(value))


def _pct(share: float | None) -> str:
    return f"{round((share or 0) * 100)}%"


def _alerts_reason(open_alerts: int) -> str:
    noun = "alert" if open_alerts == 1 else "alerts"
    return f"{open_alerts:,} open reliability {noun}"


def _measure(value: Decimal | float, unit: str) -> str:
    return with_unit(_number(value), unit)


def _miss_reason(m: MetricStatus) -> str:
    name = m.name or m.key
    if m.value is None or m.target is None:
        return f"{name} misses its target"
    text = f"{name} is {_measure(m.value, m.unit)}, target {_measure(m.target, m.unit)}"
    if m.baseline is not None and m.dimension == "value":
        text += f" from a baseline of {_measure(m.baseline, m.unit)}"
    return text


def _breach_reason(m: MetricStatus) -> str:
    assert m.value is not None and m.threshold is not None
    return (
        f"{m.name or m.key} is {_measure(m.value, m.unit)}, "
        f"past its threshold {_measure(m.threshold, m.unit)}"
    )
