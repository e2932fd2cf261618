"""Demo metric sources: one healthy, one degraded, so both states show on the pages.

Call `seed(context)` after the portfolio demo (manage.py seed_demo does it when this
module is listed in its EXTENSIONS). Idempotent. The sources point at `.invalid` hosts,
which never resolve, and are next due in a week, so a running demo stack does not pull
them; their history is written here directly.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from metrics.models import MetricSource, PullOutcome, PullRun, SourceKind, SourceStatus

HEALTHY = "Production Prometheus"
DEGRADED = "Vendor status page"


@transaction.atomic
def seed(context: dict) -> None:
    pilots = [p for p in context["pilots"] if p.stage != "discovery" and p.status != "stopped"]
    if len(pilots) < 2:
        return
    now = timezone.now()
    healthy, created = MetricSource.objects.get_or_create(
        pilot=pilots[0],
        name=HEALTHY,
        defaults={
            "kind": SourceKind.PROMETHEUS,
            "config": {
                "base_url": "https://prometheus.demo.invalid",
                "step_seconds": 60,
                "queries": [
                    {"metric": "p95_latency_ms", "query": 'max(p95_latency_ms{app="triage"})'},
                    {"metric": "error_rate", "query": 'max(error_rate_pct{app="triage"})'},
                ],
            },
            "interval_minutes": 15,
            "status": SourceStatus.OK,
            "last_success_at": now - timedelta(minutes=9),
            "last_attempt_at": now - timedelta(minutes=9),
            "next_due_at": now + timedelta(days=7),
        },
    )
    if created:
        for hours in range(6, 0, -1):
            started = now - timedelta(hours=hours)
            PullRun.objects.create(
                source=healthy,
                started_at=started,
                finished_at=started + timedelta(seconds=2),
                outcome=PullOutcome.OK,
                points=32,
                stored=30,
                duplicate=2,
            )
    degraded, created = MetricSource.objects.get_or_create(
        pilot=pilots[1],
        name=DEGRADED,
        defaults={
            "kind": SourceKind.HTTP_JSON,
            "config": {
                "url": "https://status.vendor.demo.invalid/v2/metrics.json",
                "metrics": [{"metric": "uptime_pct", "path": "$.availability.last_24h"}],
            },
            "secret_header_name": "X-Api-Key",
            "secret_header_value": "demo-not-a-real-key",
            "interval_minutes": 30,
            "status": SourceStatus.DEGRADED,
            "consecutive_failures": 3,
            "last_success_at": now - timedelta(days=2, hours=3),
            "last_attempt_at": now - timedelta(minutes=20),
            "last_error": "https://status.vendor.demo.invalid/v2/metrics.json answered HTTP 401. "
            "Check the secret header.",
            "next_due_at": now + timedelta(days=7),
        },
    )
    if created:
        for attempt in range(3, 0, -1):
            started = now - timedelta(minutes=20 + 30 * (attempt - 1))
            PullRun.objects.create(
                source=degraded,
                started_at=started,
                finished_at=started + timedelta(seconds=1),
                outcome=PullOutcome.FAILED,
                error=degraded.last_error,
            )
