"""Portfolio-level aggregates the dashboard reads instead of pilot-level rollups.

At 10,000 pilots the reliability trend and the realized totals would scan about a million
daily rollups per view. These tables hold the same sums grouped by the pilot attributes the
dashboard filters on (business unit, stage, status, risk tier) plus `confidential`, so the
confidential rule can be applied to them. Sums and counts (never means) are stored, so
groups combine exactly: a mean over any set of groups is sum(total) / sum(count).

Written only by dashboard.aggregates.aggregates_rebuild (a Celery beat task and
after rollups change), which replaces every row in one transaction.
"""

from django.db import models

__all__ = ["PortfolioAggregateState", "PortfolioRealized", "PortfolioTrendDay"]


class PortfolioAggregateState(models.Model):
    """One row: when the aggregates were last rebuilt (the dashboard's "as of")."""

    key = models.CharField(max_length=16, primary_key=True, default="portfolio")
    built_at = models.DateTimeField()
    trend_since = models.DateTimeField()
    realized_since = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    # Set (aggregates_request_rebuild) when ingest changed rollups or a pilot changed stage
    # or status; a rebuild task clears it before it starts, so changes committed during a
    # rebuild ask for another.
    rebuild_requested_at = models.DateTimeField(null=True, blank=True)
    # A pilot's confidential flag changed here: until a rebuild that started later, the
    # groups may still count it on the wrong side, so readers who may not see every pilot
    # are answered from rollups (dashboard.selectors.scope).
    confidentiality_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Created by portfolio's migration 0003, before the dashboard was an app of its own.
        db_table = "portfolio_portfolioaggregatestate"

    def __str__(self) -> str:
        return f"portfolio aggregates as of {self.built_at:%Y-%m-%d %H:%M}"


class _PilotGroup(models.Model):
    """The pilot attributes an aggregate row is grouped by (their values at rebuild time)."""

    business_unit = models.CharField(max_length=100)
    stage = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    risk_tier = models.CharField(max_length=16)
    confidential = models.BooleanField()

    class Meta:
        abstract = True


class PortfolioTrendDay(_PilotGroup):
    """One metric on one UTC day over a group of pilots: sums of their daily rollups."""

    day = models.DateTimeField()
    metric_key = models.CharField(max_length=64)
    pilots = models.PositiveIntegerField()
    observations = models.PositiveBigIntegerField()
    total = models.FloatField()
    p95_sum = models.FloatField()

    class Meta:
        db_table = "portfolio_portfoliotrendday"
        indexes = [models.Index(fields=["metric_key", "day"], name="trendday_metric_day")]

    def __str__(self) -> str:
        return f"{self.metric_key} {self.day:%Y-%m-%d} ({self.pilots} pilots)"


class PortfolioRealized(_PilotGroup):
    """Sum over a group of pilots of each pilot's mean of one economic metric over the
    realized window (pilots that reported it), split by whether the pilot has an economic
    case in its strategy workbook."""

    metric_key = models.CharField(max_length=64)
    has_case = models.BooleanField()
    pilots = models.PositiveIntegerField()
    mean_sum = models.FloatField()

    class Meta:
        db_table = "portfolio_portfoliorealized"

    def __str__(self) -> str:
        return f"{self.metric_key} over {self.pilots} pilots"
