from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from config.bounds import METRIC_VALUE_LIMIT
from config.encryption import EncryptedTextField
from gates.engine.vocabulary import HIGHER_IS_BETTER, LOWER_IS_BETTER


class Direction(models.TextChoices):
    HIGHER = HIGHER_IS_BETTER, "Higher is better"
    LOWER = LOWER_IS_BETTER, "Lower is better"


class Dimension(models.TextChoices):
    VALUE = "value", "Value"
    RELIABILITY = "reliability", "Reliability"
    COST = "cost", "Cost"


_VALUE_BOUNDS = [MinValueValidator(-METRIC_VALUE_LIMIT), MaxValueValidator(METRIC_VALUE_LIMIT)]


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
    # A catalog range narrows config.bounds.METRIC_VALUE_LIMIT; it may not widen it.
    min_value = models.FloatField(null=True, blank=True, validators=_VALUE_BOUNDS)
    max_value = models.FloatField(null=True, blank=True, validators=_VALUE_BOUNDS)
    description = models.TextField(blank=True)
    # A limit whose meaning does not depend on the pilot (e.g. drift): it applies to every
    # pilot as a monitoring threshold unless a workbook sets a rollback trigger or
    # monitoring threshold for the metric. Worse than this (by `direction`) is a breach.
    default_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text="Applies to every pilot unless its workbooks set a threshold for this metric.",
    )

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
        # Portfolio-wide trends read one metric's recent buckets across every pilot.
        indexes = [
            models.Index(fields=["period", "metric", "bucket_start"], name="rollup_portfolio_trend")
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
    (pilot, metric): one value breaching several expectations is one breach, carried by
    the most severe of them (metrics/thresholds.py), and a threshold that stays breached
    does not pile up alerts.
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
                fields=["pilot", "metric"],
                condition=~models.Q(status="resolved"),
                name="alert_one_unresolved_per_metric",
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
    # Sources whose pulls keep failing (kept here by metrics.pulls, so the dashboard's
    # "pilots at risk" reads one row per pilot instead of probing sources).
    degraded_sources = models.PositiveIntegerField(default=0, db_default=0)
    stale = models.BooleanField(default=False)
    stop_recommended = models.BooleanField(default=False)
    stop_reason = models.CharField(max_length=300, blank=True)
    # What the decision table alone says (before stop conditions) and the explanation
    # (metrics.signal.Signal.explain) pages and the API show.
    table_code = models.CharField(max_length=24, default="insufficient_data")
    explanation = models.JSONField(default=dict, blank=True)
    economics_basis = models.CharField(max_length=16, default="none")
    planned_net_value = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    realized_net_value = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.pilot_id}: {self.label}"


# --- pull sources (metrics/pulls/, metrics/connectors/) ---------------------------------


class SourceKind(models.TextChoices):
    HTTP_JSON = "http_json", "HTTP JSON"
    PROMETHEUS = "prometheus", "Prometheus"


class SourceStatus(models.TextChoices):
    NEVER_RUN = "never_run", "Not pulled yet"
    OK = "ok", "Healthy"
    DEGRADED = "degraded", "Degraded"


class MetricSource(models.Model):
    """A monitoring system a worker pulls a pilot's metrics from on a schedule.

    `secret_header_value` is write-only: forms, pages, API, logs and audit events never
    show it (see metrics/pulls/sources.py), and the database holds it encrypted. Health fields are
    written only by the pull service; `next_due_at` only by the dispatcher's conditional
    claim.
    """

    pilot = models.ForeignKey(
        "portfolio.Pilot", on_delete=models.CASCADE, related_name="metric_sources"
    )
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    name = models.CharField(max_length=120)
    config = models.JSONField(default=dict, blank=True)
    secret_header_name = models.CharField(max_length=100, blank=True)
    # Encrypted at rest (config/encryption.py); read only to build the outbound request.
    secret_header_value = EncryptedTextField(max_length=4000, blank=True)
    interval_minutes = models.PositiveIntegerField(default=15)
    enabled = models.BooleanField(default=True)
    status = models.CharField(
        max_length=16, choices=SourceStatus.choices, default=SourceStatus.NEVER_RUN
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_due_at = models.DateTimeField(default=timezone.now)
    # A running pull holds the source until it finishes or the lease expires; the
    # task id lets a redelivered copy of the same task take over after a worker crash.
    pull_lease_until = models.DateTimeField(null=True, blank=True)
    pull_lease_task = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "name"], name="metricsource_unique_name"),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in SourceKind]),
                name="metricsource_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["enabled", "next_due_at"], name="metricsource_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def ingest_source(self) -> str:
        """The `source` of its snapshots: stable, so a re-pull dedupes."""
        return f"pull:{self.pk}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_header_value)


class PullOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "Succeeded"
    FAILED = "failed", "Failed"


class PullRun(models.Model):
    """One attempt to pull a source: when, what came of it, and why it failed."""

    source = models.ForeignKey(MetricSource, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=16, default="schedule")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=PullOutcome.choices, default=PullOutcome.RUNNING
    )
    points = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True)
    will_retry = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"], name="pullrun_source_recent")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class CsvImport(models.Model):
    """One uploaded CSV file of snapshots and the per-row report of what became of it."""

    pilot = models.ForeignKey("portfolio.Pilot", on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rows_read = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # [{"row": line number, "status": stored|duplicate|rejected, "reason": text}]
    row_report = models.JSONField(default=list, blank=True)
    report_truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name
