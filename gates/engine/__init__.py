"""Gate criteria evaluation: plain data in, results with reasons out.

The engine knows nothing about models, the database or the clock. Callers collect
facts about a pilot (workbook completeness, daily metric rollups, roles, alerts),
pass the criteria of the gate and the current time, and get back an `Evaluation`
that can be frozen into a review with `to_dict()` and shown again with `from_dict()`.

`evaluate` never raises on bad criteria: an unknown kind or malformed params
becomes a failing result that names the problem, so one broken criterion cannot
take the review queue down.

Modules, in the order data flows through them:

- `vocabulary`: stages, result statuses, criterion kinds and their options
- `criteria`: `Criterion`, what a gate asks for
- `facts`: `PilotFacts` and friends, what the caller knows about a pilot (with
  `ChecklistFacts`, the answers to a checklist scored in points)
- `windows`: metric windows and aggregates over daily rollups
- `checks`: one check per criterion kind
- `evaluation`: `evaluate`, which applies the checks and the waivers
- `results`: `Result` and `Evaluation`, what comes out
- `wording`: how names and numbers read in reasons
- `defaults`: `DEFAULT_GATES`, the criteria each gate starts with

Callers import from `gates.engine`; the modules are an internal layout.
"""

from gates.engine.checks import checklist_min_score
from gates.engine.criteria import Criterion, CriterionError, condition_criterion
from gates.engine.defaults import (
    DEFAULT_GATES,
    DEFAULT_QUORUM,
    LIVE_WINDOW_DAYS,
    PILOT_WINDOW_DAYS,
    SOURCES_PHASE,
)
from gates.engine.evaluation import evaluate
from gates.engine.facts import (
    ChecklistFacts,
    ChecklistSection,
    MetricDaily,
    PilotFacts,
    Waiver,
    WorkbookFacts,
)
from gates.engine.results import Evaluation, Result
from gates.engine.vocabulary import (
    ACCEPTED_TEST_STATUSES,
    AGGREGATES,
    CHECKLIST_MIN_SCORE,
    CHECKLIST_SCORE_STEP,
    CONDITION,
    FAIL,
    FIELD_PRESENT,
    KINDS,
    LIST_MIN_ROWS,
    METRIC_RULE,
    MISSING,
    NO_OPEN_ALERTS,
    OPERATORS,
    PASS,
    REQUIRED_ROLES,
    RISK_TIERS,
    ROLES_NAMED,
    STAGES,
    STATEMENT,
    STATUSES,
    TEST_CATEGORIES,
    TEST_STATUSES,
    TESTS_PASSED,
    WORKBOOK_COMPLETE,
    next_stage,
)
from gates.engine.windows import aggregate, window
from gates.engine.wording import (
    format_number,
    format_pair,
    generated_metric_rule_label,
    humanize,
    metric_rule_label,
)

__all__ = [
    "DEFAULT_QUORUM",
    "ACCEPTED_TEST_STATUSES",
    "AGGREGATES",
    "CHECKLIST_MIN_SCORE",
    "CHECKLIST_SCORE_STEP",
    "CONDITION",
    "DEFAULT_GATES",
    "FAIL",
    "FIELD_PRESENT",
    "KINDS",
    "LIST_MIN_ROWS",
    "LIVE_WINDOW_DAYS",
    "METRIC_RULE",
    "MISSING",
    "NO_OPEN_ALERTS",
    "OPERATORS",
    "PASS",
    "PILOT_WINDOW_DAYS",
    "REQUIRED_ROLES",
    "RISK_TIERS",
    "SOURCES_PHASE",
    "ROLES_NAMED",
    "STAGES",
    "STATEMENT",
    "STATUSES",
    "TESTS_PASSED",
    "TEST_CATEGORIES",
    "TEST_STATUSES",
    "WORKBOOK_COMPLETE",
    "ChecklistFacts",
    "ChecklistSection",
    "Criterion",
    "CriterionError",
    "Evaluation",
    "MetricDaily",
    "PilotFacts",
    "Result",
    "Waiver",
    "WorkbookFacts",
    "aggregate",
    "checklist_min_score",
    "condition_criterion",
    "evaluate",
    "format_number",
    "format_pair",
    "generated_metric_rule_label",
    "humanize",
    "metric_rule_label",
    "next_stage",
    "window",
]
