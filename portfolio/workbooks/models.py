"""Workbook models: one row per pilot and phase, structured lists as real rows.

Imported by `portfolio.models` so Django registers them under the `portfolio` app.
List rows point at the pilot directly (not at the workbook row) so a list can be filled
before the workbook's own fields are, and so the metrics worker can read thresholds of
many pilots in one query.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone

__all__ = [
    "DataSource",
    "DataWorkbook",
    "DeploymentWorkbook",
    "EvidenceFile",
    "ExtractionMethod",
    "ManualStep",
    "MonitoredMetric",
    "MonitoringWorkbook",
    "OperationsWorkbook",
    "ReviewCadence",
    "RollbackAction",
    "RollbackTrigger",
    "RolloutStep",
    "Runbook",
    "RunbookScenario",
    "StopAction",
    "StopCondition",
    "StrategyWorkbook",
    "SuccessMetric",
    "TestCategory",
    "TestResult",
    "TestStatus",
    "ValidationLayer",
    "ValidationLayerKind",
    "ValidationStatus",
]

PHASES: tuple[str, ...] = ("strategy", "data", "deployment", "operations", "monitoring")

TEXT_LIMIT = 4000
SHORT_LIMIT = 200

_http_only = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// link.")


def _text(label: str, help_text: str = "", limit: int = TEXT_LIMIT) -> models.TextField:
    return models.TextField(label, blank=True, max_length=limit, help_text=help_text)


def _short(label: str, help_text: str = "") -> models.CharField:
    return models.CharField(label, max_length=SHORT_LIMIT, blank=True, help_text=help_text)


def _money(label: str, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


def _pct(label: str, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


def _person(label: str, help_text: str = "") -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=label,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=help_text,
    )


def _metric(label: str = "metric") -> models.ForeignKey:
    # Keyed by the catalog's `key` so rows, API and metric snapshots all speak in keys.
    return models.ForeignKey(
        "metrics.MetricDefinition",
        verbose_name=label,
        to_field="key",
        db_column="metric_key",
        on_delete=models.PROTECT,
        related_name="+",
    )


def _evidence_url() -> models.URLField:
    return models.URLField(
        "evidence link",
        max_length=500,
        blank=True,
        validators=[_http_only],
        help_text="An http(s) link to the evidence, or upload a file instead.",
    )


def _evidence_file() -> models.ForeignKey:
    return models.ForeignKey(
        "portfolio.EvidenceFile",
        verbose_name="evidence file",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )


def describe(row) -> str:
    """A short text for admin and logs: the kind of row and its pilot."""
    return f"{row._meta.verbose_name} of pilot {row.pilot_id}"


class EvidenceFile(models.Model):
    """An uploaded file; served only through a view that checks the pilot's visibility."""

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="evidence_files"
    )
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name


