"""An uploaded import file between its preview and its confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class BatchStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    IMPORTED = "imported", "Imported"
    DISCARDED = "discarded", "Discarded"


class ImportBatch(models.Model):
    """One uploaded file, its dry-run plan, and whether it was imported.

    The file is kept so that the confirmation imports exactly the bytes that were
    previewed (checked by `sha256`), not a second upload.
    """

    sheet = models.CharField(max_length=32, default="pilots")
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    # The dry run as the preview page shows it (onboarding.sheets.Plan.as_dict).
    plan = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=BatchStatus.choices, default=BatchStatus.PREVIEWED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display().lower()})"
