"""The HTTP JSON connector against a real local HTTP server."""

import time
from datetime import UTC, datetime

import pytest

from metrics.connectors import ConnectorError, Point, http_json
from metrics.connectors.http import fetch
from metrics.connectors.jsonpath import PathError, parse_path, resolve
from metrics.connectors.safety import UnsafeURL
from tests.metrics.pull_servers import http_server

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LOOPBACK = ["127.0.0.1"]


def doc_route(document):
    return lambda handler: handler.send_json(document)


def slow(handler):
    time.sleep(2)
    handler.send_json({"value": 1})


def drip(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    for _ in range(40):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.1)


def big_without_length(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    for _ in range(64):
        handler.wfile.write(b"[" + b"1," * 8000 + b"1]")


STATUS = {
    "generated_at": "2026-11-26T11:59:00Z",
    "latency": {"p95": 412.5},
    "uptime": "99.95",
    "series": {"errors": [[1795690000, 0.01], ["2026-11-26T11:00:00+00:00", 0.02]]},
    "adoption": [{"day": "2026-11-25T00:00:00Z", "share": 0.4}],
}


@pytest.fixture
def server():
    routes = {
        "/status": doc_route(STATUS),
        "/slow": slow,
        "/drip": drip,
        "/fail": lambda h: h.send_json({"error": "boom"}, status=500),
        "/forbidden": lambda h: h.send_json({"error": "no"}, status=403),
        "/big": lambda h: h._send(200, b"[" + b"1," * 600_000 + b"1]"),
        "/big-stream": big_without_length,
        "/malformed": lambda h: h._send(200, b'{"value": 1', "text/html"),
        "/to-private": lambda h: h._send(302, b"", headers={"Location": "http://10.0.0.5/x"}),
        "/to-metadata": lambda h: h._send(
            301, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"}
        ),
        "/hop": lambda h: h._send(302, b"", headers={"Location": "/status"}),
    }
    with http_server(routes) as (base, handler):
        yield base, handler


CONFIG_METRICS = [
    {"metric": "p95_latency_ms", "path": "$.latency.p95", "time_path": "$.generated_at"},
    {"metric": "uptime_pct", "path": "uptime"},
    {"metric": "error_rate", "path": '$.series["errors"]'},
    {"metric": "adoption_rate", "path": "$.adoption", "time_key": "day", "value_key": "share"},
]


def test_pull_reads_single_values_and_point_lists(server):
    base, _ = server
    result = http_json.pull(
        {"url": f"{base}/status", "metrics": CONFIG_METRICS}, now=NOW, allow_hosts=LOOPBACK
    )
    assert result.problems == []
    assert result.points == [
        Point("p95_latency_ms", datetime(2026, 11, 26, 11, 59, tzinfo=UTC), 412.5),
        Point("uptime_pct", NOW, 99.95),
        Point("error_rate", datetime.fromtimestamp(1795690000, tz=UTC), 0.01),
        Point("error_rate", datetime(2026, 11, 26, 11, 0, tzinfo=UTC), 0.02),
        Point("adoption_rate", datetime(2026, 11, 25, tzinfo=UTC), 0.4),
    ]


def test_unreadable_points_are_reported_and_the_rest_kept():
    document = {
        "a": [
            [1795690000, 1],
            [1795690060, "NaN"],
            ["2026-11-26T11:00:00", 2],
            "x",
            [1795690120, 3],
        ],
        "b": {"nested": True},
    }
    result = http_json.extract(
        document,
        [
            {"metric": "a", "path": "a"},
            {"metric": "b", "path": "b.nested"},
            {"metric": "c", "path": "c"},
        ],
        now=NOW,
    )
    assert [p.value for p in result.points] == [1.0, 3.0]
    assert result.problems == [
        "a: item [1] value 'NaN' is not a finite number",
        "a: item [2] time '2026-11-26T11:00:00' has no time zone; add Z or an offset like +01:00",
        "a: item [3] is neither [time, value] nor an object",
        "b: value True is not a number",
        "c: $ has no key 'c'",
    ]


def test_secret_header_is_sent_and_host_header_kept(server):
    base, handler = server
    port = base.rsplit(":", 1)[1]
    http_json.pull(
        {"url": f"http://status.internal.test:{port}/status", "metrics": CONFIG_METRICS},
        now=NOW,
        secret_header=("X-Api-Key", "s3cr3t-value"),
        allow_hosts=["status.internal.test"],
        resolver=lambda host, p: ["127.0.0.1"],  # pinned address, Host header keeps the name
    )
    seen = handler.seen[-1]["headers"]
    assert seen["X-Api-Key"] == "s3cr3t-value"
    assert seen["Host"] == f"status.internal.test:{port}"


def test_resolution_happens_once_so_rebinding_cannot_switch_the_address(server):
    base, handler = server
    port = base.rsplit(":", 1)[1]
    lookups = []

    def resolver(host, p):
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.9.9.9"]

    fetch(f"http://rebind.test:{port}/status", allow_hosts=["rebind.test"], resolver=resolver)
    assert lookups == ["rebind.test"] and len(handler.seen) == 1


def test_slow_server_times_out_as_a_transient_error(server):
    base, _ = server
    started = time.monotonic()
    with pytest.raises(ConnectorError, match="did not answer within 0.5 s") as caught:
        fetch(f"{base}/slow", timeout=0.5, allow_hosts=LOOPBACK)
    assert caught.value.transient and time.monotonic() - started < 1.9


def test_server_dripping_bytes_hits_the_overall_deadline(server):
    base, _ = server
    started = time.monotonic()
    with pytest.raises(ConnectorError, match="took longer than") as caught:
        fetch(f"{base}/drip", timeout=0.5, allow_hosts=LOOPBACK)
    assert caught.value.transient and time.monotonic() - started < 2.5


def test_server_error_is_transient_and_client_error_is_not(server):
    base, _ = server
    with pytest.raises(ConnectorError, match="HTTP 500") as caught:
        fetch(f"{base}/fail", allow_hosts=LOOPBACK)
    assert caught.value.transient
    with pytest.raises(ConnectorError, match="HTTP 403. Check the secret header") as caught:
        fetch(f"{base}/forbidden", allow_hosts=LOOPBACK)
    assert not caught.value.transient


@pytest.mark.parametrize("route", ["/big", "/big-stream"])
def test_oversized_answer_is_cut_off(server, route):
    base, _ = server
    with pytest.raises(ConnectorError, match="the limit is 100,000|more than 100,000 bytes"):
        fetch(f"{base}{route}", max_bytes=100_000, allow_hosts=LOOPBACK)


def test_malformed_json_is_a_clear_error(server):
    base, _ = server
    with pytest.raises(ConnectorError, match="did not answer valid JSON .content type text/html"):
        http_json.pull(
            {"url": f"{base}/malformed", "metrics": CONFIG_METRICS}, now=NOW, allow_hosts=LOOPBACK
        )


@pytest.mark.parametrize(
    ("route", "reason"), [("/to-private", "private"), ("/to-metadata", "link-local")]
)
def test_redirect_to_an_internal_address_is_refused(server, route, reason):
    base, handler = server
    with pytest.raises(UnsafeURL, match=reason):
        fetch(f"{base}{route}", allow_hosts=LOOPBACK)
    assert len(handler.seen) == 1


def test_safe_redirect_is_followed(server):
    base, _ = server
    result = http_json.pull(
        {"url": f"{base}/hop", "metrics": CONFIG_METRICS[:1]}, now=NOW, allow_hosts=LOOPBACK
    )
    assert result.points[0].value == 412.5


def test_secret_is_not_forwarded_to_another_host(server):
    base, handler = server
    port = base.rsplit(":", 1)[1]
    routes = handler.routes
    routes["/elsewhere"] = lambda h: h._send(
        302, b"", headers={"Location": f"http://localhost:{port}/status"}
    )
    fetch(
        f"{base}/elsewhere",
        secret_headers={"X-Api-Key": "s3cr3t-value"},
        allow_hosts=["127.0.0.1", "localhost"],
    )
    assert handler.seen[0]["headers"]["X-Api-Key"] == "s3cr3t-value"
    assert "X-Api-Key" not in handler.seen[1]["headers"]


def test_loopback_is_refused_without_the_allow_list(server, settings):
    base, handler = server
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = []
    with pytest.raises(UnsafeURL, match="loopback"):
        http_json.pull({"url": f"{base}/status", "metrics": CONFIG_METRICS}, now=NOW)
    assert handler.seen == []


def test_errors_never_carry_the_secret_or_query(server):
    base, _ = server
    with pytest.raises(ConnectorError) as caught:
        fetch(
            f"{base}/fail?token=hunter2",
            secret_headers={"Authorization": "Bearer hunter2"},
            allow_hosts=LOOPBACK,
        )
    assert "hunter2" not in caught.value.message


def test_nothing_readable_fails_the_pull(server):
    base, _ = server
    with pytest.raises(ConnectorError, match="No metric could be read: x: \\$ has no key"):
        http_json.pull(
            {"url": f"{base}/status", "metrics": [{"metric": "x", "path": "$.missing"}]},
            now=NOW,
            allow_hosts=LOOPBACK,
        )


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", []),
        ("$.a.b", ["a", "b"]),
        ("a[0].b-c", ["a", 0, "b-c"]),
        ('$["p95 latency"][-1]', ["p95 latency", -1]),
        ('$["quote \\" inside"]', ['quote " inside']),
    ],
)
def test_path_syntax(path, steps):
    assert parse_path(path) == steps


@pytest.mark.parametrize("path", ["$.a..b", "$[x]", "$.a[", "$.*"])
def test_bad_paths_name_the_position(path):
    with pytest.raises(PathError, match="cannot be read at position"):
        parse_path(path)


@pytest.mark.parametrize("path", ['$["\\q"]', '$["\\u12"]'])
def test_a_quoted_key_with_a_bad_escape_is_a_path_error_not_a_crash(path):
    with pytest.raises(PathError, match="not a JSON string"):
        parse_path(path)


def test_resolve_says_which_step_found_nothing():
    with pytest.raises(PathError, match=r"\$.a has no item \[3\]"):
        resolve({"a": [1]}, "$.a[3]")


def test_config_validation_names_fields():
    assert http_json.validate_config({"url": "", "metrics": []}) == {
        "url": ["Give the URL to pull."],
        "metrics": ["Name at least one metric and its path."],
    }
    errors = http_json.validate_config(
        {"url": "http://x", "metrics": [{"metric": "a", "path": "$..a"}]}
    )
    assert "Line 1" in errors["metrics"][0]
