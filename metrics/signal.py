"""Portfolio signal: what to do next with a pilot, from value, reliability and economics.

Each dimension is assessed from plain metric aggregates and targets into a status:

- value: `healthy` (clear or promising), `weak`, `unknown`
- reliability: `healthy` (stable), `weak`, `high_burden`, `unknown`
- economics: `healthy` (acceptable), `failing`, `unknown`

`decide` turns three known statuses into a signal. Rules, first match wins:

1. stop: value weak and reliability high_burden (economics any).
2. redesign: economics failing and reliability healthy (value any).
3. hold: value healthy and reliability weak or high_burden (economics any).
4. scale: value, reliability and economics all healthy.
5. stop: value weak, reliability weak and economics failing: nothing holds up.
6. redesign: the rest (value weak while operations are acceptable or only weak and
   costs hold): the use case needs narrowing or rework before it earns its keep.

`portfolio_signal` handles unknown dimensions: it tries every status an unknown
dimension could take, and when they do not all lead to the same signal it answers
`insufficient_data` (an unknown that decides). When they agree, the signal stands
even without that data; for example value weak with high burden is `stop` whatever
the economics are.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from gates.engine import format_number

HEALTHY = "healthy"
WEAK = "weak"
UNKNOWN = "unknown"
HIGH_BURDEN = "high_burden"
FAILING = "failing"

VALUE_STATUSES: tuple[str, ...] = (HEALTHY, WEAK, UNKNOWN)
RELIABILITY_STATUSES: tuple[str, ...] = (HEALTHY, WEAK, HIGH_BURDEN, UNKNOWN)
ECONOMICS_STATUSES: tuple[str, ...] = (HEALTHY, FAILING, UNKNOWN)

SCALE = "scale"
HOLD = "hold"
REDESIGN = "redesign"
STOP = "stop"
INSUFFICIENT_DATA = "insufficient_data"
SIGNAL_CODES: tuple[str, ...] = (SCALE, HOLD, REDESIGN, STOP, INSUFFICIENT_DATA)
SIGNAL_LABELS: Mapping[str, str] = MappingProxyType(
    {
        SCALE: "Scale carefully",
        HOLD: "Hold and harden",
        REDESIGN: "Redesign or narrow scope",
        STOP: "Stop",
        INSUFFICIENT_DATA: "Insufficient data",
    }
)

HIGHER = "higher"
LOWER = "lower"

# Open alerts count towards support burden: some are weak, many are a high burden.
HIGH_BURDEN_OPEN_ALERTS = 3

EXPECTED_STAGE_DAYS: Mapping[str, int] = MappingProxyType(
    {"discovery": 45, "pilot": 90, "readiness": 60}
)


@dataclass(frozen=True)
class MetricStatus:
    """One metric of a pilot, aggregated over the period being judged.

    `meets_target` may be given by the caller; when None it is worked out from
    `value`, `target` and `direction` (None again if either number is missing).
    `threshold` is the breach limit (stop condition or rollback trigger); passing it
    is worse than missing the target.
    """

    key: str
    dimension: str  # value, reliability or cost
    value: float | None
    target: float | None
    direction: str  # higher or lower is better
    meets_target: bool | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.direction not in (HIGHER, LOWER):
            raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {self.direction!r}")

    @property
    def met(self) -> bool | None:
        if self.meets_target is not None:
            return self.meets_target
        if self.value is None or self.target is None:
            return None
        return _at_least_as_good(self.value, self.target, self.direction)

    @property
    def breached(self) -> bool:
        if self.value is None or self.threshold is None:
            return False
        return not _at_least_as_good(self.value, self.threshold, self.direction)


@dataclass(frozen=True)
class DimensionAssessment:
    status: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignalInputs:
    metrics: Mapping[str, MetricStatus]
    open_alerts: int = 0
    net_annual_value: Decimal | float | None = None


@dataclass(frozen=True)
class Signal:
    code: str
    label: str
    reasons: tuple[str, ...]
    value: DimensionAssessment = field(default_factory=lambda: DimensionAssessment(UNKNOWN))
    reliability: DimensionAssessment = field(default_factory=lambda: DimensionAssessment(UNKNOWN))
    economics: DimensionAssessment = field(default_factory=lambda: DimensionAssessment(UNKNOWN))


def assess_value(metrics: Mapping[str, MetricStatus]) -> DimensionAssessment:
    """Healthy (clear or promising) when at least half of the value metrics with a verdict
    meet their target and none is past its threshold (a stop condition); weak otherwise.
    """
    relevant = _in_dimension(metrics, "value")
    judged = [m for m in relevant if m.met is not None]
    breaches = [m for m in relevant if m.breached]
    if not judged and not breaches:
        return DimensionAssessment(UNKNOWN, ("No value metric has both data and a target",))
    misses = [m for m in judged if not m.met]
    reasons = [f"{len(judged) - len(misses)} of {len(judged)} value metrics meet their target"]
    reasons += [_breach_reason(m) for m in breaches]
    reasons += [_miss_reason(m) for m in misses if not m.breached]
    healthy = not breaches and len(misses) * 2 <= len(judged)
    return DimensionAssessment(HEALTHY if healthy else WEAK, tuple(reasons))


def assess_reliability(
    metrics: Mapping[str, MetricStatus], *, open_alerts: int = 0
) -> DimensionAssessment:
    """High burden on a breached threshold, most targets missed or many open alerts.

    Weak when any reliability target is missed or an alert is open; healthy otherwise.
    Unknown when no reliability metric has a verdict and there are too few open alerts
    to call the burden high.
    """
    relevant = _in_dimension(metrics, "reliability")
    judged = [m for m in relevant if m.met is not None]
    breaches = [m for m in relevant if m.breached]
    if not judged and not breaches and open_alerts < HIGH_BURDEN_OPEN_ALERTS:
        return DimensionAssessment(UNKNOWN, ("No reliability metric has both data and a target",))
    misses = [m for m in judged if not m.met and not m.breached]
    reasons = [_breach_reason(m) for m in breaches] + [_miss_reason(m) for m in misses]
    if open_alerts > 0:
        noun = "alert" if open_alerts == 1 else "alerts"
        reasons.append(f"{open_alerts:,} open {noun}")
    missed_total = len([m for m in judged if not m.met])
    if (
        breaches
        or (judged and missed_total * 2 > len(judged))
        or open_alerts >= HIGH_BURDEN_OPEN_ALERTS
    ):
        return DimensionAssessment(HIGH_BURDEN, tuple(reasons))
    if missed_total or open_alerts > 0:
        return DimensionAssessment(WEAK, tuple(reasons))
    return DimensionAssessment(HEALTHY, ("Reliability metrics meet their targets",))


def assess_economics(
    metrics: Mapping[str, MetricStatus], *, net_annual_value: Decimal | float | None = None
) -> DimensionAssessment:
    """Failing when the net annual value is not positive, a cost threshold is breached
    or most cost targets are missed; healthy when the known evidence holds up.
    """
    costs = _in_dimension(metrics, "cost")
    judged = [m for m in costs if m.met is not None]
    breaches = [m for m in costs if m.breached]
    reasons: list[str] = []
    failing = False
    if net_annual_value is not None:
        if net_annual_value <= 0:
            failing = True
            reasons.append(f"Net annual value is {_number(net_annual_value)}; it must be positive")
        else:
            reasons.append(f"Net annual value is {_number(net_annual_value)}")
    reasons += [_breach_reason(m) for m in breaches]
    misses = [m for m in judged if not m.met]
    reasons += [_miss_reason(m) for m in misses if not m.breached]
    if breaches or (judged and len(misses) * 2 > len(judged)):
        failing = True
    if net_annual_value is None and not judged and not breaches:
        return DimensionAssessment(UNKNOWN, ("No economic case and no cost metric with a target",))
    return DimensionAssessment(FAILING if failing else HEALTHY, tuple(reasons))


def decide(value: str, reliability: str, economics: str) -> str:
    """The signal for three known statuses, by the rules in the module docstring."""
    if UNKNOWN in (value, reliability, economics):
        raise ValueError("decide() needs known statuses; use portfolio_signal()")
    if value == WEAK and reliability == HIGH_BURDEN:
        return STOP
    if economics == FAILING and reliability == HEALTHY:
        return REDESIGN
    if value == HEALTHY and reliability in (WEAK, HIGH_BURDEN):
        return HOLD
    if value == HEALTHY and reliability == HEALTHY and economics == HEALTHY:
        return SCALE
    if value == WEAK and reliability == WEAK and economics == FAILING:
        return STOP
    return REDESIGN


def portfolio_signal(inputs: SignalInputs) -> Signal:
    value = assess_value(inputs.metrics)
    reliability = assess_reliability(inputs.metrics, open_alerts=inputs.open_alerts)
    economics = assess_economics(inputs.metrics, net_annual_value=inputs.net_annual_value)
    assessments = {"value": value, "reliability": reliability, "economics": economics}

    options = [
        _known(VALUE_STATUSES) if value.status == UNKNOWN else (value.status,),
        _known(RELIABILITY_STATUSES) if reliability.status == UNKNOWN else (reliability.status,),
        _known(ECONOMICS_STATUSES) if economics.status == UNKNOWN else (economics.status,),
    ]
    outcomes = {decide(*combo) for combo in itertools.product(*options)}
    unknown = [name for name, a in assessments.items() if a.status == UNKNOWN]
    if len(outcomes) == 1:
        code = outcomes.pop()
        reasons = [_headline(code, value, reliability, economics)]
    else:
        code = INSUFFICIENT_DATA
        choices = " or ".join(SIGNAL_LABELS[c].lower() for c in SIGNAL_CODES if c in outcomes)
        reasons = [f"Not enough data on {' and '.join(unknown)} to choose between {choices}"]
    for name, assessment in assessments.items():
        reasons += [f"{name.capitalize()}: {r}" for r in assessment.reasons]
    return Signal(
        code=code,
        label=SIGNAL_LABELS[code],
        reasons=tuple(reasons),
        value=value,
        reliability=reliability,
        economics=economics,
    )


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
    if has_pending_review or stage not in expected_days:
        return False
    return now - entered_stage_at > timedelta(days=expected_days[stage])


# --- helpers ----------------------------------------------------------------------------


def _at_least_as_good(value: float, limit: float, direction: str) -> bool:
    return value >= limit if direction == HIGHER else value <= limit


def _in_dimension(metrics: Mapping[str, MetricStatus], dimension: str) -> list[MetricStatus]:
    return [m for _, m in sorted(metrics.items()) if m.dimension == dimension]


def _known(statuses: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in statuses if s != UNKNOWN)


def _number(value: Decimal | float) -> str:
    return format_number(float(value))


def _miss_reason(m: MetricStatus) -> str:
    if m.value is None or m.target is None:
        return f"{m.key} misses its target"
    return f"{m.key} is {_number(m.value)}, target {_number(m.target)}"


def _breach_reason(m: MetricStatus) -> str:
    assert m.value is not None and m.threshold is not None
    return f"{m.key} is {_number(m.value)}, past its threshold {_number(m.threshold)}"


_HEADLINES = {
    SCALE: "Value is clear, operations are stable and the economics hold",
    HOLD: "Value is there but reliability needs hardening first",
    STOP: "Value is weak and the operating burden is high",
}


def _headline(
    code: str,
    value: DimensionAssessment,
    reliability: DimensionAssessment,
    economics: DimensionAssessment,
) -> str:
    if code == REDESIGN:
        if economics.status == FAILING:
            return "The system runs acceptably but the economics do not work"
        return "Value is weak; narrow the use case or rework it"
    if code == STOP and value.status == WEAK and reliability.status == WEAK:
        return "Neither value, reliability nor economics hold up"
    return _HEADLINES[code]
