"""Gate criteria evaluation: plain data in, results with reasons out.

The engine knows nothing about models, the database or the clock. Callers collect
facts about a pilot (workbook completeness, daily metric rollups, roles, alerts),
pass the criteria of the gate and the current time, and get back an `Evaluation`
that can be frozen into a review with `to_dict()` and shown again with `from_dict()`.

`evaluate` never raises on bad criteria: an unknown kind or malformed params
becomes a failing result that names the problem, so one broken criterion cannot
take the review queue down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

STAGES: tuple[str, ...] = ("discovery", "pilot", "readiness", "scale")
RISK_TIERS: tuple[str, ...] = ("low", "medium", "high")

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
KINDS: tuple[str, ...] = (
    WORKBOOK_COMPLETE,
    FIELD_PRESENT,
    LIST_MIN_ROWS,
    TESTS_PASSED,
    ROLES_NAMED,
    METRIC_RULE,
    NO_OPEN_ALERTS,
    CONDITION,
)

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

_AGGREGATE_WORDS = {"last": "latest", "mean": "mean", "p95": "p95", "min": "min", "max": "max"}
_HUMAN_NAMES = {
    "safety_security": "safety and security",
    "kpi": "KPI",
    "roi_baseline": "ROI baseline",
    "first_traffic_slice_pct": "first traffic slice (%)",
    "latency_budget_ms": "latency budget (ms)",
}


@dataclass(frozen=True)
class Criterion:
    """One requirement of a gate. Empty `risk_tiers` means it applies to every tier.

    `params` by `kind`:

    - workbook_complete: phase
    - field_present: phase, field; optional `equals` (the value must equal it, e.g. True)
    - list_min_rows: phase, list, min (default 1)
    - tests_passed: categories (default TEST_CATEGORIES); each must be passed or waived
    - roles_named: roles (default REQUIRED_ROLES)
    - metric_rule: metric, aggregate (last/mean/p95/min/max, default mean), window_days
      (default 7), min_snapshots (default 1), op (<=, <, >=, >), and either `value` or
      `against` ("target" / "threshold": the limit the workbooks set for the metric);
      optional `unit` for the reason text ("ms", "%")
    - no_open_alerts: none
    - condition: text; passes when the criterion key is in `PilotFacts.met_conditions`
    """

    key: str
    kind: str
    label: str
    params: Mapping[str, Any]
    mandatory: bool = True
    risk_tiers: tuple[str, ...] = ()

    def applies_to(self, risk_tier: str) -> bool:
        return not self.risk_tiers or risk_tier in self.risk_tiers

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "params": dict(self.params),
            "mandatory": self.mandatory,
            "risk_tiers": list(self.risk_tiers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        return cls(
            key=str(data["key"]),
            kind=str(data["kind"]),
            label=str(data.get("label") or data["key"]),
            params=dict(data.get("params") or {}),
            mandatory=bool(data.get("mandatory", True)),
            risk_tiers=tuple(data.get("risk_tiers") or ()),
        )


@dataclass(frozen=True)
class WorkbookFacts:
    complete: bool
    fields: Mapping[str, Any]
    lists: Mapping[str, int]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricDaily:
    """Daily rollup of one metric. The engine never sees raw snapshots."""

    day: date
    count: int
    minimum: float
    maximum: float
    mean: float
    p95: float
    last: float
    last_at: datetime


@dataclass(frozen=True)
class PilotFacts:
    risk_tier: str
    workbooks: Mapping[str, WorkbookFacts]
    roles: Mapping[str, str | None]
    test_results: Mapping[str, str]
    metrics: Mapping[str, Sequence[MetricDaily]]
    metric_targets: Mapping[str, float]
    metric_thresholds: Mapping[str, float]
    open_alerts: int
    met_conditions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Waiver:
    criterion_key: str
    expires_at: datetime
    justification: str

    def active_at(self, now: datetime) -> bool:
        return self.expires_at > now


@dataclass(frozen=True)
class Result:
    criterion_key: str
    label: str
    status: str
    reason: str
    mandatory: bool
    waived: bool = False

    @property
    def blocks(self) -> bool:
        """True when this result stands in the way of a review."""
        return self.mandatory and self.status != PASS and not self.waived

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion_key": self.criterion_key,
            "label": self.label,
            "status": self.status,
            "reason": self.reason,
            "mandatory": self.mandatory,
            "waived": self.waived,
        }


@dataclass(frozen=True)
class Evaluation:
    results: tuple[Result, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> tuple[Result, ...]:
        """Mandatory results that do not pass and hold no unexpired waiver."""
        return tuple(r for r in self.results if r.blocks)

    @property
    def passed(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "blocking": [r.criterion_key for r in self.blocking],
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        # Only `results` is read back: `passed` and `blocking` are derived from it.
        return cls(
            results=tuple(
                Result(
                    criterion_key=str(item["criterion_key"]),
                    label=str(item["label"]),
                    status=str(item["status"]),
                    reason=str(item["reason"]),
                    mandatory=bool(item["mandatory"]),
                    waived=bool(item.get("waived", False)),
                )
                for item in data.get("results", ())
            )
        )


def condition_criterion(key: str, text: str) -> Criterion:
    """A mandatory criterion for one condition of an "approve with conditions" decision.

    It passes once `key` is listed in `PilotFacts.met_conditions`.
    """
    return Criterion(key=key, kind=CONDITION, label=f"Condition: {text}", params={"text": text})


class CriterionError(ValueError):
    """A criterion whose params cannot be evaluated."""


def next_stage(stage: str) -> str | None:
    """The stage after `stage`, or None at the last one."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}")
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def evaluate(
    criteria: Sequence[Criterion],
    facts: PilotFacts,
    *,
    now: datetime,
    waivers: Sequence[Waiver] = (),
) -> Evaluation:
    """Evaluate every criterion that applies to the pilot's risk tier, in order.

    A waiver covers a result that does not pass only while `now < expires_at`.
    """
    waived_keys = {w.criterion_key for w in waivers if w.active_at(now)}
    results = []
    for criterion in criteria:
        if not criterion.applies_to(facts.risk_tier):
            continue
        status, reason = _evaluate_one(criterion, facts, now)
        results.append(
            Result(
                criterion_key=criterion.key,
                label=criterion.label,
                status=status,
                reason=reason,
                mandatory=criterion.mandatory,
                waived=status != PASS and criterion.key in waived_keys,
            )
        )
    return Evaluation(results=tuple(results))


