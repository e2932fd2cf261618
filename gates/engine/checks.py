"""One check per criterion kind: (key, params, facts, now) -> (status, reason)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gates.engine.criteria import CriterionError
from gates.engine.facts import ChecklistFacts, PilotFacts
from gates.engine.vocabulary import (
    ACCEPTED_TEST_STATUSES,
    AGGREGATES,
    CHECKLIST_MIN_SCORE,
    CHECKLIST_SCORE_STEP,
    CONDITION,
    FAIL,
    FIELD_PRESENT,
    LIST_MIN_ROWS,
    MANUAL_STEPS_COST,
    METRIC_RULE,
    MISSING,
    NO_OPEN_ALERTS,
    OPERATORS,
    PASS,
    REQUIRED_ROLES,
    ROLES_NAMED,
    STATEMENT,
    TEST_CATEGORIES,
    TESTS_PASSED,
    WEEKS_PER_YEAR,
    WORKBOOK_COMPLETE,
)
from gates.engine.windows import aggregate, window
from gates.engine.wording import (
    AGGREGATE_WORDS,
    display_value,
    format_number,
    format_pair,
    humanize,
    join_humanized,
    with_unit,
)


def _check_workbook_complete(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    phase = params["phase"]
    workbook = facts.workbooks.get(phase)
    title = f"{humanize(phase).capitalize()} workbook"
    if workbook is None:
        return FAIL, f"{title} not started"
    if workbook.complete:
        return PASS, f"{title} complete"
    if workbook.missing:
        return FAIL, f"{title} incomplete: missing {join_humanized(workbook.missing)}"
    return FAIL, f"{title} incomplete"


def _check_field_present(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    phase, name = params["phase"], params["field"]
    workbook = facts.workbooks.get(phase)
    value = workbook.fields.get(name) if workbook is not None else None
    subject = params.get("subject") or f"{humanize(phase).capitalize()} workbook: {humanize(name)}"
    if not _is_filled(value):
        return FAIL, f"{subject} {params.get('unfilled') or 'is not filled in'}"
    if "equals" in params and value != params["equals"]:
        wanted, actual = display_value(params["equals"]), display_value(value)
        return FAIL, f"{subject} is {actual}; must be {wanted}"
    return PASS, f"{subject} {params.get('filled') or 'is filled in'}"


def _check_list_min_rows(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    phase, name, minimum = params["phase"], params["list"], int(params.get("min", 1))
    workbook = facts.workbooks.get(phase)
    count = int(workbook.lists.get(name, 0)) if workbook is not None else 0
    things = humanize(name)
    if count >= minimum:
        counted = things[:-1] if count == 1 and things.endswith("s") else things
        return PASS, f"{count:,} {counted} (at least {minimum:,} required)"
    if count == 0:
        return FAIL, f"No {things} in the {humanize(phase)} workbook; at least {minimum:,} required"
    return FAIL, f"Only {count:,} of {minimum:,} required {things}"


def _check_tests_passed(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    categories = tuple(params.get("categories") or TEST_CATEGORIES)
    problems = []
    for category in categories:
        status = facts.test_results.get(category) or "not_run"
        if status not in ACCEPTED_TEST_STATUSES:
            problems.append(f"{humanize(category)} ({humanize(status)})")
    if problems:
        return FAIL, f"Tests not passed: {', '.join(problems)}"
    return PASS, f"All {len(categories)} test categories passed or waived"


def _check_roles_named(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    roles = tuple(params.get("roles") or REQUIRED_ROLES)
    unnamed = [role for role in roles if not _is_filled(facts.roles.get(role))]
    if unnamed:
        return FAIL, f"Roles not named: {join_humanized(unnamed)}"
    return PASS, f"All {len(roles)} roles named"


def _check_no_open_alerts(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    count = facts.open_alerts
    if count <= 0:
        return PASS, "No open alerts"
    if count == 1:
        return FAIL, "1 open alert; resolve it before this gate"
    return FAIL, f"{count:,} open alerts; resolve them before this gate"


def _check_condition(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    text = str(params.get("text", "")).strip() or "(no text)"
    if key in facts.met_conditions:
        return PASS, f"Condition met: {text}"
    return FAIL, f"Condition not yet met: {text}"


def _check_metric_rule(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    metric = params["metric"]
    aggregate_name = params.get("aggregate", "mean")
    op = params["op"]
    window_days = int(params.get("window_days", 7))
    min_snapshots = int(params.get("min_snapshots", 1))
    unit = str(params.get("unit", ""))
    if aggregate_name not in AGGREGATES:
        raise CriterionError(f"aggregate {aggregate_name!r} is not one of {', '.join(AGGREGATES)}")
    if op not in OPERATORS:
        raise CriterionError(f"operator {op!r} is not one of {', '.join(OPERATORS)}")
    if window_days < 1:
        raise CriterionError("window_days must be at least 1")

    limit, limit_note = _metric_limit(params, facts)
    if limit is None:
        return MISSING, limit_note

    days = window(facts.metrics.get(metric, ()), now=now, window_days=window_days)
    span = f"the last {window_days:,} {'day' if window_days == 1 else 'days'}"
    count = sum(d.count for d in days)
    if count < max(min_snapshots, 1):
        noun = "snapshot" if count == 1 else "snapshots"
        return MISSING, (
            f"No data: {count:,} {noun} in {span}, need at least {max(min_snapshots, 1):,}"
        )

    actual = aggregate(days, aggregate_name)
    shown_actual, shown_limit = format_pair(actual, limit)
    status = PASS if OPERATORS[op](actual, limit) else FAIL
    word = AGGREGATE_WORDS[aggregate_name]
    reason = (
        f"{metric} {word} was {with_unit(shown_actual, unit)} over {span}; "
        f"must be {op} {with_unit(shown_limit, unit)}{limit_note}"
    )
    return status, reason


def _metric_limit(params: Mapping[str, Any], facts: PilotFacts) -> tuple[float | None, str]:
    metric = params["metric"]
    against = params.get("against")
    if against is None:
        value = params["value"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CriterionError(f"value {value!r} is not a number")
        return float(value), ""
    sources = {"target": facts.metric_targets, "threshold": facts.metric_thresholds}
    if against not in sources:
        raise CriterionError(f"against {against!r} must be 'target' or 'threshold'")
    limit = sources[against].get(metric)
    if limit is None:
        return None, f"No {against} set for {metric}; set it in the workbooks"
    return float(limit), f" ({against})"


def _check_manual_steps_cost(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    """Manual steps are hidden labour that production will not do: name their cost."""
    data = facts.workbooks.get("data")
    steps = int(data.lists.get("manual_steps", 0)) if data is not None else 0
    if steps == 0:
        return PASS, "No manual steps keep the pilot running"
    minutes = float(data.fields.get("manual_minutes_per_week") or 0)
    hours = minutes / 60
    noun = "manual step" if steps == 1 else "manual steps"
    text = f"{steps:,} {noun}, {format_number(hours, 1)} hours a week"
    strategy = facts.workbooks.get("strategy")
    rate = strategy.fields.get("loaded_hourly_cost") if strategy is not None else None
    if rate is None:
        return FAIL, f"{text}; yearly cost unknown: the economic case has no loaded hourly cost"
    yearly = round(hours * WEEKS_PER_YEAR * float(rate), -2)
    return FAIL, (
        f"{text}, ≈ {format_number(yearly, 0)} a year at {format_number(float(rate))} an hour; "
        "automate them or budget the labour"
    )


def _check_checklist_min_score(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    """The checklist's overall score (its lowest section) must reach `min_score`.

    Scored as the ML Test Score paper scores it: a section is the sum of its items' points
    and the overall score is the weakest section, so strength elsewhere cannot hide a gap.
    """
    slug = params["checklist"]
    checklist = facts.checklists.get(slug)
    if checklist is None or not checklist.sections:
        known = ", ".join(sorted(facts.checklists)) or "none"
        raise CriterionError(f"checklist {slug!r} has no score; scored checklists: {known}")
    minimum = checklist_min_score(params["min_score"], checklist)
    score = checklist.score
    weakest = ", ".join(f"{s.title} {format_number(s.score)}" for s in checklist.weakest)
    noun = "section" if len(checklist.weakest) == 1 else "sections"
    sections = "; ".join(f"{s.title} {format_number(s.score)}" for s in checklist.sections)
    reason = (
        f"{checklist.title} {format_number(score)} (lowest {noun}: {weakest}); "
        f"this gate needs at least {format_number(minimum)}. Sections: {sections}"
    )
    return (PASS if score >= minimum else FAIL), reason


def checklist_min_score(value: Any, checklist: ChecklistFacts) -> float:
    """`value` as a minimum score of `checklist`, or CriterionError saying what is wrong."""
    top = checklist.max_section
    wanted = f"a number from 0 to {top:,} in steps of {format_number(CHECKLIST_SCORE_STEP)}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CriterionError(f"min_score must be {wanted}, not {value!r}")
    minimum = float(value)
    if not math.isfinite(minimum) or not 0 <= minimum <= top:
        raise CriterionError(
            f"min_score {value!r} is out of range: it must be {wanted}, "
            f"{top:,} being the most a section of the {checklist.title} can score"
        )
    if not (minimum / CHECKLIST_SCORE_STEP).is_integer():
        raise CriterionError(f"min_score {value!r} is not a multiple of 0.5: it must be {wanted}")
    return minimum


def _check_statement(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    if params["holds"] is True:
        return PASS, str(params["pass_reason"])
    return FAIL, str(params["fail_reason"])


CHECKS = {
    WORKBOOK_COMPLETE: _check_workbook_complete,
    FIELD_PRESENT: _check_field_present,
    LIST_MIN_ROWS: _check_list_min_rows,
    TESTS_PASSED: _check_tests_passed,
    ROLES_NAMED: _check_roles_named,
    METRIC_RULE: _check_metric_rule,
    NO_OPEN_ALERTS: _check_no_open_alerts,
    CONDITION: _check_condition,
    MANUAL_STEPS_COST: _check_manual_steps_cost,
    CHECKLIST_MIN_SCORE: _check_checklist_min_score,
    STATEMENT: _check_statement,
}


def _is_filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | frozenset | dict):
        return bool(value)
    return True
