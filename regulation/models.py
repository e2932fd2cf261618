"""The EU AI Act profile of a pilot (versioned) and the catalogue of obligations (versioned).

A profile version is never edited: each save writes the next version, so the history says
who answered what and which lead confirmed it. The catalogue works the same way: an edit
writes a new `CatalogueVersion` holding every obligation, and the newest version is in force.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from regulation.questions import CLASSIFICATIONS, ROLES


class Profile(models.Model):
    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="regulatory_profiles"
    )
    version = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)
    # Computed from `answers` by regulation.classify when saved; kept for queries and history.
    classification = models.CharField(max_length=16, choices=list(CLASSIFICATIONS.items()))
    roles = models.JSONField(default=list)
    flags = models.JSONField(default=list)
    conclusions = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pilot_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "version"], name="one_profile_version"),
        ]

    def __str__(self) -> str:
        return f"EU AI Act profile of pilot {self.pilot_id} v{self.version}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def role_labels(self) -> str:
        return ", ".join(ROLES.get(r, r) for r in self.roles)


class CatalogueVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Obligations catalogue v{self.number}"


class EvidenceKind(models.TextChoices):
    WORKBOOK_FIELD = "workbook_field", "Workbook field"
    WORKBOOK_LIST = "workbook_list", "Workbook list (at least one row)"
    CHECKLIST_ITEM = "checklist_item", "Checklist item in place"
    MANUAL = "manual", "Checked by a governance lead (no evidence in the product yet)"


class Obligation(models.Model):
    catalogue = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="obligations"
    )
    key = models.SlugField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    article = models.CharField(max_length=64)
    title = models.CharField(max_length=120)
    summary = models.TextField()
    classifications = models.JSONField(default=list)
    roles = models.JSONField(default=list)
    # Empty, or a flag the profile must carry too (regulation.questions.FLAGS).
    requires_flag = models.CharField(max_length=16, blank=True)
    evidence_kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    # workbook_field / workbook_list: a workbook phase; checklist_item: a checklist slug.
    evidence_source = models.CharField(max_length=64, blank=True)
    # The field, list or checklist item key.
    evidence_name = models.CharField(max_length=64, blank=True)
    # The stage whose gate first makes it mandatory ("pilot", "readiness", "scale").
    gate = models.CharField(max_length=16)
    applies_from = models.DateField()

    class Meta:
        ordering = ["catalogue_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "key"], name="one_obligation_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.article} {self.title}"

    def criterion_key(self) -> str:
        return f"eu_ai_act_{self.key}"
