"""Site-wide hardening: CSP, lockout, password rules, upload limits, token secrecy,
security logging of denials, throttling, and the API's single error shape."""

import hmac
import logging
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client, override_settings
from django.urls import path
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import authentication
from accounts.services import token_create, token_revoke
from config import throttling
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
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


# --- Content-Security-Policy --------------------------------------------------------


def csp_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("url", ["/accounts/login/", "/pilots/", "/api/docs/", "/nope/"])
def test_every_html_response_has_a_strict_csp(client_for, owner, url):
    response = client_for(owner).get(url)
    policy = csp_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]


def test_api_docs_page_has_no_inline_script_or_style(client):
    html = client.get("/api/docs/").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert "<style" not in html and "style=" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_base_template_turns_off_htmx_inline_indicator_styles(client):
    import json
    import re

    html = client.get("/accounts/login/").content.decode()
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)[1])
    assert config["includeIndicatorStyles"] is False
    # No history snapshots either: restoring one would put Plotly's inline styles back.
    assert config["historyCacheSize"] == 0 and config["refreshOnHistoryMiss"] is True


# --- login lockout, passwords -------------------------------------------------------


def test_login_locks_after_five_failures_even_with_the_right_password(owner):
    cache.clear()
    browser = Client()
    codes = [
        browser.post("/accounts/login/", {"username": "owner", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]  # the form again with an error, then locked
    response = browser.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert "_auth_user_id" not in browser.session


def test_lockout_is_per_username_and_address(owner, outsider):
    browser = Client()
    for _ in range(5):
        browser.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    other_address = Client(REMOTE_ADDR="10.9.8.7")
    response = other_address.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    response = browser.post("/accounts/login/", {"username": "outsider", "password": PASSWORD})
    assert response.status_code == 302


def test_api_tokens_keep_working_for_a_user_locked_out_of_the_login_form(owner):
    _, secret = token_create(by=owner, name="ci")
    for _ in range(6):
        Client().post("/accounts/login/", {"username": "owner", "password": "wrong"})
    assert bearer(secret).get("/api/pilots/").status_code == 200


def test_a_successful_login_before_the_limit_resets_the_count(owner):
    browser = Client()
    for _ in range(4):
        browser.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    assert (
        browser.post("/accounts/login/", {"username": "owner", "password": PASSWORD}).status_code
        == 302
    )
    browser.post("/accounts/logout/")
    for _ in range(4):
        browser.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    assert (
        browser.post("/accounts/login/", {"username": "owner", "password": PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("k3!xQ", "too short"),
        ("password123", "too common"),
        ("48291048571932", "entirely numeric"),
        ("owner1234", "too similar"),
    ],
)
def test_weak_passwords_are_refused(owner, password, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password, user=owner)


def test_password_change_form_refuses_a_common_password(client_for, owner):
    response = client_for(owner).post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"},
    )
    assert response.status_code == 200 and "too common" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


# --- upload size --------------------------------------------------------------------


def test_api_body_over_the_limit_is_413_in_the_error_shape(api_for, owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = {"name": "x" * 5000, "business_unit": "Sales"}
    response = api_for(owner).post("/api/pilots/", body, format="json")
    assert_error_shape(response, 413)


def test_form_post_over_the_limit_is_refused(client_for, owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = client_for(owner).post("/pilots/new/", {"name": "x" * 5000, "business_unit": "S"})
    assert response.status_code in (400, 413)


# --- tokens -------------------------------------------------------------------------


def test_token_check_uses_a_constant_time_comparison_even_for_unknown_prefixes(owner, monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(authentication.hmac, "compare_digest", spy)
    _, secret = token_create(by=owner, name="ci")
    assert bearer(secret).get("/api/pilots/").status_code == 200
    assert bearer("pgt_000000000000_" + "A" * 43).get("/api/pilots/").status_code == 401
    assert len(calls) == 2


def test_token_secret_never_reaches_any_log(owner, admin_user, pilot, caplog):
    caplog.set_level(logging.DEBUG)
    token, secret = token_create(by=owner, name="ci")
    api = bearer(secret)
    api.get("/api/pilots/")
    api.get(f"/api/pilots/{pilot.pk}/")
    api.get("/api/pilots/999999/")
    api.post("/api/pilots/", {"name": ""}, format="json")
    bearer(secret + "x").get("/api/pilots/")
    token_revoke(token=token, by=owner)
    api.get("/api/pilots/")
    bearer(f"{secret} extra").get("/api/pilots/")
    Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/pilots/")
    assert caplog.records, "the requests above should have logged something"
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert secret.split("_", 2)[2] not in text, record.getMessage()  # may hold "_"


# --- denials reach the security log -------------------------------------------------


class _Never(BasePermission):
    message = "Never."

    def has_permission(self, request, view):
        return False


class _DeniedView(APIView):
    permission_classes = [_Never]

    def get(self, request):
        return Response({})


class _HiddenView(APIView):
    def get(self, request):
        raise Http404("hidden")


def _page_forbidden(request):
    raise PermissionDenied("no")


def _page_hidden(request):
    raise Http404("no")


urlpatterns = [
    path("api/t/denied/", _DeniedView.as_view()),
    path("api/t/hidden/", _HiddenView.as_view()),
    path("t/forbidden/", _page_forbidden),
    path("t/hidden/", _page_hidden),
]
handler403 = "config.api_errors.permission_denied"
handler404 = "config.api_errors.page_not_found"


def security_records(caplog):
    return [r for r in caplog.records if r.name == "pilotgate.security"]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "status"),
    [("/api/t/denied/", 403), ("/api/t/hidden/", 404), ("/t/forbidden/", 403), ("/t/hidden/", 404)],
)
def test_denials_outside_the_rules_module_are_logged_once(
    api_for, client_for, outsider, caplog, url, status
):
    caller = api_for(outsider) if url.startswith("/api/") else client_for(outsider)
    response = caller.get(url)
    assert response.status_code == status
    if url.startswith("/api/"):
        assert_error_shape(response, status)
    records = security_records(caplog)
    assert len(records) == 1
    assert f"user={outsider.pk}" in records[0].getMessage() and url in records[0].getMessage()


def test_denial_from_the_rules_module_is_logged_exactly_once(api_for, executive, caplog):
    response = api_for(executive).post("/api/pilots/", {"name": "X", "business_unit": "S"})
    assert response.status_code == 403
    assert len(security_records(caplog)) == 1


def test_anonymous_requests_are_not_written_to_the_security_log(client, pilot, caplog):
    assert client.get(f"/api/pilots/{pilot.pk}/").status_code == 401
    assert security_records(caplog) == []


# --- throttling ---------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    rates = {"token": "3/min", "user": "5/min", "anon": "2/min", "snapshots": "2/min"}
    for throttle in (
        throttling.TokenRateThrottle,
        throttling.PerUserRateThrottle,
        AnonRateThrottle,
        throttling.AuthFailureThrottle,
    ):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {**rates, "auth_failures": "3/min"})
    cache.clear()
    yield rates
    cache.clear()


def test_token_over_its_budget_gets_429_with_retry_after(owner, low_rates):
    _, secret = token_create(by=owner, name="ci")
    api = bearer(secret)
    assert [api.get("/api/pilots/").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/api/pilots/")
    assert_error_shape(response, 429)
    assert int(response["Retry-After"]) > 0


def test_each_token_has_its_own_budget_within_the_users(owner, low_rates):
    _, first = token_create(by=owner, name="one")
    _, second = token_create(by=owner, name="two")
    codes = [bearer(first).get("/api/pilots/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    codes = [bearer(second).get("/api/pilots/").status_code for _ in range(2)]
    assert codes == [200, 429]  # the user's budget of 5 is spent across both tokens


def test_session_user_and_anonymous_callers_are_throttled(api_for, owner, low_rates):
    api = APIClient()
    api.force_login(owner)
    assert [api.get("/api/pilots/").status_code for _ in range(6)][-1] == 429
    # Anonymous callers of protected endpoints are refused (401) before throttling; the
    # public ones (the schema) have a budget per address.
    anon = APIClient()
    assert [anon.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]


BAD_TOKEN = "pgt_000000000000_" + "x" * 43


def test_failed_authentications_lock_the_address_with_429(pilot, low_rates):
    codes = [bearer(BAD_TOKEN).get("/api/pilots/").status_code for _ in range(3)]
    codes.append(APIClient().get("/api/pilots/").status_code)  # no credentials at all
    assert codes == [401, 401, 401, 429]
    response = bearer(BAD_TOKEN).get("/api/pilots/")
    assert_error_shape(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60


def test_anonymous_refusals_count_towards_the_lockout(pilot, low_rates):
    codes = [APIClient().get(f"/api/pilots/{pilot.pk}/").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_a_locked_address_refuses_even_a_good_token_it_has_not_seen(owner, low_rates):
    _, secret = token_create(by=owner, name="new client")
    for _ in range(3):
        bearer(BAD_TOKEN).get("/api/pilots/")
    assert bearer(secret).get("/api/pilots/").status_code == 429  # not even checked


def test_a_token_already_used_from_the_address_survives_someone_elses_failures(owner, low_rates):
    _, secret = token_create(by=owner, name="ci")
    assert bearer(secret).get("/api/pilots/").status_code == 200
    for _ in range(4):
        bearer(BAD_TOKEN).get("/api/pilots/")
    assert bearer(BAD_TOKEN).get("/api/pilots/").status_code == 429
    assert bearer(secret).get("/api/pilots/").status_code == 200
    session = APIClient()
    session.force_login(owner)
    assert session.get("/api/pilots/").status_code == 200  # a logged-in browser too


def test_failures_from_one_address_do_not_lock_another(owner, low_rates):
    for _ in range(4):
        bearer(BAD_TOKEN).get("/api/pilots/", REMOTE_ADDR="203.0.113.9")
    assert bearer(BAD_TOKEN).get("/api/pilots/", REMOTE_ADDR="203.0.113.9").status_code == 429
    assert bearer(BAD_TOKEN).get("/api/pilots/", REMOTE_ADDR="203.0.113.10").status_code == 401


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(owner, low_rates):
    codes = [
        bearer(BAD_TOKEN).get("/api/pilots/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_a_revoked_token_counts_as_a_failure(owner, low_rates):
    token, secret = token_create(by=owner, name="old")
    token_revoke(token=token, by=owner)
    codes = [bearer(secret).get("/api/pilots/").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


# --- one error shape, never 500 for client mistakes ---------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"name": "x", ', "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"name=x", "text/plain", 415),
        (b"<pilot/>", "application/xml", 415),
        (b'{"name": "a\\u0000b", "business_unit": "S"}', "application/json", 400),
        (b'{"name": "x", "business_unit": "S", "risk_tier": 1e999}', "application/json", 400),
        (b'{"name": ' + b"9" * 5000 + b', "business_unit": "S"}', "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'"just a string"', "application/json", 400),
        (b"null", "application/json", 400),
        (b'{"name": {"nested": [1]}, "business_unit": []}', "application/json", 400),
    ],
)
def test_malformed_api_input_is_4xx_in_the_error_shape(api_for, owner, body, content_type, status):
    response = api_for(owner).generic("POST", "/api/pilots/", body, content_type=content_type)
    assert_error_shape(response, status)


@pytest.mark.parametrize(
    "url",
    [
        "/api/pilots/abc/",
        "/api/pilots/99999999999999999999999/",
        "/api/pilots/-1/",
        "/api/pilots/%E2%9C%88/",
        "/api/nothing-here/",
    ],
)
def test_unknown_or_impossible_api_urls_are_json_404(api_for, owner, url):
    assert_error_shape(api_for(owner).get(url), 404)


@pytest.mark.parametrize(
    "query",
    ["q=%00", "page=%00", "stage=%00", "page=99999999999999999999", "page=-1", "q=✈️💥" * 50],
)
def test_odd_query_strings_never_crash(api_for, owner, pilot, query):
    response = api_for(owner).get(f"/api/pilots/?{query}")
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        assert_error_shape(response, response.status_code)


def test_unicode_and_html_are_stored_as_typed(api_for, owner):
    name = "Ünïcødé <script>alert(1)</script> 🚀"
    response = api_for(owner).post("/api/pilots/", {"name": name, "business_unit": "Sales"})
    assert response.status_code == 201
    assert response.json()["name"] == name


def test_null_byte_in_a_page_path_is_400(client_for, owner):
    assert client_for(owner).get("/pilots/?q=%00").status_code == 400


def test_unsupported_method_is_405_in_the_error_shape(api_for, owner, pilot):
    response = api_for(owner).delete(f"/api/pilots/{pilot.pk}/")
    assert_error_shape(response, 405)
    assert "Allow" in response


# --- pagination and filtering on every list -----------------------------------------


def test_page_size_is_capped(api_for, owner):
    response = api_for(owner).get("/api/pilots/?page_size=100000")
    assert response.status_code == 200
    assert set(response.json()) >= {"count", "next", "previous", "results"}


# Lists not yet paginated, each with its owner's reason; the test fails on any other.
UNPAGINATED: dict[str, str] = {
    "/api/webhooks/event-types/": "the event catalogue: a fixed list of types defined in code "
    "(outbox.catalog), a dozen or so, the same for everyone",
}


def test_every_list_operation_is_paginated_and_filterable(client):
    schema = client.get("/api/schema/?format=json").json()
    lists = []
    for route, item in schema["paths"].items():
        get = item.get("get")
        if not get or "{" in route.rstrip("/").rsplit("/", 1)[-1]:
            continue
        body = get["responses"]["200"]["content"]["application/json"]["schema"]
        ref = body.get("$ref", "")
        if ref.split("/")[-1].startswith("Paginated"):
            names = {p["name"] for p in get.get("parameters", [])}
            assert "page" in names, route
            assert names - {"page", "page_size", "format"}, f"{route} has no filters"
            lists.append(route)
        else:
            # Not a list: a single object or an aggregate, never a bare array.
            if route not in UNPAGINATED:
                assert body.get("type") != "array", f"{route} returns an unpaginated list"
    assert "/api/pilots/" in lists


@pytest.mark.parametrize(
    "query",
    [
        "status=",
        "status=paused",
        "mine=maybe",
        "page_size=0",
        "page_size=",
        "page=",
        "page=0",
        "page=x",
    ],
)
def test_filter_values_outside_the_schema_are_400(api_for, owner, query):
    response = api_for(owner).get(f"/api/pilots/?{query}")
    body = assert_error_shape(response, 400)
    assert query.split("=")[0] in body["errors"]


def test_blank_text_made_of_python_whitespace_is_refused(api_for, owner):
    response = api_for(owner).post("/api/pilots/", {"name": "X", "business_unit": "\x1e\x85 "})
    assert assert_error_shape(response, 400)["errors"].keys() == {"business_unit"}


def test_openapi_schema_validates_and_documents_the_error_shape_everywhere(client):
    from openapi_spec_validator import validate

    schema = client.get("/api/schema/?format=json").json()
    validate(schema)
    error = {"$ref": "#/components/schemas/Error"}
    operations = 0
    for item in schema["paths"].values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operations += 1
            for code in ("400", "401", "403", "404", "429"):
                content = operation["responses"][code]["content"]["application/json"]
                # A view may document a richer body of its own (a superset of the shape).
                assert content["schema"] == error or content["schema"].get("type") == "object"
            assert "Retry-After" in operation["responses"]["429"]["headers"]
            if method != "get":
                assert "409" in operation["responses"] and "413" in operation["responses"]
    assert operations >= 20


@pytest.mark.parametrize("url", ["/api/reviews/999999/", "/api/sources/999999/"])
def test_not_found_does_not_name_the_model(api_for, owner, url):
    body = assert_error_shape(api_for(owner).get(url), 404)
    assert body["message"] == "Not found."


def test_schema_errors_are_json_in_the_error_shape(client):
    response = client.get("/api/schema/?format=bogus")
    assert response["Content-Type"].startswith("application/json")
    assert_error_shape(response, 404)
