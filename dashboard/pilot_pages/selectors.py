"""Reads of the pilot page that cross apps (gate reviews, alerts, workbook evidence)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from gates.models import Review
from metrics.models import Alert, AlertStatus
from portfolio.models import Pilot
from portfolio.workbooks.models import TestResult, ValidationLayer


def _count_of(queryset: QuerySet):
    """The number of rows of `queryset` (filtered on OuterRef("pk")) as a scalar subquery."""
    counted = queryset.order_by().values("pilot").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0, output_field=IntegerField())


def pilot_page_counts(*, pilot: Pilot) -> dict[str, int]:
    """The counts the pilot page's in-page navigation shows, in one query: gate reviews,
    alerts not yet resolved, and pieces of evidence (uploaded files and evidence links of
    the data and deployment workbooks' rows)."""
    has_evidence = ~Q(evidence_url="") | Q(evidence_file__isnull=False)
    row = (
        Pilot.objects.filter(pk=pilot.pk)
        .annotate(
            n_reviews=_count_of(Review.objects.filter(pilot=OuterRef("pk"))),
            n_alerts=_count_of(
                Alert.objects.filter(pilot=OuterRef("pk")).exclude(status=AlertStatus.RESOLVED)
            ),
            n_tests=_count_of(TestResult.objects.filter(has_evidence, pilot=OuterRef("pk"))),
            n_layers=_count_of(ValidationLayer.objects.filter(has_evidence, pilot=OuterRef("pk"))),
        )
        .values("n_reviews", "n_alerts", "n_tests", "n_layers")
        .get()
    )
    return {
        "reviews": row["n_reviews"],
        "alerts": row["n_alerts"],
        "evidence": row["n_tests"] + row["n_layers"],
    }