def _evaluate_one(criterion: Criterion, facts: PilotFacts, now: datetime) -> tuple[str, str]:
    check = _CHECKS.get(criterion.kind)
    if check is None:
        return FAIL, f"Unknown criterion kind {criterion.kind!r}; ask a governance lead to fix it"
    try:
        return check(criterion.key, criterion.params, facts, now)
    except (CriterionError, KeyError, TypeError, ValueError) as exc:
        detail = f"missing parameter {exc}" if isinstance(exc, KeyError) else str(exc)
        return FAIL, f"Criterion {criterion.key!r} is misconfigured: {detail}"


# --- one function per kind: (key, params, facts, now) -> (status, reason) -------------------


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
        return FAIL, f"{title} incomplete: missing {_join(workbook.missing)}"
    return FAIL, f"{title} incomplete"


def _check_field_present(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    phase, name = params["phase"], params["field"]
    workbook = facts.workbooks.get(phase)
    value = workbook.fields.get(name) if workbook is not None else None
    subject = f"{humanize(phase).capitalize()} workbook: {humanize(name)}"
    if not _is_filled(value):
        return FAIL, f"{subject} is not filled in"
    if "equals" in params and value != params["equals"]:
        wanted, actual = _display(params["equals"]), _display(value)
        return FAIL, f"{subject} is {actual}; must be {wanted}"
    return PASS, f"{subject} is filled in"


def _check_list_min_rows(
    key: str, params: Mapping[str, Any], facts: PilotFacts, now: datetime
) -> tuple[str, str]:
    phase, name, minimum = params["phase"], params["list"], int(params.get("min", 1))
    workbook = facts.workbooks.get(phase)
    count = int(workbook.lists.get(name, 0)) if workbook is not None else 0
    things = humanize(name)
    if count >= minimum:
        return PASS, f"{count:,} {things} (at least {minimum:,} required)"
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
        return FAIL, f"Roles not named: {_join(unnamed)}"
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
    word = _AGGREGATE_WORDS[aggregate_name]
    reason = (
        f"{metric} {word} was {_with_unit(shown_actual, unit)} over {span}; "
        f"must be {op} {_with_unit(shown_limit, unit)}{limit_note}"
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


_CHECKS = {
    WORKBOOK_COMPLETE: _check_workbook_complete,
    FIELD_PRESENT: _check_field_present,
    LIST_MIN_ROWS: _check_list_min_rows,
    TESTS_PASSED: _check_tests_passed,
    ROLES_NAMED: _check_roles_named,
    METRIC_RULE: _check_metric_rule,
    NO_OPEN_ALERTS: _check_no_open_alerts,
    CONDITION: _check_condition,
}


# --- metric windows and aggregates -----------------------------------------------------


def window(days: Sequence[MetricDaily], *, now: datetime, window_days: int) -> list[MetricDaily]:
    """Daily rollups inside the `window_days` days ending today (`now.date()`), oldest first.

    With window_days=7 and today the 10th, the days 4th..10th count; rollups dated
    after today are ignored.
    """
    today = now.date()
    first_excluded = today - timedelta(days=window_days)
    chosen = [d for d in days if first_excluded < d.day <= today]
    return sorted(chosen, key=lambda d: (d.day, d.last_at))


def aggregate(days: Sequence[MetricDaily], name: str) -> float:
    """Combine daily rollups into one number.

    - last: the last value of the most recent day.
    - mean: mean of the daily means weighted by each day's snapshot count, which equals
      the mean of all the underlying snapshots.
    - p95: the highest daily p95. An exact percentile cannot be rebuilt from daily
      rollups; the worst day is a conservative stand-in for lower-is-better metrics
      such as latency.
    - min / max: across the days.

    Days without snapshots (count 0) are ignored. Raises ValueError if none is left.
    """
    filled = [d for d in days if d.count > 0]
    if not filled:
        raise ValueError("no snapshots to aggregate")
    if name == "last":
        return max(filled, key=lambda d: (d.day, d.last_at)).last
    if name == "mean":
        total = sum(d.count for d in filled)
        return math.fsum(d.mean * d.count for d in filled) / total
    if name == "p95":
        return max(d.p95 for d in filled)
    if name == "min":
        return min(d.minimum for d in filled)
    if name == "max":
        return max(d.maximum for d in filled)
    raise ValueError(f"unknown aggregate {name!r}")


# --- wording -------------------------------------------------------------------------


def humanize(name: str) -> str:
    """`safety_security` -> `safety and security`, `data_owner` -> `data owner`."""
    return _HUMAN_NAMES.get(name, name.replace("_", " "))


def format_number(value: float, decimals: int | None = None) -> str:
    """Thousands separators, no trailing zeros: 1240.0 -> '1,240', 0.0310 -> '0.031'."""
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        if value == int(value):
            return f"{int(value):,}"
        magnitude = abs(value)
        # Three significant digits for small numbers, two decimals for the rest.
        decimals = 2 if magnitude >= 1 else min(-math.floor(math.log10(magnitude)) + 2, 12)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_pair(actual: float, limit: float) -> tuple[str, str]:
    """Format two numbers so that different values never look the same."""
    shown = format_number(actual), format_number(limit)
    decimals = 2
    while shown[0] == shown[1] and actual != limit and decimals < 12:
        decimals += 1
        shown = format_number(actual, decimals), format_number(limit, decimals)
    return shown


def _with_unit(number: str, unit: str) -> str:
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _join(names: Sequence[str]) -> str:
    return ", ".join(humanize(n) for n in names)


def _is_filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | frozenset | dict):
        return bool(value)
    return True


# --- default gates ---------------------------------------------------------------------

PILOT_WINDOW_DAYS = 30
LIVE_WINDOW_DAYS = 7


def _complete(phase: str) -> Criterion:
    return Criterion(
        key=f"{phase}_complete",
        kind=WORKBOOK_COMPLETE,
        label=f"{humanize(phase).capitalize()} workbook complete",
        params={"phase": phase},
    )


def _key(phase: str, name: str) -> str:
    return name if name.startswith(f"{phase}_") else f"{phase}_{name}"


def _field(phase: str, name: str, label: str, **extra: Any) -> Criterion:
    return Criterion(
        key=_key(phase, name),
        kind=FIELD_PRESENT,
        label=label,
        params={"phase": phase, "field": name, **extra},
    )


def _rows(phase: str, name: str, minimum: int, label: str, *, mandatory: bool = True) -> Criterion:
    return Criterion(
        key=_key(phase, name),
        kind=LIST_MIN_ROWS,
        label=label,
        params={"phase": phase, "list": name, "min": minimum},
        mandatory=mandatory,
    )


def _metric(
    key: str,
    metric: str,
    aggregate_name: str,
    op: str,
    against: str,
    window_days: int,
    *,
    unit: str = "",
    mandatory: bool = True,
    risk_tiers: tuple[str, ...] = (),
) -> Criterion:
    word = _AGGREGATE_WORDS[aggregate_name]
    params: dict[str, Any] = {
        "metric": metric,
        "aggregate": aggregate_name,
        "window_days": window_days,
        # About one reading a day: fewer means the source is not really reporting.
        "min_snapshots": window_days,
        "op": op,
        "against": against,
    }
    if unit:
        params["unit"] = unit
    return Criterion(
        key=key,
        kind=METRIC_RULE,
        label=f"{metric} {word} {op} its {against} over {window_days} days",
        params=params,
        mandatory=mandatory,
        risk_tiers=risk_tiers,
    )


DEFAULT_GATES: dict[tuple[str, str], list[Criterion]] = {
    ("discovery", "pilot"): [
        _complete("strategy"),
        _field("strategy", "business_owner", "Business owner named"),
        _field("strategy", "delivery_lead", "Delivery lead named"),
        _field("strategy", "kpi", "Tracked KPI chosen"),
        _rows("strategy", "success_metrics", 1, "At least one success metric"),
        _rows("strategy", "stop_conditions", 1, "At least one stop condition"),
        _field("strategy", "expected_annual_benefit", "Economic case has an expected benefit"),
        _field("strategy", "target_workflow", "Target workflow described"),
        _field("strategy", "primary_risk", "Primary risk stated"),
        _field("strategy", "readiness_criteria", "Criteria for readiness stated"),
    ],
    ("pilot", "readiness"): [
        _complete("data"),
        _rows("data", "data_sources", 1, "At least one data source"),
        _field("data", "acceptance_criteria", "Acceptance criteria written"),
        _field("data", "bias_review", "Bias and brand-risk review done"),
        _field("data", "quality_reviewer", "Output-quality reviewer named"),
        _rows(
            "data", "validation_layers", 3, "Data, model and business validated", mandatory=False
        ),
        _metric(
            "pilot_hallucination_rate",
            "hallucination_rate",
            "mean",
            "<=",
            "target",
            PILOT_WINDOW_DAYS,
        ),
        _metric(
            "pilot_tool_call_success_rate",
            "tool_call_success_rate",
            "mean",
            ">=",
            "target",
            PILOT_WINDOW_DAYS,
        ),
        _metric(
            "pilot_outcome_quality",
            "outcome_quality",
            "mean",
            ">=",
            "target",
            PILOT_WINDOW_DAYS,
        ),
        _metric(
            "pilot_p95_latency_ms",
            "p95_latency_ms",
            "p95",
            "<=",
            "target",
            PILOT_WINDOW_DAYS,
            unit="ms",
            mandatory=False,
        ),
    ],
    ("readiness", "scale"): [
        _complete("deployment"),
        Criterion(
            key="deployment_tests_passed",
            kind=TESTS_PASSED,
            label="All five test categories passed",
            params={"categories": list(TEST_CATEGORIES)},
        ),
        _field("deployment", "first_traffic_slice_pct", "First traffic slice set"),
        _field("deployment", "rollout_user_group", "Rollout user group chosen"),
        _rows("deployment", "rollout_steps", 1, "Rollout steps planned"),
        _rows("deployment", "rollback_triggers", 1, "At least one rollback trigger"),
        _field("deployment", "prior_workflow_kept", "Prior workflow kept as fallback", equals=True),
        _complete("operations"),
        Criterion(
            key="operations_roles_named",
            kind=ROLES_NAMED,
            label="The four roles named",
            params={"roles": list(REQUIRED_ROLES)},
        ),
        _rows("operations", "runbooks", 4, "Runbooks for the standard failure scenarios"),
        _field("operations", "escalation_path", "Escalation path set"),
        _field("operations", "review_cadence", "Review cadence set"),
        _field("operations", "knowledge_owner", "Knowledge owner named"),
        _field("operations", "kill_switch_owner", "Kill-switch owner named"),
        _complete("monitoring"),
        _rows("monitoring", "monitored_metrics", 1, "At least one monitored metric"),
        Criterion(key="no_open_alerts", kind=NO_OPEN_ALERTS, label="No open alerts", params={}),
        _metric(
            "live_hallucination_rate",
            "hallucination_rate",
            "mean",
            "<=",
            "threshold",
            LIVE_WINDOW_DAYS,
        ),
        _metric("live_error_rate", "error_rate", "mean", "<=", "threshold", LIVE_WINDOW_DAYS),
        _metric(
            "live_tool_call_success_rate",
            "tool_call_success_rate",
            "mean",
            ">=",
            "threshold",
            LIVE_WINDOW_DAYS,
        ),
        _metric(
            "live_p95_latency_ms",
            "p95_latency_ms",
            "p95",
            "<=",
            "threshold",
            LIVE_WINDOW_DAYS,
            unit="ms",
        ),
        _metric(
            "live_uptime_pct", "uptime_pct", "mean", ">=", "threshold", LIVE_WINDOW_DAYS, unit="%"
        ),
        # A high-risk pilot must stay under its threshold on its worst day, not just on average.
        _metric(
            "live_hallucination_rate_worst_day",
            "hallucination_rate",
            "p95",
            "<=",
            "threshold",
            LIVE_WINDOW_DAYS,
            risk_tiers=("high",),
        ),
    ],
}
