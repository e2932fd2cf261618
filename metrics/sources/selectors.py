"""Reads of pull sources, their runs and CSV imports (the pilot is checked by the caller)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from metrics.models import CsvImport, MetricSource, PullRun

# The secret is never needed to show a source; leaving it out of reads keeps it out of
# templates, debug pages and serializers by construction.
_LIST_FIELDS = (
    "id",
    "pilot_id",
    "kind",
    "name",
    "config",
    "secret_header_name",
    "interval_minutes",
    "enabled",
    "status",
    "consecutive_failures",
    "last_success_at",
    "last_attempt_at",
    "last_error",
    "next_due_at",
)


def _with_secret_flag(queryset: QuerySet) -> QuerySet:
    return queryset.only(*_LIST_FIELDS).annotate(
        secret_set=ExpressionWrapper(~Q(secret_header_value=""), output_field=BooleanField())
    )


def pilot_sources(*, pilot) -> QuerySet:
    return _with_secret_flag(MetricSource.objects.filter(pilot=pilot)).order_by("name", "id")


def source_get(*, pk: int) -> MetricSource:
    """A source with its pilot; raises MetricSource.DoesNotExist."""
    return MetricSource.objects.select_related("pilot").get(pk=pk)


def source_runs(*, source: MetricSource, limit: int = 20) -> list[PullRun]:
    return list(PullRun.objects.filter(source_id=source.pk).order_by("-started_at", "-id")[:limit])


def pilot_csv_imports(*, pilot, limit: int = 10) -> list[CsvImport]:
    return list(
        CsvImport.objects.filter(pilot=pilot)
        .select_related("uploaded_by")
        .defer("row_report")
        .order_by("-created_at", "-id")[:limit]
    )


def sources_health(*, pilot_ids) -> dict[int, dict[str, int]]:
    """Per pilot: how many enabled sources it has, how many are healthy, degraded or not
    pulled yet. For gate criteria such as "metric sources connected and reporting"."""
    from django.db.models import Count

    health: dict[int, dict[str, int]] = {}
    rows = (
        MetricSource.objects.filter(pilot_id__in=list(pilot_ids), enabled=True)
        .values("pilot_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts = health.setdefault(
            row["pilot_id"], {"total": 0, "ok": 0, "degraded": 0, "never_run": 0}
        )
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
        counts["total"] += row["n"]
    return health
