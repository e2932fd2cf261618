import time

import pytest

from metrics import demo
from metrics.models import Alert, MetricRollup, PilotSignal, Snapshot
from portfolio import demo as portfolio_demo

pytestmark = pytest.mark.django_db


def test_demo_history_shows_every_signal_and_is_idempotent():
    context = portfolio_demo.seed()
    started = time.monotonic()
    demo.seed(context)
    elapsed = time.monotonic() - started
    codes = set(PilotSignal.objects.values_list("code", flat=True))
    assert {"scale", "hold", "redesign", "stop", "insufficient_data"} <= codes
    assert PilotSignal.objects.filter(stop_recommended=True).exists()
    assert PilotSignal.objects.filter(stale=True).exists()
    assert PilotSignal.objects.count() == len(context["pilots"])
    drift = Snapshot.objects.filter(metric__key="drift_score")
    assert drift.filter(value__gt=3).exists() and drift.filter(value__lt=1).exists()
    assert Alert.objects.filter(status="open").exists()
    assert Alert.objects.filter(status="resolved").exists()
    assert Snapshot.objects.filter(metric__key="rollback_mttr_minutes").exists()
    assert MetricRollup.objects.filter(period="day").exists()
    counts = (Snapshot.objects.count(), MetricRollup.objects.count(), Alert.objects.count())
    print(f"metrics demo: {counts[0]:,} snapshots in {elapsed:.1f} s")

    demo.seed(context)
    assert (Snapshot.objects.count(), MetricRollup.objects.count(), Alert.objects.count()) == counts


def test_demo_live_pilots_have_realized_economics_on_the_dashboard_and_pilot_page():
    from datetime import timedelta

    from django.utils import timezone

    from dashboard.filters import DashboardFilters
    from dashboard.pilot import pilot_economics
    from dashboard.selectors import portfolio_summary

    context = portfolio_demo.seed()
    demo.seed(context)
    live = [
        p
        for p in context["pilots"]
        if p.stage in ("pilot", "readiness", "scale") and p.status != "stopped"
    ]
    assert live
    since = timezone.now() - timedelta(days=30)
    for key in ("monthly_run_cost", "realized_benefit", "roi_pct"):
        reporting = set(
            MetricRollup.objects.filter(
                metric__key=key, period="day", bucket_start__gte=since
            ).values_list("pilot_id", flat=True)
        )
        assert reporting == {p.pk for p in live}, key

    erin = context["users"]["erin"]
    econ = portfolio_summary(user=erin, filters=DashboardFilters())["economics"]
    totals = econ["totals"]
    assert totals["realized_annual_cost"] > 0 and totals["realized_reporting"] == len(live)
    assert totals["realized_roi_mean"] is not None and totals["roi_reporting"] == len(live)
    live_ids = {p.pk for p in live}
    shown = [p for p in econ["pilots"] if p["id"] in live_ids]
    assert shown and all(p["realized_roi"] is not None for p in shown)
    assert all(p["realized_annual_cost"] > 0 for p in shown)
    # Profiles differ: some pilots earn back their cost, some do not.
    rois = [p["realized_roi"] for p in shown]
    assert min(rois) < 0 < max(rois)

    page = pilot_economics(live[0])
    realized = {row["label"]: row["realized"] for row in page["rows"]}
    assert realized["First-year ROI"] is not None and realized["Annual run cost"] > 0
