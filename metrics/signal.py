"""Portfolio signal: what to do next with a pilot, from value, reliability and economics.

Plain Python, no I/O: `metrics.signal_refresh` gathers the inputs, this module decides. Each
dimension is assessed into a status named after the decision table (DESIGN section 4):

- value: `clear`, `promising`, `weak` or `unknown`, from how close each value metric is
  to its success target (and whether it is moving towards it), never from stop
  conditions (see `assess_value`);
- reliability and support burden: `stable`, `weak`, `high_burden` or `unknown`;
- economics: `acceptable`, `failing` or `unknown`, on realised figures when measured
  costs exist, else on the planned case (see `assess_economics`).

`DECISION_TABLE` maps every combination of known statuses to a signal, and says for each
cell whether the source's table decides it or we had to (`RULES`). Unknown dimensions:
every status an unknown dimension could take is tried; when they disagree the table
answer is `insufficient_data`, when they agree it stands without that data.

Stop conditions are a separate rule (`stop_condition_met`, the same by-date rule the
alerts use): a met stop condition whose action is "end" recommends stopping, one whose
action is "revise" recommends a redesign. The signal is the more severe of the table's
answer and the stop conditions' (stop > redesign > hold > scale > insufficient data),
so there is one recommendation, with the table cell it came from kept for the reader.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from config.money import format_money
from gates.engine import format_number
from gates.engine.wording import with_unit

# Dimension statuses (the decision table's words).
CLEAR = "clear"
PROMISING = "promising"
STABLE = "stable"
ACCEPTABLE = "acceptable"
WEAK = "weak"
HIGH_BURDEN = "high_burden"
FAILING = "failing"
UNKNOWN = "unknown"

VALUE_STATUSES: tuple[str, ...] = (CLEAR, PROMISING, WEAK, UNKNOWN)
RELIABILITY_STATUSES: tuple[str, ...] = (STABLE, WEAK, HIGH_BURDEN, UNKNOWN)
ECONOMICS_STATUSES: tuple[str, ...] = (ACCEPTABLE, FAILING, UNKNOWN)
STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        CLEAR: "clear",
        PROMISING: "promising",
        STABLE: "stable",
        ACCEPTABLE: "acceptable",
        WEAK: "weak",
        HIGH_BURDEN: "high burden",
        FAILING: "failing",
        UNKNOWN: "unknown",
    }
)

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
SEVERITY: Mapping[str, int] = MappingProxyType(
    {INSUFFICIENT_DATA: 0, SCALE: 1, HOLD: 2, REDESIGN: 3, STOP: 4}
)

HIGHER = "higher"
LOWER = "lower"

# --- thresholds (README "How the signal is decided") ------------------------------------

# Value: each metric's attainment is how far it got from its baseline to its target
# (0 = at or worse than the baseline, 1 = target met); without a baseline, the ratio of
# value to target. The value score is the mean attainment.
CLEAR_SCORE = 0.9  # clear: score at least this ...
FAR_FROM_TARGET = 0.5  # ... and no metric below this attainment
PROMISING_SCORE = 0.6  # promising: score at least this,
IMPROVING_SCORE = 0.4  # or at least this while improving
IMPROVING_STEP = 0.05  # by this much attainment since the previous window

# Reliability: open alerts on reliability metrics are support burden.
HIGH_BURDEN_OPEN_ALERTS = 3

# In a stage longer than this with no review requested: the "permanent demo". Defaults;
# settings.PILOTGATE_EXPECTED_STAGE_DAYS is what the product uses.
EXPECTED_STAGE_DAYS: Mapping[str, int] = MappingProxyType(
    {"discovery": 45, "pilot": 90, "readiness": 60}
)

OPS: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
)


def condition_in_force(by_date: date | None, today: date) -> bool:
    """The one by-date rule for stop conditions and targets, used by alerts and the
    signal: a condition with a by-date counts from that date on (the date itself
    included); one without a by-date always counts."""
    return by_date is None or today >= by_date


def condition_holds(op: str, observed: float, limit: float) -> bool:
    compare = OPS.get(str(op).strip())
    return compare is not None and compare(observed, limit)


@dataclass(frozen=True)
class MetricStatus:
    """One metric of a pilot, aggregated over the period being judged.

    `meets_target` may be given by the caller; when None it is worked out from `value`,
    `target` and `direction` (None again if either number is missing). `threshold` is
    the breach limit (rollback trigger, monitoring threshold or the catalog's default);
    passing it is worse than missing the target. `baseline` (where the metric started)
    and `previous` (its mean over the window before) feed the value assessment.
    """

    key: str
    dimension: str  # value, reliability or cost
    value: float | None
    target: float | None
    direction: str  # higher or lower is better
    meets_target: bool | None = None
    threshold: float | None = None
    baseline: float | None = None
    previous: float | None = None
    name: str = ""  # the catalog's label, for reasons people read (the key if unset)
    unit: str = ""  # as shown: "%", "ms" ("" for counts and money)

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

    @property
    def attainment(self) -> float | None:
        """0..1: how much of the way to its target the metric has come."""
        met = self.met
        if met is None:
            return None
        if met:
            return 1.0
        return _attainment(self.value, self.target, self.baseline, self.direction)

    @property
    def previous_attainment(self) -> float | None:
        if self.previous is None or self.target is None:
            return None
        if _at_least_as_good(self.previous, self.target, self.direction):
            return 1.0
        return _attainment(self.previous, self.target, self.baseline, self.direction)


@dataclass(frozen=True)
class StopCondition:
    """A stop condition from the strategy workbook with the latest observed value."""

    key: str
    op: str  # the condition that triggers it, e.g. "<" 10 for adoption
    threshold: float
    action: str  # "end" or "revise"
    by_date: date | None = None
    observed: float | None = None
    name: str = ""  # the catalog's label (the key if unset)
    unit: str = ""


@dataclass(frozen=True)
class DimensionAssessment:
    status: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignalInputs:
    """Everything the signal reads. `net_annual_value` is the planned case's;
    `realized_net_annual_value` the one worked out from measured costs (None when no
    cost is measured), `realised_basis` says which parts were measured."""

    metrics: Mapping[str, MetricStatus]
    open_alerts: int = 0
    net_annual_value: Decimal | float | None = None
    realized_net_annual_value: Decimal | float | None = None
    realised_basis: str = ""
    stop_conditions: tuple[StopCondition, ...] = ()
    today: date | None = None


@dataclass(frozen=True)
class Signal:
    code: str
    label: str
    reasons: tuple[str, ...]
    value: DimensionAssessment = field(default_factory=lambda: DimensionAssessment(UNKNOWN))
    reliability: DimensionAssessment = field(default_factory=lambda: DimensionAssessment(UNKNOWN))
    economics: DimensionAssessment = field(default_factory=lambda: DimensionAssessment(UNKNOWN))
    table_code: str = INSUFFICIENT_DATA  # what the decision table alone says
    rule: str = ""  # the table row (or our rule) that gave table_code
    rule_from_source: bool = False
    economics_basis: str = "none"  # realised, planned, cost metrics or none
    stop_conditions_met: tuple[str, ...] = ()

    def explain(self) -> dict[str, Any]:
        """The decision-table cell with its inputs, JSON-safe, for pages and the API."""
        return {
            "signal": self.code,
            "label": self.label,
            "cell": {
                "value": self.value.status,
                "reliability": self.reliability.status,
                "economics": self.economics.status,
            },
            "table_signal": self.table_code,
            "table_label": SIGNAL_LABELS[self.table_code],
            "rule": self.rule,
            "rule_from_source": self.rule_from_source,
            "economics_basis": self.economics_basis,
            "stop_conditions_met": list(self.stop_conditions_met),
            "inputs": {
                "value": list(self.value.reasons),
                "reliability": list(self.reliability.reasons),
                "economics": list(self.economics.reasons),
            },
        }


# --- the three dimensions ---------------------------------------------------------------


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


# --- helpers ----------------------------------------------------------------------------


def _at_least_as_good(value: float, limit: float, direction: str) -> bool:
    return value >= limit if direction == HIGHER else value <= limit


def _attainment(
    value: float | None, target: float | None, baseline: float | None, direction: str
) -> float:
    if value is None or target is None:
        return 0.0
    sign = 1 if direction == HIGHER else -1
    if baseline is not None and (target - baseline) * sign > 0:
        share = (value - baseline) / (target - baseline)
    elif direction == HIGHER:
        share = value / target if target > 0 else 0.0
    else:
        share = target / value if value > 0 and target >= 0 else 0.0
    return min(max(share, 0.0), 1.0)


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


def _headline(code: str, rule: str) -> str:
    return rule[:1].upper() + rule[1:] if rule else SIGNAL_LABELS[code]