class WorkbookBase(models.Model):
    pilot = models.OneToOneField(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="%(class)s"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return describe(self)


class StrategyWorkbook(WorkbookBase):
    business_problem = _text(
        "business problem", "The constraint, who owns it and what it costs today."
    )
    target_workflow = _text("target workflow", "The workflow the AI changes, step by step.")
    decision_improved = _text("decision improved", "The decision that gets faster or better.")
    kpi = _short("tracked KPI", "The KPI this use case moves, as the business tracks it.")
    why_now = _text("why now", "What makes this the right time.")
    business_owner = _person("business owner", "Username of the accountable business owner.")
    delivery_lead = _person("delivery lead", "Username of the person who delivers it.")
    primary_risk = _text("primary risk", "The one risk most likely to sink it.")
    readiness_criteria = _text(
        "criteria for readiness", "What must be true to move from pilot to readiness."
    )
    expected_annual_benefit = _money("expected annual benefit", "Money per year at production.")
    annual_volume = models.DecimalField(
        "annual volume at production",
        max_digits=14,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Transactions per year.",
    )
    cost_per_transaction = models.DecimalField(
        "cost per transaction",
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    human_review_rate_pct = _pct("human review rate (%)", "Share of transactions a person checks.")
    minutes_per_review = models.DecimalField(
        "minutes per review",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    loaded_hourly_cost = _money("loaded hourly cost of a reviewer")
    failure_handling_cost = _money("failure-handling cost per year")
    one_time_build_cost = _money("one-time build cost")

    def __str__(self) -> str:
        return describe(self)


class SuccessMetric(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="success_metrics"
    )
    metric = _metric()
    baseline = models.FloatField("baseline")
    target = models.FloatField("target")
    unit = models.CharField("unit", max_length=32, blank=True)
    how_measured = models.CharField("how measured", max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class StopAction(models.TextChoices):
    REVISE = "revise", "Revise the approach"
    END = "end", "End the pilot"


class StopCondition(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="stop_conditions"
    )
    metric = _metric()
    threshold = models.FloatField("threshold", help_text="Crossing it the wrong way stops.")
    by_date = models.DateField("by date")
    action = models.CharField("action", max_length=16, choices=StopAction.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class DataWorkbook(WorkbookBase):
    acceptance_criteria = _text(
        "acceptance criteria", "What good output looks like, tied to the success metrics."
    )
    bias_review = _text(
        "bias and brand-risk review", "Areas looked at, tests run and what they found."
    )
    bias_review_evidence_url = _evidence_url()
    bias_review_evidence_file = _evidence_file()
    quality_reviewer = _person("output-quality reviewer", "Username of the named reviewer.")

    def __str__(self) -> str:
        return describe(self)


class ExtractionMethod(models.TextChoices):
    API = "api", "API"
    REPLICATION = "replication", "Replication"
    SCHEDULED_EXPORT = "scheduled_export", "Scheduled export"
    MANUAL_UPLOAD = "manual_upload", "Manual upload"
    SPREADSHEET = "spreadsheet", "Spreadsheet"


class DataSource(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="data_sources"
    )
    system = models.CharField("system", max_length=SHORT_LIMIT)
    fields = models.CharField("fields used", max_length=1000, blank=True)
    data_owner = models.CharField("data owner", max_length=SHORT_LIMIT)
    extraction_method = models.CharField(
        "extraction method", max_length=32, choices=ExtractionMethod.choices
    )
    freshness = models.CharField("freshness", max_length=100, help_text="e.g. 'hourly'.")
    access_approved = models.BooleanField("access approved", default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class ManualStep(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="manual_steps"
    )
    description = models.CharField("manual step", max_length=500)
    minutes_per_week = models.DecimalField(
        "minutes per week", max_digits=8, decimal_places=1, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class ValidationLayerKind(models.TextChoices):
    DATA = "data", "Data"
    MODEL = "model", "Model"
    BUSINESS = "business", "Business"


class ValidationStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class ValidationLayer(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="validation_layers"
    )
    layer = models.CharField("layer", max_length=16, choices=ValidationLayerKind.choices)
    status = models.CharField(
        "status",
        max_length=16,
        choices=ValidationStatus.choices,
        default=ValidationStatus.NOT_STARTED,
    )
    evidence_url = _evidence_url()
    evidence_file = _evidence_file()
    concern = models.CharField("open concern", max_length=1000, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class DeploymentWorkbook(WorkbookBase):
    latency_budget_ms = models.PositiveIntegerField(
        "latency budget (ms)", null=True, blank=True, validators=[MaxValueValidator(3_600_000)]
    )
    expected_concurrency = models.PositiveIntegerField(
        "expected concurrency", null=True, blank=True, validators=[MaxValueValidator(10_000_000)]
    )
    vendor_limits = _text("vendor limits", "Rate limits, quotas, context sizes.")
    fallback = _text("fallback path", "What happens when the AI component is off.")
    first_traffic_slice_pct = _pct("first traffic slice (%)", "Share of traffic at first rollout.")
    rollout_user_group = _short("rollout user group or queue")
    prior_workflow_kept = models.BooleanField(
        "prior workflow kept available",
        null=True,
        blank=True,
        help_text="Can people fall back to the old way of working?",
    )

    def __str__(self) -> str:
        return describe(self)


class TestCategory(models.TextChoices):
    FUNCTIONAL = "functional", "Functional"
    PERFORMANCE = "performance", "Performance"
    RELIABILITY = "reliability", "Reliability"
    SAFETY_SECURITY = "safety_security", "Safety and security"
    ETHICAL = "ethical", "Ethical"


class TestStatus(models.TextChoices):
    NOT_RUN = "not_run", "Not run"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    WAIVED = "waived", "Waived"


class TestResult(models.Model):
    __test__ = False  # not a pytest test class, despite the name

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="test_results"
    )
    category = models.CharField("category", max_length=32, choices=TestCategory.choices)
    status = models.CharField(
        "status", max_length=16, choices=TestStatus.choices, default=TestStatus.NOT_RUN
    )
    evidence_url = _evidence_url()
    evidence_file = _evidence_file()
    tested_on = models.DateField("tested on", null=True, blank=True)
    tester = _person("tester")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "category"], name="one_test_per_category")
        ]

    def __str__(self) -> str:
        return describe(self)


class RolloutStep(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="rollout_steps"
    )
    description = models.CharField("step", max_length=500)
    traffic_pct = models.DecimalField(
        "traffic (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class RollbackAction(models.TextChoices):
    DISABLE_AI = "disable_ai", "Disable the AI component"
    HUMAN_REVIEW = "human_review", "Route to human review"
    REDUCE_SCOPE = "reduce_scope", "Reduce scope"


class RollbackTrigger(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="rollback_triggers"
    )
    metric = _metric()
    threshold = models.FloatField("threshold", help_text="Crossing it the wrong way rolls back.")
    action = models.CharField("action", max_length=16, choices=RollbackAction.choices)
    decision_owner = _person("decision owner")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class ReviewCadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class OperationsWorkbook(WorkbookBase):
    maintenance_team = _short("maintenance team", "The team that runs it in month six.")
    escalation_path = _text("escalation path", "Who is called, in which order.")
    review_cadence = models.CharField(
        "review cadence", max_length=16, choices=ReviewCadence.choices, blank=True
    )
    next_review_date = models.DateField("next review date", null=True, blank=True)
    knowledge_owner = _person("knowledge owner", "Keeps prompts, content and docs current.")
    kill_switch_owner = _person("kill-switch owner", "May switch the AI component off.")

    def __str__(self) -> str:
        return describe(self)


class RunbookScenario(models.TextChoices):
    DEGRADED_ANSWERS = "degraded_answers", "Degraded answers"
    WRONG_ROUTING = "wrong_routing", "Wrong routing"
    TOOL_UNAVAILABLE = "tool_unavailable", "Tool unavailable"
    USER_COMPLAINTS = "user_complaints", "User complaints"
    OTHER = "other", "Other"


class Runbook(models.Model):
    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="runbooks")
    scenario = models.CharField("scenario", max_length=32, choices=RunbookScenario.choices)
    title = models.CharField("title", max_length=SHORT_LIMIT, blank=True)
    steps = models.TextField("steps", max_length=TEXT_LIMIT, blank=True)
    evidence_url = _evidence_url()
    evidence_file = _evidence_file()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return describe(self)


class MonitoringWorkbook(WorkbookBase):
    roi_baseline = _text("ROI baseline", "What ROI is measured against, and its value today.")
    scaling_criteria = _text("scaling criteria", "What must hold before widening the rollout.")

    def __str__(self) -> str:
        return describe(self)


class MonitoredMetric(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="monitored_metrics"
    )
    metric = _metric()
    source = models.CharField("source", max_length=SHORT_LIMIT, help_text="Where it comes from.")
    threshold = models.FloatField("threshold", help_text="The limit an alert watches.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "metric"], name="one_monitor_per_metric")
        ]

    def __str__(self) -> str:
        return describe(self)
