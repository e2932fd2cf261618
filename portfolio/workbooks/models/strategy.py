"""Strategy and success definition: the workbook, success metrics, stop conditions."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from portfolio.workbooks.models.base import (
    WorkbookBase,
    _metric,
    _money,
    _pct,
    _person,
    _short,
    _text,
    describe,
)


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
