"""What each workbook holds: its fields, which of them are required, and its lists.

Names match what `gates.engine.DEFAULT_GATES` asks for, so a criterion like
`field_present(strategy, kpi)` reads the `kpi` field stored here.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio.workbooks import models as m

ECONOMIC_FIELDS: tuple[str, ...] = (
    "expected_annual_benefit",
    "annual_volume",
    "cost_per_transaction",
    "human_review_rate_pct",
    "minutes_per_review",
    "loaded_hourly_cost",
    "failure_handling_cost",
    "one_time_build_cost",
)
# The inputs that are amounts of money (in settings.PILOTGATE_CURRENCY; labels say which).
MONEY_FIELDS: tuple[str, ...] = (
    "expected_annual_benefit",
    "cost_per_transaction",
    "loaded_hourly_cost",
    "failure_handling_cost",
    "one_time_build_cost",
)
# The inputs whose presence means the pilot states an economic case at all.
CASE_FIELDS: tuple[str, ...] = ("expected_annual_benefit", "annual_volume", "one_time_build_cost")


@dataclass(frozen=True)
class ListSpec:
    name: str  # also the related_name on Pilot
    model: type
    label: str
    fields: tuple[str, ...]
    required: bool = True
    people: tuple[str, ...] = ()
    has_evidence: bool = False

    @property
    def row_label(self) -> str:
        return self.label.removesuffix("s") if self.label.endswith("s") else self.label


@dataclass(frozen=True)
class PhaseSpec:
    phase: str
    title: str
    model: type
    fields: tuple[str, ...]
    required: tuple[str, ...]
    lists: tuple[ListSpec, ...]
    people: tuple[str, ...] = ()
    intro: str = ""

    @property
    def accessor(self) -> str:
        """The reverse one-to-one name on Pilot, e.g. `strategyworkbook`."""
        return self.model._meta.model_name

    def label(self, name: str) -> str:
        return str(self.model._meta.get_field(name).verbose_name)

    def list_spec(self, name: str) -> ListSpec:
        for spec in self.lists:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def required_count(self) -> int:
        return len(self.required) + sum(1 for spec in self.lists if spec.required)


STRATEGY = PhaseSpec(
    phase="strategy",
    title="Strategy and success definition",
    intro="Why this pilot exists, who answers for it, how success and failure are measured, "
    "and what it is worth.",
    model=m.StrategyWorkbook,
    fields=(
        "business_problem",
        "target_workflow",
        "decision_improved",
        "kpi",
        "why_now",
        "business_owner",
        "delivery_lead",
        "primary_risk",
        "readiness_criteria",
        *ECONOMIC_FIELDS,
    ),
    required=(
        "business_problem",
        "target_workflow",
        "decision_improved",
        "kpi",
        "why_now",
        "business_owner",
        "delivery_lead",
        "primary_risk",
        "readiness_criteria",
        *ECONOMIC_FIELDS,
    ),
    people=("business_owner", "delivery_lead"),
    lists=(
        ListSpec(
            "success_metrics",
            m.SuccessMetric,
            "success metrics",
            ("metric", "baseline", "target", "unit", "how_measured"),
        ),
        ListSpec(
            "stop_conditions",
            m.StopCondition,
            "stop conditions",
            ("metric", "threshold", "by_date", "action"),
        ),
    ),
)

DATA = PhaseSpec(
    phase="data",
    title="Data readiness and validation",
    intro="Where the data comes from, what still runs by hand, and how output is checked.",
    model=m.DataWorkbook,
    fields=("acceptance_criteria", "bias_review", "bias_review_evidence_url", "quality_reviewer"),
    required=("acceptance_criteria", "bias_review", "quality_reviewer"),
    people=("quality_reviewer",),
    lists=(
        ListSpec(
            "data_sources",
            m.DataSource,
            "data sources",
            (
                "system",
                "fields",
                "data_owner",
                "extraction_method",
                "freshness",
                "access_approved",
            ),
        ),
        ListSpec(
            "manual_steps",
            m.ManualStep,
            "manual steps",
            ("description", "minutes_per_week"),
            required=False,
        ),
        ListSpec(
            "validation_layers",
            m.ValidationLayer,
            "validation layers",
            ("layer", "status", "evidence_url", "concern"),
            has_evidence=True,
        ),
    ),
)

DEPLOYMENT = PhaseSpec(
    phase="deployment",
    title="Deployment and production testing",
    intro="Tests in five categories, the architecture limits, the rollout plan and when to "
    "roll back.",
    model=m.DeploymentWorkbook,
    fields=(
        "latency_budget_ms",
        "expected_concurrency",
        "vendor_limits",
        "fallback",
        "first_traffic_slice_pct",
        "rollout_user_group",
        "prior_workflow_kept",
    ),
    required=(
        "latency_budget_ms",
        "fallback",
        "first_traffic_slice_pct",
        "rollout_user_group",
        "prior_workflow_kept",
    ),
    lists=(
        ListSpec(
            "test_results",
            m.TestResult,
            "test results",
            ("category", "status", "evidence_url", "tested_on", "tester"),
            people=("tester",),
            has_evidence=True,
        ),
        ListSpec("rollout_steps", m.RolloutStep, "rollout steps", ("description", "traffic_pct")),
        ListSpec(
            "rollback_triggers",
            m.RollbackTrigger,
            "rollback triggers",
            ("metric", "threshold", "action", "decision_owner"),
            people=("decision_owner",),
        ),
    ),
)

OPERATIONS = PhaseSpec(
    phase="operations",
    title="Governance and operational readiness",
    intro="Who runs it after launch, what they do when it fails, and who can switch it off.",
    model=m.OperationsWorkbook,
    fields=(
        "maintenance_team",
        "escalation_path",
        "review_cadence",
        "next_review_date",
        "knowledge_owner",
        "kill_switch_owner",
    ),
    required=(
        "maintenance_team",
        "escalation_path",
        "review_cadence",
        "next_review_date",
        "knowledge_owner",
        "kill_switch_owner",
    ),
    people=("knowledge_owner", "kill_switch_owner"),
    lists=(
        ListSpec(
            "runbooks",
            m.Runbook,
            "runbooks",
            ("scenario", "title", "steps", "evidence_url"),
            has_evidence=True,
        ),
    ),
)

MONITORING = PhaseSpec(
    phase="monitoring",
    title="Monitoring, ROI and scaling",
    intro="What is watched in production, against which limits, and when to widen it.",
    model=m.MonitoringWorkbook,
    fields=("roi_baseline", "scaling_criteria"),
    required=("roi_baseline", "scaling_criteria"),
    lists=(
        ListSpec(
            "monitored_metrics",
            m.MonitoredMetric,
            "monitored metrics",
            ("metric", "source", "threshold"),
        ),
    ),
)

SPECS: dict[str, PhaseSpec] = {
    spec.phase: spec for spec in (STRATEGY, DATA, DEPLOYMENT, OPERATIONS, MONITORING)
}
PHASES: tuple[str, ...] = tuple(SPECS)


def get_spec(phase: str) -> PhaseSpec:
    """The spec of `phase`; KeyError for an unknown phase (views turn it into 404)."""
    return SPECS[phase]
