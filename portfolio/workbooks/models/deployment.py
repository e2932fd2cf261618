"""Deployment and production testing: tests, rollout steps, rollback triggers."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portfolio.workbooks.models.base import (
    WorkbookBase,
    _evidence_file,
    _evidence_url,
    _metric,
    _pct,
    _person,
    _short,
    _text,
    describe,
)


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
