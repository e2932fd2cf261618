"""The Prometheus connector against a real Prometheus server backfilled by promtool."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from metrics.connectors import ConnectorError, prometheus
from metrics.connectors.safety import UnsafeURL
from tests.metrics.pull_servers import prometheus_server

# Samples every 15 s for the last 5 hours, ending 20 s ago (an instant query sees a
# sample only from the last 5 minutes).
END = int(time.time()) - 20
START = END - 5 * 3600
SAMPLES = [(stamp, 400 + (stamp - START) // 15) for stamp in range(START, END + 1, 15)]


@pytest.fixture(scope="module")
def prom():
    with prometheus_server(
        {"pilot_p95_latency_ms": SAMPLES, "pilot_errors_ratio": [(s, 0.01) for s, _ in SAMPLES]}
    ) as base:
        yield base


def config(base, step=60, **queries):
    queries = queries or {"p95_latency_ms": 'max(pilot_p95_latency_ms{pilot="p1"})'}
    return {
        "base_url": base,
        "step_seconds": step,
        "queries": [{"metric": m, "query": q} for m, q in queries.items()],
    }


def now():
    return datetime.fromtimestamp(END + 10, tz=UTC)


def test_first_pull_is_one_instant_value_per_query(prom):
    result = prometheus.pull(
        config(prom, p95_latency_ms="max(pilot_p95_latency_ms)", error_rate="pilot_errors_ratio"),
        now=now(),
        allow_hosts=["127.0.0.1"],
    )
    assert result.problems == []
    assert [(p.metric, p.observed_at, p.value) for p in result.points] == [
        ("p95_latency_ms", now(), float(SAMPLES[-1][1])),
        ("error_rate", now(), 0.01),
    ]


def test_outage_gap_is_backfilled_on_the_step_grid(prom):
    since = now() - timedelta(hours=2)
    result = prometheus.pull(
        config(prom, step=60), now=now(), since=since, allow_hosts=["127.0.0.1"]
    )
    ranged = [p for p in result.points if p.observed_at != now()]
    stamps = [int(p.observed_at.timestamp()) for p in ranged]
    assert stamps[0] <= since.timestamp() < stamps[0] + 60
    assert all(b - a == 60 for a, b in zip(stamps, stamps[1:], strict=False)), (
        "a gap in the backfill"
    )
    assert stamps[-1] > now().timestamp() - 60
    assert all(stamp % 60 == 0 for stamp in stamps)
    # Values are what the server stored: the latest sample at or before each step.
    by_time = dict(SAMPLES)
    for point in ranged[:5]:
        stamp = int(point.observed_at.timestamp())
        latest = max(s for s in by_time if s <= stamp)
        assert point.value == by_time[latest]


def test_overlapping_pulls_give_identical_timestamps(prom):
    first = prometheus.pull(
        config(prom), now=now(), since=now() - timedelta(minutes=30), allow_hosts=["127.0.0.1"]
    )
    second = prometheus.pull(
        config(prom),
        now=now() + timedelta(seconds=7),
        since=now() - timedelta(minutes=20),
        allow_hosts=["127.0.0.1"],
    )
    # Within the window both pulls cover, they give the same (time, value) pairs, so the
    # ingest service's unique key stores the overlap once.
    low = (now() - timedelta(minutes=20)).timestamp() + 60
    high = now().timestamp() - 60

    def overlap(result):
        return {
            (p.observed_at, p.value)
            for p in result.points
            if low <= p.observed_at.timestamp() <= high
        }

    assert overlap(first) == overlap(second) and len(overlap(first)) >= 17


def test_long_backfill_is_split_under_the_points_limit(prom):
    # 4 hours at a 1 s step is 14,400 points: one request would be refused (11,000 limit).
    result = prometheus.pull(
        config(prom, step=1), now=now(), since=now() - timedelta(hours=4), allow_hosts=["127.0.0.1"]
    )
    stamps = sorted(int(p.observed_at.timestamp()) for p in result.points if p.observed_at != now())
    assert len(stamps) == len(set(stamps)) >= 14_400
    assert all(b - a == 1 for a, b in zip(stamps, stamps[1:], strict=False))


def test_backfill_window_is_capped(prom):
    result = prometheus.pull(
        config(prom),
        now=now(),
        since=now() - timedelta(days=40),
        max_backfill=timedelta(hours=1),
        allow_hosts=["127.0.0.1"],
    )
    assert "backfill starts at" in result.problems[0]
    assert min(p.observed_at for p in result.points) >= now() - timedelta(hours=1, minutes=1)


def test_bad_query_is_reported_and_other_metrics_still_pulled(prom):
    result = prometheus.pull(
        config(prom, p95_latency_ms="max(pilot_p95_latency_ms)", error_rate="rate(("),
        now=now(),
        allow_hosts=["127.0.0.1"],
    )
    assert [p.metric for p in result.points] == ["p95_latency_ms"]
    assert "Prometheus refused the query for error_rate (bad_data)" in result.problems[0]


def test_many_series_and_no_data_are_explained(prom):
    with pytest.raises(ConnectorError) as caught:
        prometheus.pull(
            config(prom, a='{__name__=~"pilot_.*"}', b="absent_metric_name"),
            now=now(),
            allow_hosts=["127.0.0.1"],
        )
    assert "a: the query returned 2 series; aggregate it" in caught.value.message
    assert "b: no sample in the last 5 minutes" in caught.value.message


def test_prometheus_on_loopback_is_refused_without_the_allow_list(prom, settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = []
    with pytest.raises(UnsafeURL, match="loopback"):
        prometheus.pull(config(prom), now=now())


def test_unreachable_prometheus_is_transient():
    with pytest.raises(ConnectorError) as caught:
        prometheus.pull(config("http://127.0.0.1:9"), now=now(), allow_hosts=["127.0.0.1"])
    assert caught.value.transient


def test_config_validation():
    errors = prometheus.validate_config({"base_url": "", "step_seconds": 0, "queries": [{}]})
    assert set(errors) == {"base_url", "step_seconds", "queries"}


def test_base_url_with_a_query_string_still_reaches_the_query_api(prom):
    # A proxy in front of Prometheus may need its own parameters; Prometheus ignores them.
    result = prometheus.pull(
        config(f"{prom}/?tenant=claims&tenant=a%2Fb"), now=now(), allow_hosts=["127.0.0.1"]
    )
    assert [p.metric for p in result.points] == ["p95_latency_ms"]
