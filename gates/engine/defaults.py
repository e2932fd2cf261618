"""The default gates: the criteria each stage transition starts with (criteria are data).

DEFAULT_GATES is the one source of the defaults. Databases get them through migrations,
which read frozen copies (gates/migrations/_defaults/NNNN.json, one per migration that
loads or updates them) so a landed migration keeps doing what it did. Changing a default
here means a new snapshot and a data migration like 0007; a test checks the newest
snapshot equals DEFAULT_GATES.
"""

from __future__ import annotations

from typing import Any

from gates.engine.criteria import Criterion
from gates.engine.vocabulary import (
    FIELD_PRESENT,
    LIST_MIN_ROWS,
    MANUAL_STEPS_COST,
    METRIC_RULE,
    NO_OPEN_ALERTS,
    REQUIRED_ROLES,
    ROLES_NAMED,
    TEST_CATEGORIES,
    TESTS_PASSED,
    WORKBOOK_COMPLETE,
)
from gates.engine.wording import AGGREGATE_WORDS, humanize

# The pseudo-workbook gates.collect makes of a pilot's metric sources (source_health_facts).
SOURCES_PHASE = "metric_sources"

PILOT_WINDOW_DAYS = 30
LIVE_WINDOW_DAYS = 7

# Approvals from distinct governance leads a gate needs per risk tier, until an admin sets
# the gate's own (Gate.quorum).
DEFAULT_QUORUM = {"low": 1, "medium": 1, "high": 2}


# A warning, never a blocker: manual work is a cost to know, not a reason to refuse.
MANUAL_STEPS_CRITERION = Criterion(
    key="data_manual_steps_cost",
    kind=MANUAL_STEPS_COST,
    label="Manual steps and their labour cost",
    params={},
    mandatory=False,
)


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
    word = AGGREGATE_WORDS[aggregate_name]
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
        MANUAL_STEPS_CRITERION,
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
        # Connected, reporting metric sources (DESIGN section 2).
        Criterion(
            key="monitoring_sources_reporting",
            kind=LIST_MIN_ROWS,
            label="A metric source connected and reporting",
            params={"phase": SOURCES_PHASE, "list": "healthy_sources", "min": 1},
        ),
        Criterion(
            key="monitoring_sources_healthy",
            kind=FIELD_PRESENT,
            label="No metric source degraded",
            params={"phase": SOURCES_PHASE, "field": "all_sources_healthy", "equals": True},
            mandatory=False,
        ),
    ],
}
