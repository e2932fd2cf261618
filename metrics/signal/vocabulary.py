"""The signal's words (dimension statuses, signal codes, their labels) and thresholds."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType

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
