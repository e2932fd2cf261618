"""Bounds and limits of the API (SECURITY.md, "Bounds and limits"): throttles that are
configured are applied, and hostile shapes of input (deep JSON, long query strings, odd
time offsets) get a 4xx in the API's error shape, never a 500 or a server's HTML page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from accounts.services import token_create
from config import throttling

pytestmark = pytest.mark.django_db


def bearer(user) -> APIClient:
    _, secret = token_create(by=user, name="limits")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "errors"} and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def snapshot_rows(pilot, n: int = 2, start: datetime | None = None) -> list[dict]:
    start = start or datetime.now(UTC) - timedelta(hours=1)
    return [
        {
            "pilot": pilot.pk,
            "metric": "error_rate",
            "observed_at": (start + timedelta(seconds=i)).isoformat(),
            "value": 1.0,
        }
        for i in range(n)
    ]


# --- throttles ----------------------------------------------------------------------


@pytest.fixture
def snapshot_rate(monkeypatch):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "snapshots": "2/min"}
    for throttle in (
        throttling.TokenRateThrottle,
        throttling.PerUserRateThrottle,
        AnonRateThrottle,
        ScopedRateThrottle,
    ):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_snapshot_pushes_over_their_budget_get_429_with_retry_after(owner, pilot, snapshot_rate):
    api = bearer(owner)
    codes = [
        api.post("/api/snapshots/", snapshot_rows(pilot), format="json").status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    response = api.post("/api/snapshots/", snapshot_rows(pilot), format="json")
    assert_error_shape(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    # The push budget is its own: the same token still reads.
    assert api.get("/api/pilots/").status_code == 200


def test_the_snapshot_budget_is_per_user_across_tokens_and_sessions(owner, pilot, snapshot_rate):
    for _ in range(2):
        response = bearer(owner).post("/api/snapshots/", snapshot_rows(pilot), format="json")
        assert response.status_code == 200
    session = APIClient()
    session.force_login(owner)
    response = session.post("/api/snapshots/", snapshot_rows(pilot), format="json")
    assert_error_shape(response, 429)


def _views(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            yield getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def test_every_configured_throttle_rate_is_applied_somewhere():
    """A rate in the settings that no throttle uses is a limit that is documented but
    not enforced (API_RATE_SNAPSHOTS was, until it was attached to the push view)."""
    framework = settings.REST_FRAMEWORK
    rates = set(framework["DEFAULT_THROTTLE_RATES"])
    classes = [import_string(path) for path in framework["DEFAULT_THROTTLE_CLASSES"]]
    applied = {cls.scope for cls in classes if getattr(cls, "scope", None)}
    # The failed-authentication budget is checked by the first authentication class.
    assert (
        "accounts.authentication.AuthFailureLockout"
        in framework["DEFAULT_AUTHENTICATION_CLASSES"][:1]
    )
    applied.add(throttling.AuthFailureThrottle.scope)
    view_scopes = {
        view.throttle_scope for view in _views() if getattr(view, "throttle_scope", None)
    }
    assert ScopedRateThrottle in classes
    assert view_scopes <= rates, "a view names a scope without a rate"
    assert rates == applied | view_scopes
    assert "snapshots" in view_scopes


# --- JSON depth -----------------------------------------------------------------------

DEEP = ("[" * 1000 + "]" * 1000).encode()  # about 2 KB, what outside testers sent
DEEP_OBJECT = ('{"a":' * 1000 + "1" + "}" * 1000).encode()
JUST_TOO_DEEP = ("[" * 33 + "]" * 33).encode()  # one level past the default limit of 32


@pytest.fixture
def json_targets(admin_user, pilot):
    """One object of each kind a JSON endpoint writes to, as the admin may reach it."""
    from django.utils import timezone

    from gates.models import CriteriaVersion, Review, Waiver
    from metrics.models import MetricSource

    review = Review.objects.create(
        pilot=pilot,
        from_stage="discovery",
        to_stage="pilot",
        criteria_version=CriteriaVersion.objects.filter(gate__from_stage="discovery").first(),
        requested_by=admin_user,
    )
    waiver = Waiver.objects.create(
        pilot=pilot,
        criterion_key="strategy_complete",
        justification="Limits waiver",
        expires_at=timezone.now() + timedelta(days=7),
        granted_by=admin_user,
    )
    source = MetricSource.objects.create(
        pilot=pilot,
        kind="http_json",
        name="Limits source",
        config={"url": "https://metrics.example.com/x", "metrics": {}},
        created_by=admin_user,
    )
    from accounts.models import PilotRole
    from inventory.models import AIModel, Dataset, Vendor
    from inventory.services import prompt_create
    from webhooks.models import Delivery, Subscription, new_secret

    # An owner's writes too (checklists, the regulatory profile): the body is read once the
    # caller may write (403 before 400).
    PilotRole.objects.create(pilot=pilot, user=admin_user, role="technical_owner")
    vendor = Vendor.objects.create(name="Limits vendor")
    subscription = Subscription.objects.create(
        url="https://93.184.215.14/hook", event_types=["alert.opened"], secret=new_secret(),
        created_by=admin_user,
    )  # fmt: skip
    delivery = Delivery.objects.create(
        subscription=subscription, message_id="msg_limits", event_type="webhook.ping",
        body={"type": "webhook.ping"},
    )  # fmt: skip
    return {
        "pilots": pilot.pk,
        "reviews": review.pk,
        "waivers": waiver.pk,
        "sources": source.pk,
        "obligations": "fria",
        "vendors": vendor.pk,
        "models": AIModel.objects.create(provider="P", name="Limits", version="1").pk,
        "datasets": Dataset.objects.create(name="Limits data").pk,
        "prompts": prompt_create(by=admin_user, identifier="limits", content="Hi").pk,
        "subscriptions": subscription.pk,
        "deliveries": delivery.pk,
        "changes": 1,
        "checklists": "nist_ai_rmf",
    }


def _json_operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/schema/?format=json").json()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def _concrete(path: str, targets: dict) -> str:
    parts = path.strip("/").split("/")
    for position, part in enumerate(parts):
        if part == "{phase}":
            parts[position] = "strategy"
        elif part.startswith("{"):
            collection = "pilots" if part == "{pilot_pk}" else parts[position - 1]
            parts[position] = str(targets[collection])
    return "/" + "/".join(parts) + "/"


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, JUST_TOO_DEEP], ids=["list", "object", "33"])
def test_deeply_nested_json_is_400_on_every_json_endpoint(client, admin_user, json_targets, body):
    operations = _json_operations(client)
    assert len(operations) >= 10  # every write of the API, from the schema
    api = APIClient()
    api.force_authenticate(admin_user)
    for method, path in operations:
        url = _concrete(path, json_targets)
        response = api.generic(method, url, body, content_type="application/json")
        answer = assert_error_shape(response, 400)
        assert "nested too deeply" in answer["message"], (method, url, answer)


def test_json_at_the_depth_limit_is_parsed(admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    body = ("[" * 32 + "]" * 32).encode()
    response = api.generic("POST", "/api/pilots/", body, content_type="application/json")
    answer = assert_error_shape(response, 400)  # a list is not a pilot, but it was read
    assert "nested" not in answer["message"]


def test_a_deep_json_criterion_parameter_is_a_form_error():
    from gates.forms import CriterionForm

    form = CriterionForm(
        data={"key": "k", "label": "L", "kind": "field_present", "params": DEEP.decode()}
    )
    assert not form.is_valid()
    assert "nested too deeply" in form.errors["params"][0]


def test_a_pulled_document_nested_too_deeply_fails_the_pull_with_a_reason():
    from metrics.connectors import ConnectorError, http_json
    from tests.metrics.pull_servers import http_server

    with http_server({"/deep": lambda handler: handler._send(200, DEEP)}) as (base, _):
        config = {"url": f"{base}/deep", "metrics": [{"metric": "error_rate", "path": "$[0]"}]}
        with pytest.raises(ConnectorError, match="nested too deeply"):
            http_json.pull(config, now=datetime.now(UTC), allow_hosts=["127.0.0.1"])


# --- RFC 3339 offsets -------------------------------------------------------------------

# Offsets RFC 3339 allows beyond PostgreSQL's +/-15:59, and the instant each names.
WIDE_OFFSETS = [
    ("2026-11-26T09:30:00+23:59", datetime(2026, 11, 25, 9, 31, tzinfo=UTC)),
    ("2026-11-26T09:30:00-23:59", datetime(2026, 11, 27, 9, 29, tzinfo=UTC)),
    ("2026-11-26T09:30:00+16:00", datetime(2026, 11, 25, 17, 30, tzinfo=UTC)),
    ("2026-11-26t09:30:00-00:00", datetime(2026, 11, 26, 9, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("text", "instant"), WIDE_OFFSETS)
def test_series_filters_accept_every_rfc3339_offset_as_utc(api_for, owner, pilot, text, instant):
    url = f"/api/pilots/{pilot.pk}/metrics/"
    response = api_for(owner).get(url, {"metric": "error_rate", "since": text, "until": text})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["since"] == body["until"] == instant.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("since", "0001-01-01T00:00:00+23:59"),
        ("until", "9999-12-31T23:59:59-23:59"),
        ("since", "2026-11-26T09:30:00+24:00"),
    ],
)
def test_series_filters_outside_utc_or_rfc3339_name_the_parameter(
    api_for, owner, pilot, name, text
):
    url = f"/api/pilots/{pilot.pk}/metrics/"
    response = api_for(owner).get(url, {"metric": "error_rate", name: text})
    body = assert_error_shape(response, 400)
    assert list(body["errors"]) == [name]


def test_pushed_rows_with_wide_offsets_are_stored_in_utc(owner, pilot, snapshot_rate):
    from metrics.models import Snapshot

    now = datetime.now(UTC).replace(microsecond=0)
    offsets = [timezone(timedelta(hours=23, minutes=59)), timezone(-timedelta(hours=20))]
    rows = [
        {
            "pilot": pilot.pk,
            "metric": "error_rate",
            "observed_at": (now - timedelta(days=days)).astimezone(offset).isoformat(),
            "value": float(days),
        }
        for days, offset in zip((2, 1), offsets, strict=True)
    ]
    response = bearer(owner).post("/api/snapshots/", rows, format="json")
    assert response.status_code == 200, response.content[:500]
    stored = sorted(Snapshot.objects.values_list("observed_at", flat=True))
    assert stored == [now - timedelta(days=2), now - timedelta(days=1)]


def test_a_waiver_expiry_with_a_wide_offset_is_stored_in_utc(client_for, governance_lead, pilot):
    from gates.models import Waiver

    day = (datetime.now(UTC) + timedelta(days=30)).date()
    response = client_for(governance_lead).post(
        f"/gates/pilots/{pilot.pk}/waivers/new/",
        {
            "criterion_keys": ["strategy_complete"],
            "justification": "Offsets",
            "expires_at": f"{day.isoformat()}T00:00:00+23:00",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    waiver = Waiver.objects.get(pilot=pilot)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert waiver.expires_at == midnight - timedelta(hours=23)


def test_a_pulled_time_outside_utc_is_a_problem_of_that_point_not_a_crash():
    from metrics.connectors.values import ValueProblem, parse_time

    assert parse_time("2026-11-26T09:30:00+23:59") == datetime(2026, 11, 25, 9, 31, tzinfo=UTC)
    with pytest.raises(ValueProblem, match="years 1 to 9999"):
        parse_time("0001-01-01T00:00:00+01:00")


# --- security headers on answers given before any view ----------------------------------

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def assert_security_headers(response) -> None:
    missing = [name for name in SECURITY_HEADERS if not response.has_header(name)]
    assert missing == [], (response.status_code, missing)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/api/pilots/", "/static/css/pilotgate.css", "/nope/"]
)
def test_http_to_https_redirects_carry_the_security_headers(url):
    from django.test import Client, override_settings

    with override_settings(SECURE_SSL_REDIRECT=True):
        response = Client().get(url, {"q": "x"})
    assert response.status_code == 301
    assert response["Location"].startswith("https://testserver/")
    assert_security_headers(response)


@pytest.mark.parametrize(
    "url", ["/static/css/pilotgate.css", "/pilots/?q=%00", "/api/pilots/?q=%00", "/healthz"]
)
def test_answers_given_before_any_view_carry_the_security_headers(url):
    from django.test import Client

    assert_security_headers(Client().get(url))


# --- the schema describes every list ------------------------------------------------------


def _arrays(node, path="#"):
    if isinstance(node, dict):
        if node.get("type") == "array":
            yield path, node
        for key, value in node.items():
            yield from _arrays(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _arrays(value, f"{path}/{index}")


def test_every_list_in_the_api_schema_describes_its_items(client):
    schema = client.get("/api/schema/?format=json").json()
    arrays = list(_arrays(schema))
    assert len(arrays) > 10
    assert [path for path, array in arrays if not array.get("items")] == []


def test_snapshot_rows_are_described_exactly(client, pilot):
    schema = client.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/snapshots/"]["post"]["requestBody"]["content"]
    envelope, rows = body["application/json"]["schema"]["oneOf"][::-1]
    assert envelope["properties"]["rows"]["items"] == rows["items"]
    row = rows["items"]
    assert row["type"] == "object"
    assert set(row["required"]) == {"pilot", "metric", "observed_at", "value"}
    properties = row["properties"]
    assert properties["pilot"]["type"] == "integer" and properties["pilot"]["minimum"] == 1
    assert "error_rate" in properties["metric"]["enum"]
    assert properties["observed_at"] == {**properties["observed_at"], "format": "date-time"}
    assert properties["value"]["type"] == "number"


# --- query length -------------------------------------------------------------------------


def test_a_query_string_over_the_limit_is_414_in_the_error_shape(api_for, owner):
    limit = settings.PILOTGATE_MAX_QUERY_BYTES
    assert limit == 4096
    api = api_for(owner)
    at_limit = "q=" + "x" * (limit - 2)
    assert api.get(f"/api/pilots/?{at_limit}").status_code == 200
    response = api.get(f"/api/pilots/?{at_limit}x")
    body = assert_error_shape(response, 414)
    assert "4,096" in body["message"]
    assert_security_headers(response)


def test_a_page_with_a_query_string_over_the_limit_is_414(client_for, owner):
    response = client_for(owner).get("/pilots/?q=" + "x" * 5000)
    assert response.status_code == 414
    assert_security_headers(response)


def _serve(command: list[str], env: dict) -> tuple:
    import os
    import socket
    import subprocess
    import time

    from tests.security.live import ROOT, _free_port

    port = _free_port()
    process = subprocess.Popen(
        [part.replace("PORT", str(port)) for part in command],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(150):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def _stop(process) -> None:
    import os
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


@pytest.mark.parametrize("server", ["gunicorn", "runserver"])
def test_long_query_strings_get_json_from_every_way_of_running(server, tmp_path):
    """Under gunicorn (make up, Docker) and runserver (make run), before any database
    access: the application's 414 from 4 KB, and gunicorn's own refusal past its
    request-line limit, both in the API's error shape."""
    import sys

    import httpx

    env = {"PILOTGATE_VAR_DIR": str(tmp_path), "DJANGO_ENV": "development", "DEBUG": "0"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env[name] = ""
    if server == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        command += ["--bind", "127.0.0.1:PORT", "--workers", "1"]
        lengths = [5000, 8000, 9000, 20000]
    else:
        command = [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:PORT"]
        lengths = [5000, 9000, 60000]
    process, base = _serve(command, env)
    try:
        for length in lengths:
            response = httpx.get(f"{base}/api/pilots/?q=" + "x" * length, timeout=10)
            assert response.status_code == 414, (length, response.text[:300])
            assert response.headers["content-type"].startswith("application/json"), length
            body = response.json()
            assert set(body) == {"message", "errors"} and body["message"]
            assert response.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    finally:
        _stop(process)


def test_schema_links_lead_from_created_objects_to_what_can_be_done_with_them(client):
    schema = client.get("/api/schema/?format=json").json()
    operations = {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    links = {
        (source, name): link
        for source, operation in operations.items()
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    }
    assert len(links) >= 40
    for (source, name), link in links.items():
        target = operations[link["operationId"]]
        path_parameters = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) <= path_parameters, (source, name)
    created = {source for source, _ in links}
    assert {"pilots_create", "pilots_reviews_create", "pilots_sources_create"} <= created
