from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class Stage(models.TextChoices):
    DISCOVERY = "discovery", "Discovery"
    PILOT = "pilot", "Pilot"
    READINESS = "readiness", "Readiness"
    SCALE = "scale", "Scale"


STAGE_ORDER = [s.value for s in Stage]


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    STOPPED = "stopped", "Stopped"


class RiskTier(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


def tidy_name(value: str) -> str:
    """A name as stored: no outer spaces, inner runs of whitespace as one space."""
    return " ".join(str(value or "").split())


class BusinessUnit(models.Model):
    """The managed list of business units (admin-editable). Names are unique whatever their
    case; an inactive unit is no longer offered, and its pilots keep it."""

    name = models.CharField(max_length=100)
    active = models.BooleanField(
        default=True, help_text="Offered when a pilot is registered or edited."
    )

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="business_unit_name_unique_ci",
                violation_error_message="A business unit with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = tidy_name(self.name)


class Pilot(models.Model):
    """One AI pilot in the portfolio. Stage and status change only in gates.services."""

    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=4000)
    # The unit's name, kept in step with `unit` by portfolio.services: the dashboard's
    # aggregates, filters and the API group and filter by this column.
    business_unit = models.CharField(max_length=100, db_index=True)
    unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="pilots"
    )
    stage = models.CharField(
        max_length=16, choices=Stage.choices, default=Stage.DISCOVERY, db_index=True
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    risk_tier = models.CharField(
        max_length=16, choices=RiskTier.choices, default=RiskTier.MEDIUM, db_index=True
    )
    confidential = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    stage_entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=STAGE_ORDER), name="pilot_stage_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]),
                name="pilot_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_tier__in=[r.value for r in RiskTier]),
                name="pilot_risk_tier_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portfolio:pilot_detail", args=[self.pk])

    @property
    def is_stopped(self) -> bool:
        return self.status == Status.STOPPED

    @property
    def days_in_stage(self) -> int:
        return (timezone.now() - self.stage_entered_at).days

    def holder(self, role: str):
        """The user holding `role` on this pilot, using prefetched roles when present."""
        for pilot_role in self.roles.all():
            if pilot_role.role == role:
                return pilot_role.user
        return None


# Workbook models live in their own modules; importing them here registers them with the app.
from portfolio.workbooks.models import *  # noqa: E402, F403
