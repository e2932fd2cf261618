"""Portfolio signal: what to do next with a pilot, from value, reliability and economics.

In four modules: `vocabulary` (statuses, codes, labels, thresholds), `inputs` (what the
signal reads and answers), `dimensions` (the three assessments), `decision` (the table,
stop conditions, staleness). Import from `metrics.signal`, which names them all.

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

from metrics.signal.decision import (
    DECISION_TABLE,
    RULES,
    decide,
    is_stale,
    portfolio_signal,
    stale_before,
    stop_condition_met,
    stop_condition_text,
    table_signal,
)
from metrics.signal.dimensions import (
    assess_economics,
    assess_reliability,
    assess_value,
    economics_basis,
)
from metrics.signal.inputs import (
    DimensionAssessment,
    MetricStatus,
    Signal,
    SignalInputs,
    StopCondition,
)
from metrics.signal.vocabulary import (
    ACCEPTABLE,
    CLEAR,
    CLEAR_SCORE,
    ECONOMICS_STATUSES,
    EXPECTED_STAGE_DAYS,
    FAILING,
    FAR_FROM_TARGET,
    HIGH_BURDEN,
    HIGH_BURDEN_OPEN_ALERTS,
    HIGHER,
    HOLD,
    IMPROVING_SCORE,
    IMPROVING_STEP,
    INSUFFICIENT_DATA,
    LOWER,
    OPS,
    PROMISING,
    PROMISING_SCORE,
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

__all__ = [
    "ACCEPTABLE",
    "CLEAR",
    "CLEAR_SCORE",
    "DECISION_TABLE",
    "DimensionAssessment",
    "ECONOMICS_STATUSES",
    "EXPECTED_STAGE_DAYS",
    "FAILING",
    "FAR_FROM_TARGET",
    "HIGHER",
    "HIGH_BURDEN",
    "HIGH_BURDEN_OPEN_ALERTS",
    "HOLD",
    "IMPROVING_SCORE",
    "IMPROVING_STEP",
    "INSUFFICIENT_DATA",
    "LOWER",
    "MetricStatus",
    "OPS",
    "PROMISING",
    "PROMISING_SCORE",
    "REDESIGN",
    "RELIABILITY_STATUSES",
    "RULES",
    "SCALE",
    "SEVERITY",
    "SIGNAL_CODES",
    "SIGNAL_LABELS",
    "STABLE",
    "STATUS_LABELS",
    "STOP",
    "Signal",
    "SignalInputs",
    "StopCondition",
    "UNKNOWN",
    "VALUE_STATUSES",
    "WEAK",
    "assess_economics",
    "assess_reliability",
    "assess_value",
    "condition_holds",
    "condition_in_force",
    "decide",
    "economics_basis",
    "is_stale",
    "portfolio_signal",
    "stale_before",
    "stop_condition_met",
    "stop_condition_text",
    "table_signal",
]
