from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Dimension(models.TextChoices):
    VALUE = "value", "Value"
    RELIABILITY = "reliability", "Reliability"
    COST = "cost", "Cost"


class MetricDefinition(models.Model):
    """The metric catalog: what can be measured, in which unit, and which way is good."""

    key = models.SlugField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", "Use lower_snake_case.")],
    )
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["dimension", "key"]

    def __str__(self) -> str:
        return self.key

    def improves(self, baseline: float, target: float) -> bool:
        """Whether moving from `baseline` to `target` is an improvement."""
        return target > baseline if self.direction == Direction.HIGHER else target < baseline


class Snapshot(models.Model):
    """One observed value of a metric for a pilot, as reported by one source.

    The unique key makes ingest idempotent: pushing the same observation twice stores
    one row. Its index, led by (pilot, metric, observed_at), also serves every series read,
    so the table carries a single secondary index and bulk loads stay fast.
    """

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(MetricDefinition, on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField()
    value = models.FloatField()
    source = models.CharField(max_length=100)
    ingested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "metric", "observed_at", "source"],
                name="snapshot_unique_observation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id}@{self.observed_at:%Y-%m-%d %H:%M}={self.value}"


class RollupPeriod(models.TextChoices):
    HOUR = "hour", "Hourly"
    DAY = "day", "Daily"


class MetricRollup(models.Model):
    """Aggregates of one metric of one pilot over an hour or a (UTC) day.

    Rebuilt from raw snapshots for the buckets an ingest batch touched (see
    metrics/rollups.py for why recomputing beats a mergeable sketch here).
    """

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(MetricDefinition, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=8, choices=RollupPeriod.choices)
    bucket_start = models.DateTimeField()
    count = models.PositiveIntegerField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    total = models.FloatField()
    p95 = models.FloatField()
    last = models.FloatField()
    last_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "metric", "period", "bucket_start"],
                name="rollup_unique_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.metric_id}@{self.bucket_start:%Y-%m-%d %H:%M}"

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class ExpectationKind(models.TextChoices):
    TARGET = "target", "Success target"
    STOP = "stop", "Stop condition"
    ROLLBACK = "rollback", "Rollback trigger"
    MONITOR = "monitor", "Monitoring threshold"


class AlertAction(models.TextChoices):
    DISABLE_AI = "disable_ai", "Disable the AI component"
    HUMAN_REVIEW = "human_review", "Route to human review"
    REDUCE_SCOPE = "reduce_scope", "Reduce scope"
    REVISE = "revise", "Revise the pilot"
    END = "end", "End the pilot"
    INVESTIGATE = "investigate", "Investigate"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """A breached workbook threshold. Open until resolved; at most one unresolved alert per
    (pilot, metric, kind), so a threshold that stays breached does not pile up alerts.
    """

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="alerts")
    metric = models.ForeignKey(MetricDefinition, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ExpectationKind.choices)
    op = models.CharField(max_length=2)
    threshold = models.FloatField()
    observed_value = models.FloatField()
    observed_at = models.DateTimeField()
    action = models.CharField(max_length=16, choices=AlertAction.choices)
    status = models.CharField(
        max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "metric", "kind"],
                condition=~models.Q(status="resolved"),
                name="alert_one_unresolved_per_threshold",
            )
        ]
        indexes = [models.Index(fields=["pilot", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.metric_id} for pilot {self.pilot_id}"

    @property
    def is_resolved(self) -> bool:
        return self.status == AlertStatus.RESOLVED

    @property
    def duration_minutes(self) -> float | None:
        """Open-to-resolved time: the incident's length, once it is over."""
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.opened_at).total_seconds() / 60


class PilotSignal(models.Model):
    """The portfolio signal of a pilot, stored so pages read it without recomputing.

    Recomputed after each ingest batch that touches the pilot (and by the drift task).
    `stop_recommended` is set when a workbook stop condition is met; it is advice to the
    governance leads, never a status change (only gates.services changes Pilot.status).
    """

    pilot = models.OneToOneField(
        "portfolio.Pilot", on_delete=models.CASCADE, primary_key=True, related_name="signal"
    )
    code = models.CharField(max_length=24)
    label = models.CharField(max_length=64)
    reasons = models.JSONField(default=list, blank=True)
    value_status = models.CharField(max_length=16, default="unknown")
    reliability_status = models.CharField(max_length=16, default="unknown")
    economics_status = models.CharField(max_length=16, default="unknown")
    open_alerts = models.PositiveIntegerField(default=0)
    stale = models.BooleanField(default=False)
    stop_recommended = models.BooleanField(default=False)
    stop_reason = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.pilot_id}: {self.label}"
