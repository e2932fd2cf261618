"""The inventory behind the pilots (models, prompts, datasets, vendors), which pilots use
them, and change control over what a live pilot uses.

A change is a pilot swapping, adding or removing one of its linked assets: a new model
version is a new `AIModel` row, a new prompt is a new `PromptVersion`. Assets are
catalogue entries shared by pilots; what a change request changes is one pilot's link.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class AssetKind(models.TextChoices):
    MODEL = "model", "Model"
    PROMPT = "prompt", "Prompt or configuration"
    DATASET = "dataset", "Dataset"
    VENDOR = "vendor", "Vendor"


class Rating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Hosting(models.TextChoices):
    VENDOR_API = "vendor_api", "Vendor API"
    SELF_HOSTED = "self_hosted", "Self-hosted"


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    CONTRACT = "contract", "Contract"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    PUBLIC_TASK = "public_task", "Public task"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"
    NOT_PERSONAL = "not_personal", "No personal data"


class AssetBase(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    kind: str = ""

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return reverse("inventory:asset_detail", args=[self.kind, self.pk])


class Vendor(AssetBase):
    kind = AssetKind.VENDOR

    name = models.CharField("name", max_length=200)
    contract_start = models.DateField("contract start", null=True, blank=True)
    contract_end = models.DateField("contract end", null=True, blank=True)
    dpa_signed_on = models.DateField("data-processing agreement signed on", null=True, blank=True)
    data_residency = models.CharField(
        "data residency", max_length=200, blank=True, help_text="Where the vendor keeps data."
    )
    risk_rating = models.CharField(
        "risk rating", max_length=16, choices=Rating.choices, default=Rating.MEDIUM
    )
    next_review_on = models.DateField("next review", null=True, blank=True)

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="vendor_name_unique_ci",
                violation_error_message="A vendor with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AIModel(AssetBase):
    kind = AssetKind.MODEL

    provider = models.CharField("provider", max_length=200)
    name = models.CharField("name", max_length=200)
    version = models.CharField("version", max_length=100)
    hosting = models.CharField(
        "hosting", max_length=16, choices=Hosting.choices, default=Hosting.VENDOR_API
    )
    licence = models.CharField("licence", max_length=200, blank=True)
    general_purpose = models.BooleanField(
        "general-purpose model", default=False, help_text="A model built for many tasks."
    )
    end_of_life_on = models.DateField("end of life", null=True, blank=True)
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="models",
        verbose_name="vendor",
    )  # fmt: skip

    class Meta:
        ordering = [Lower("provider"), Lower("name"), "version", "id"]
        verbose_name = "model"
        constraints = [
            models.UniqueConstraint(
                Lower("provider"), Lower("name"), Lower("version"),
                name="model_version_unique_ci",
                violation_error_message="This provider's model already has this version.",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.provider} {self.name} {self.version}"


class Prompt(AssetBase):
    """A prompt or configuration; its content lives in immutable versions."""

    kind = AssetKind.PROMPT

    identifier = models.CharField("identifier", max_length=200)
    description = models.CharField("description", max_length=500, blank=True)

    class Meta:
        ordering = [Lower("identifier"), "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("identifier"),
                name="prompt_identifier_unique_ci",
                violation_error_message="A prompt with this identifier already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.identifier


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


class PromptVersion(models.Model):
    """One version of a prompt: never edited; a change is a new version."""

    kind = AssetKind.PROMPT

    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.TextField(max_length=100_000)
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["prompt_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "number"], name="one_prompt_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.prompt.identifier} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:asset_detail", args=[AssetKind.PROMPT, self.prompt_id])

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]


class Dataset(AssetBase):
    kind = AssetKind.DATASET

    name = models.CharField("name", max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="owner",
    )  # fmt: skip
    personal_data_categories = models.CharField(
        "personal-data categories", max_length=500, blank=True,
        help_text="Comma-separated, for example: names, contact details, health data.",
    )  # fmt: skip
    legal_basis = models.CharField(
        "legal basis", max_length=32, choices=LegalBasis.choices, default=LegalBasis.NOT_PERSONAL
    )
    retention = models.CharField(
        "retention", max_length=200, blank=True, help_text="How long it is kept, and why."
    )

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="dataset_name_unique_ci",
                violation_error_message="A dataset with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name


# The model each link kind points at, and the link's field for it.
LINK_FIELDS = {
    AssetKind.MODEL: "model",
    AssetKind.PROMPT: "prompt_version",
    AssetKind.DATASET: "dataset",
    AssetKind.VENDOR: "vendor",
}


class PilotAsset(models.Model):
    """A pilot uses an asset for a purpose (a prompt link pins one version)."""

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    model = models.ForeignKey(
        AIModel, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    prompt_version = models.ForeignKey(
        PromptVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    purpose = models.CharField("purpose", max_length=300)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                name="pilot_asset_one_target",
                condition=(
                    models.Q(kind="model", model__isnull=False, prompt_version__isnull=True,
                             dataset__isnull=True, vendor__isnull=True)
                    | models.Q(kind="prompt", model__isnull=True, prompt_version__isnull=False,
                               dataset__isnull=True, vendor__isnull=True)
                    | models.Q(kind="dataset", model__isnull=True, prompt_version__isnull=True,
                               dataset__isnull=False, vendor__isnull=True)
                    | models.Q(kind="vendor", model__isnull=True, prompt_version__isnull=True,
                               dataset__isnull=True, vendor__isnull=False)
                ),
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.asset}"

    @property
    def asset(self):
        return getattr(self, LINK_FIELDS[self.kind])


class Classification(models.TextChoices):
    MINOR = "minor", "Minor: recorded, no approval"
    MATERIAL = "material", "Material: needs a change review"


class ChangeRule(models.Model):
    """How a change to one aspect of an asset kind is classified (data, edited by
    governance leads). `aspect` is a field of the asset whose value differs between the
    old and the new asset, or `added` / `removed` for a link made or dropped. A rule for a
    risk tier wins over the rule for every tier (`risk_tier` empty). An aspect no rule
    covers is material: an unknown change is never waved through."""

    asset_kind = models.CharField(max_length=16, choices=AssetKind.choices)
    aspect = models.CharField(max_length=64)
    risk_tier = models.CharField(max_length=16, blank=True)
    classification = models.CharField(max_length=16, choices=Classification.choices)
    explanation = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset_kind", "aspect", "risk_tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset_kind", "aspect", "risk_tier"], name="one_change_rule_per_aspect"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_kind}.{self.aspect}: {self.classification}"


class ChangeStatus(models.TextChoices):
    NOT_CONTROLLED = "not_controlled", "Applied (pilot not yet live: no control)"
    RECORDED = "recorded", "Applied (minor change, recorded)"
    PENDING = "pending", "Waiting for a change review"
    APPROVED = "approved", "Approved and applied"
    REFUSED = "refused", "Not approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (ChangeStatus.PENDING,)
APPLIED_STATUSES = (ChangeStatus.NOT_CONTROLLED, ChangeStatus.RECORDED, ChangeStatus.APPROVED)


class ChangeSource(models.TextChoices):
    PAGE = "page", "Pilotgate page"
    API = "api", "API"
    PIPELINE = "pipeline", "Delivery pipeline"


class ChangeRequest(models.Model):
    """One change to what one pilot uses: swap a linked asset for another, add one, or
    remove one. Applied at once when minor (or the pilot is not live yet); a material
    change waits for a change review (gates.Review, kind "change")."""

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    # The link it changes (empty for an addition until it is applied).
    link = models.ForeignKey(
        PilotAsset, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    from_id = models.PositiveBigIntegerField(null=True, blank=True)
    to_id = models.PositiveBigIntegerField(null=True, blank=True)
    from_label = models.CharField(max_length=500, blank=True)
    to_label = models.CharField(max_length=500, blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    aspects = models.JSONField(default=list)
    classification = models.CharField(max_length=16, choices=Classification.choices)
    stage = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=ChangeStatus.choices, db_index=True)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    note = models.TextField(max_length=4000, blank=True)
    review = models.OneToOneField(
        "gates.Review", on_delete=models.PROTECT, null=True, blank=True,
        related_name="change_request",
    )  # fmt: skip
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot"],
                condition=models.Q(status="pending"),
                name="one_pending_change_per_pilot",
            ),
            models.UniqueConstraint(
                fields=["pilot", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="one_change_per_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"Change #{self.pk} to pilot {self.pilot_id}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:change_detail", args=[self.pk])

    @property
    def effective_at(self):
        """When the change took effect on the pilot (for chart markers)."""
        return self.applied_at or self.requested_at


class EndOfLifeAlert(models.Model):
    """An asset a pilot uses reaches its end of life or contract end soon. One per
    asset, pilot and date (the daily task is idempotent by this constraint)."""

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="end_of_life_alerts"
    )
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    asset_id = models.PositiveBigIntegerField()
    asset_label = models.CharField(max_length=500)
    ends_on = models.DateField()
    what = models.CharField(max_length=40)  # "end of life" or "contract end"
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ends_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "kind", "asset_id", "ends_on"], name="one_eol_alert_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_label}: {self.what} on {self.ends_on}"
