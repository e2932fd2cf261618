"""What the signal reads (a metric's status, a stop condition) and what it answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from metrics.signal.vocabulary import HIGHER, INSUFFICIENT_DATA, LOWER, SIGNAL_LABELS, UNKNOWN


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
