"""Field helpers shared by the workbook models, the evidence file and the workbook base."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone

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
