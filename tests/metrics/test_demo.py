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
