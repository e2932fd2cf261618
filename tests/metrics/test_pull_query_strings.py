"""A pull URL's query string reaches the monitored system exactly as the owner typed it.

A real local HTTP server records the request target of every pull; the sources are
created and pulled through the same services as in production.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from metrics import pulls
from metrics.models import Snapshot
from tests.metrics.pull_servers import http_server

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# Percent-encoded slash, space, plus, ampersand and euro sign; a repeated key; an empty value.
QUERY = "service=claims&key=a%2Fb%20c%2B%26d&tag=x&tag=y&empty=&cur=%E2%82%AC"


@pytest.fixture
def allow_loopback(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]


def json_route(handler):
    handler.send_json({"latency": 412.5})


def test_http_json_source_sends_the_query_string_byte_for_byte(pilot, owner, allow_loopback):
    with http_server({"/metrics": json_route}) as (base, handler):
        source = pulls.source_create(
            pilot=pilot,
            by=owner,
            name="Claims status",
            kind="http_json",
            config={
                "url": f"{base}/metrics?{QUERY}",
                "metrics": [{"metric": "p95_latency_ms", "path": "$.latency"}],
            },
        )
        report = pulls.source_pull(source_id=source.pk, now=NOW)

    assert [seen["path"] for seen in handler.seen] == [f"/metrics?{QUERY}"]
    assert report.run.outcome == "ok"
    assert Snapshot.objects.get(source=source.ingest_source).value == 412.5


def test_http_json_query_string_survives_a_redirect(pilot, owner, allow_loopback):
    routes = {
        "/old": lambda h: h._send(302, b"", headers={"Location": f"/metrics?{QUERY}"}),
        "/metrics": json_route,
    }
    with http_server(routes) as (base, handler):
        source = pulls.source_create(
            pilot=pilot,
            by=owner,
            name="Moved status",
            kind="http_json",
            config={
                "url": f"{base}/old?from=a%20b&from=c",
                "metrics": [{"metric": "p95_latency_ms", "path": "$.latency"}],
            },
        )
        pulls.source_pull(source_id=source.pk, now=NOW)

    assert [seen["path"] for seen in handler.seen] == [
        "/old?from=a%20b&from=c",
        f"/metrics?{QUERY}",
    ]


def prometheus_answer(handler):
    """What Prometheus answers to an instant or a range query for one series."""
    target = urlsplit(handler.path)
    stamp = NOW.timestamp()
    if target.path.endswith("/query_range"):
        data = {"resultType": "matrix", "result": [{"metric": {}, "values": [[stamp, "7"]]}]}
    else:
        data = {"resultType": "vector", "result": [{"metric": {}, "value": [stamp, "7"]}]}
    handler.send_json({"status": "success", "data": data})


def test_prometheus_base_url_query_is_kept_before_the_api_parameters(pilot, owner, allow_loopback):
    promql = 'max(latency{job="claims api"}) + 1'
    routes = {
        "/prom/api/v1/query": prometheus_answer,
        "/prom/api/v1/query_range": prometheus_answer,
    }
    with http_server(routes) as (base, handler):
        source = pulls.source_create(
            pilot=pilot,
            by=owner,
            name="Tenant Prometheus",
            kind="prometheus",
            config={
                "base_url": f"{base}/prom/?{QUERY}",
                "step_seconds": 60,
                "queries": [{"metric": "p95_latency_ms", "query": promql}],
            },
        )
        first = pulls.source_pull(source_id=source.pk, now=NOW - timedelta(minutes=3))
        second = pulls.source_pull(source_id=source.pk, now=NOW)

    assert first.run.outcome == "ok" and second.run.outcome == "ok"
    paths = [seen["path"] for seen in handler.seen]
    # Instant query, then (second pull) instant and range query since the first pull.
    assert [urlsplit(p).path for p in paths] == [
        "/prom/api/v1/query",
        "/prom/api/v1/query",
        "/prom/api/v1/query_range",
    ]
    for path in paths:
        query = urlsplit(path).query
        assert query.startswith(QUERY + "&"), path
        added = dict(parse_qsl(query[len(QUERY) + 1 :]))
        assert added["query"] == promql
    assert set(dict(parse_qsl(urlsplit(paths[2]).query))) >= {"start", "end", "step"}
