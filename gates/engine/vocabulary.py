"""The words the engine speaks: stages, result statuses, criterion kinds and their options."""

from __future__ import annotations

from typing import Any

STAGES: tuple[str, ...] = ("discovery", "pilot", "readiness", "scale")
RISK_TIERS: tuple[str, ...] = ("low", "medium", "high")
# A metric's direction (metrics.models.Direction stores these): which way is better.
HIGHER_IS_BETTER = "higher"
LOWER_IS_BETTER = "lower"

PASS = "pass"  # noqa: S105 - a result status, not a secret
FAIL = "fail"
MISSING = "missing"
STATUSES: tuple[str, ...] = (PASS, FAIL, MISSING)

WORKBOOK_COMPLETE = "workbook_complete"
FIELD_PRESENT = "field_present"
LIST_MIN_ROWS = "list_min_rows"
TESTS_PASSED = "tests_passed"
ROLES_NAMED = "roles_named"
METRIC_RULE = "metric_rule"
NO_OPEN_ALERTS = "no_open_alerts"
CONDITION = "condition"
MANUAL_STEPS_COST = "manual_steps_cost"
CHECKLIST_MIN_SCORE = "checklist_min_score"
# Contributed by another app through gates.extensions, never configured on a gate: the
# contributor decides whether it holds and says why (e.g. the EU AI Act profile).
STATEMENT = "statement"
KINDS: tuple[str, ...] = (
    WORKBOOK_COMPLETE,
    FIELD_PRESENT,
    LIST_MIN_ROWS,
    TESTS_PASSED,
    ROLES_NAMED,
    METRIC_RULE,
    NO_OPEN_ALERTS,
    CONDITION,
    MANUAL_STEPS_COST,
    CHECKLIST_MIN_SCORE,
)
# A checklist's minimum score is set in these steps: an item earns 0, 0.5 or 1.
CHECKLIST_SCORE_STEP = 0.5
WEEKS_PER_YEAR = 52

TEST_CATEGORIES: tuple[str, ...] = (
    "functional",
    "performance",
    "reliability",
    "safety_security",
    "ethical",
)
TEST_STATUSES: tuple[str, ...] = ("not_run", "passed", "failed", "waived")
ACCEPTED_TEST_STATUSES = frozenset({"passed", "waived"})
REQUIRED_ROLES: tuple[str, ...] = (
    "business_owner",
    "technical_owner",
    "operations_lead",
    "risk_lead",
)
AGGREGATES: tuple[str, ...] = ("last", "mean", "p95", "min", "max")
OPERATORS: dict[str, Any] = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def next_stage(stage: str) -> str | None:
    """The stage after `stage`, or None at the last one."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}")
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None
