"""Operations (runbooks) and monitoring (monitored metrics) workbooks."""

from __future__ import annotations

from django.db import models

from portfolio.workbooks.models.base import (
    SHORT_LIMIT,
    TEXT_LIMIT,
    WorkbookBase,
    _evidence_file,
    _evidence_url,
    _metric,
    _person,
    _short,
    _text,
    describe,
)


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
