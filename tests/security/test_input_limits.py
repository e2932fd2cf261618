"""Bounds and limits of the API (SECURITY.md, "Bounds and limits"): throttles that are
configured are applied, and hostile shapes of input (deep JSON, long query strings, odd
time offsets) get a 4xx in the API's error shape, never a 500 or a server's HTML page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
