"""Data readiness and validation: sources, manual steps, validation layers."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from portfolio.workbooks.models.base import (
    SHORT_LIMIT,
    WorkbookBase,
    _evidence_file,
    _evidence_url,
    _person,
    _text,
    describe,
)


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
