from datetime import UTC, datetime, timedelta

import pytest

from metrics import rollups
from metrics.models import MetricRollup
from metrics.selectors import daily_rollups, metric_series
from metrics.services import snapshots_ingest

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 11, 18, tzinfo=UTC)


def at(hour, minute=0, day=DAY):
    return day + timedelta(hours=hour, minutes=minute)


def push(pilot, points, metric="p95_latency_ms", source="s"):
    return snapshots_ingest(
        rows=[
            {"pilot": pilot.pk, "metric": metric, "observed_at": t, "value": v} for t, v in points
        ],
        source=source,
    )


def bucket(pilot, period, start, metric="p95_latency_ms"):
    return MetricRollup.objects.get(
        pilot=pilot, metric__key=metric, period=period, bucket_start=start
    )


def test_percentile_matches_linear_interpolation():
    assert rollups.percentile([1, 2, 3, 4, 10], 0.95) == pytest.approx(8.8)
    assert rollups.percentile([7], 0.95) == 7
    assert rollups.percentile([1, 2], 0.5) == 1.5


def test_hourly_and_daily_rollups_are_computed_after_commit(
    pilot, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        push(pilot, [(at(10, 0), 1), (at(10, 10), 2), (at(10, 20), 3), (at(10, 30), 10)])
        push(pilot, [(at(10, 40), 4), (at(11, 5), 5)], source="other")
    hour10 = bucket(pilot, "hour", at(10))
    assert (hour10.count, hour10.minimum, hour10.maximum, hour10.total) == (5, 1, 10, 20)
    assert hour10.mean == 4
    # sorted 1,2,3,4,10: rank 0.95*4 = 3.8 -> 4 + 0.8*(10-4)
    assert hour10.p95 == pytest.approx(8.8)
    assert (hour10.last, hour10.last_at) == (4, at(10, 40))
    hour11 = bucket(pilot, "hour", at(11))
    assert (hour11.count, hour11.p95, hour11.last) == (1, 5, 5)
    day = bucket(pilot, "day", DAY)
    # sorted 1,2,3,4,5,10: rank 0.95*5 = 4.75 -> 5 + 0.75*(10-5)
    assert (day.count, day.minimum, day.maximum, day.total) == (6, 1, 10, 25)
    assert day.p95 == pytest.approx(8.75)
    assert day.last == 5


def test_a_later_batch_updates_only_the_buckets_it_touches(
    pilot, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        push(pilot, [(at(1), 10), (at(30), 20)])  # day 1 01:00 and day 2 06:00
    untouched = bucket(pilot, "day", DAY + timedelta(days=1)).updated_at
    with django_capture_on_commit_callbacks(execute=True):
        push(pilot, [(at(2), 30)])
    day1 = bucket(pilot, "day", DAY)
    assert (day1.count, day1.total, day1.maximum) == (2, 40, 30)
    assert bucket(pilot, "day", DAY + timedelta(days=1)).updated_at == untouched


def test_refresh_is_idempotent(pilot):
    push(pilot, [(at(3), 1.5), (at(3, 30), 2.5)])
    spans = [(pilot.pk, bucket_metric_id(), at(3), at(3, 30))]
    rollups.refresh(spans)
    first = list(MetricRollup.objects.values_list("period", "count", "total", "p95"))
    rollups.refresh(spans)
    again = list(MetricRollup.objects.values_list("period", "count", "total", "p95"))
    assert sorted(first) == sorted(again) == [("day", 2, 4.0, 2.45), ("hour", 2, 4.0, 2.45)]


def bucket_metric_id():
    from metrics.models import MetricDefinition

    return MetricDefinition.objects.get(key="p95_latency_ms").pk


def test_negative_values_roll_up(pilot):
    push(pilot, [(at(5), -100), (at(5, 1), 50)], metric="realized_benefit")
    from metrics.models import MetricDefinition

    metric = MetricDefinition.objects.get(key="realized_benefit")
    rollups.refresh([(pilot.pk, metric.pk, at(5), at(5, 1))])
    hour = bucket(pilot, "hour", at(5), metric="realized_benefit")
    assert (hour.minimum, hour.maximum, hour.total) == (-100, 50, -50)
    assert hour.p95 == pytest.approx(-100 + 0.95 * 150)


def test_daily_rollups_selector_returns_engine_records(
    pilot, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        push(pilot, [(at(1), 100), (at(2), 300), (at(25), 200)])
    result = daily_rollups(pilot.pk, ["p95_latency_ms", "error_rate"], since=at(12))
    assert result["error_rate"] == []
    days = result["p95_latency_ms"]
    assert [d.day.isoformat() for d in days] == ["2026-11-18", "2026-11-19"]
    assert (days[0].count, days[0].mean, days[0].minimum, days[0].maximum) == (2, 200, 100, 300)
    assert days[0].p95 == pytest.approx(290)
    assert (days[0].last, days[0].last_at) == (300, at(2))
    assert days[1].count == 1


def test_series_uses_raw_points_for_short_ranges_and_rollups_for_long(
    pilot, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        push(pilot, [(at(h, m), h * 10 + m) for h in range(0, 48, 3) for m in (0, 30)])
    raw = metric_series(pilot, "p95_latency_ms", at(0), at(12))
    assert raw.resolution == "raw"
    assert [p.value for p in raw.points][:3] == [0, 30, 30]
    hourly = metric_series(pilot, "p95_latency_ms", at(0), at(0) + timedelta(days=5))
    assert hourly.resolution == "hour"
    assert hourly.points[0].count == 2 and hourly.points[0].value == 15
    daily = metric_series(pilot, "p95_latency_ms", at(0), at(0) + timedelta(days=90))
    assert daily.resolution == "day"
    assert [p.count for p in daily.points] == [16, 16]
