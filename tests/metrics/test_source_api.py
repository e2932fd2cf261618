"""API of pull sources: same rules as the pages, and the secret is write-only."""

import json

import pytest

from accounts.models import AuditEvent
from metrics.models import MetricSource
from metrics.pulls import dispatch

pytestmark = pytest.mark.django_db
SECRET = "api-secret-value-42"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    queued = []
    monkeypatch.setattr(dispatch, "_enqueue_pull", lambda source_id, **kw: queued.append(source_id))
    return queued


def payload(**overrides):
    data = {
        "name": "Prometheus",
        "kind": "prometheus",
        "config": {
            "base_url": "https://prom.example.com",
            "step_seconds": 60,
            "queries": [{"metric": "p95_latency_ms", "query": "max(lat)"}],
        },
        "interval_minutes": 5,
        "secret_header_name": "Authorization",
        "secret_header_value": SECRET,
    }
    data.update(overrides)
    return data


@pytest.fixture
def source(pilot, owner, api_for):
    response = api_for(owner).post(f"/api/pilots/{pilot.pk}/sources/", payload(), format="json")
    assert response.status_code == 201, response.content
    return MetricSource.objects.get(pk=response.json()["id"])


def test_owner_creates_a_source_and_never_gets_the_secret_back(source, pilot, owner, api_for):
    api = api_for(owner)
    listed = api.get(f"/api/pilots/{pilot.pk}/sources/")
    one = api.get(f"/api/sources/{source.pk}/")
    for body in (listed.content, one.content):
        assert SECRET.encode() not in body
    data = one.json()
    assert data["secret_set"] is True and "secret_header_value" not in data
    assert (
        data["status"] == "never_run" and data["config"]["base_url"] == "https://prom.example.com"
    )
    assert source.secret_header_value == SECRET


def test_patch_without_the_secret_keeps_it(source, owner, api_for):
    response = api_for(owner).patch(
        f"/api/sources/{source.pk}/", {"interval_minutes": 30}, format="json"
    )
    assert response.status_code == 200 and response.json()["interval_minutes"] == 30
    assert MetricSource.objects.get(pk=source.pk).secret_header_value == SECRET
    cleared = api_for(owner).patch(
        f"/api/sources/{source.pk}/", {"clear_secret": True}, format="json"
    )
    assert cleared.json()["secret_set"] is False
    assert SECRET not in json.dumps(list(AuditEvent.objects.values("before", "after")))


def test_bad_input_is_a_400_naming_the_field(pilot, owner, api_for):
    response = api_for(owner).post(
        f"/api/pilots/{pilot.pk}/sources/",
        payload(config={"base_url": "http://127.0.0.1:9090", "queries": []}),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "host name" in errors["config.base_url"][0] and "config.queries" in errors


def test_a_host_name_that_is_loopback_is_still_refused_by_the_ssrf_check(pilot, owner, api_for):
    config = {
        "base_url": "http://localhost:9090",
        "queries": [{"metric": "error_rate", "query": "x"}],
    }
    response = api_for(owner).post(
        f"/api/pilots/{pilot.pk}/sources/", payload(config=config), format="json"
    )
    assert response.status_code == 400
    assert "loopback" in response.json()["errors"]["base_url"][0]


def prometheus(base_url: str) -> dict:
    query = {"metric": "error_rate", "query": "x"}
    return {"kind": "prometheus", "config": {"base_url": base_url, "queries": [query]}}


def http_json(entry: dict) -> dict:
    return {"kind": "http_json", "config": {"url": "https://a.example.com", "metrics": [entry]}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": {"base_url": "https://p.example.com", "queries": []}}, "kind"),
        ({"kind": "prometheus"}, "config"),
        ({"interval_minutes": "5"}, "interval_minutes"),
        ({"kind": {}, "config": {}}, "kind"),
        ({"secret_header_name": ""}, "secret_header_name"),  # clear_secret removes it
        (prometheus("https://p.example.com/\x85"), "config.base_url"),  # ASCII only
        ({"enabled": 1}, "enabled"),
        ({"secret_header_value": "s", "secret_header_name": ""}, "secret_header_name"),
        ({"secret_header_name": "Host"}, "secret_header_name"),
        (http_json({"metric": "error_rate", "path": "$.a", "extra": 1}), "config.metrics[0]"),
        (http_json({"metric": "error_rate", "path": '$["\\q"]'}), "config.metrics[0].path"),
    ],
)  # fmt: skip
def test_a_change_outside_the_schema_is_400_naming_the_field(source, owner, api_for, body, field):
    response = api_for(owner).patch(f"/api/sources/{source.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert MetricSource.objects.get(pk=source.pk).config == payload()["config"]


def test_a_taken_name_is_409_and_pulling_a_disabled_source_is_409(source, pilot, owner, api_for):
    api = api_for(owner)
    again = api.post(f"/api/pilots/{pilot.pk}/sources/", payload(), format="json")
    assert again.status_code == 409 and "already has a source" in again.json()["message"]
    assert (
        api.patch(f"/api/sources/{source.pk}/", {"enabled": False}, format="json").status_code
        == 200
    )
    refused = api.post(f"/api/sources/{source.pk}/pull/")
    assert refused.status_code == 409 and "disabled" in refused.json()["message"]


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "outsider"])
def test_readers_get_health_only_and_403_on_writes(request, actor, source, api_for, _no_broker):
    api = api_for(request.getfixturevalue(actor))
    data = api.get(f"/api/sources/{source.pk}/").json()
    assert data["config"] is None and data["last_error"] is None and data["status"]
    assert (
        api.post(
            f"/api/pilots/{source.pilot_id}/sources/", payload(name="x"), format="json"
        ).status_code
        == 403
    )
    assert api.patch(f"/api/sources/{source.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/sources/{source.pk}/").status_code == 403
    assert api.post(f"/api/sources/{source.pk}/pull/").status_code == 403
    assert _no_broker == [] and MetricSource.objects.get(pk=source.pk).name == "Prometheus"


def test_hidden_pilot_sources_are_404(confidential_pilot, owner, outsider, api_for):
    created = api_for(owner).post(
        f"/api/pilots/{confidential_pilot.pk}/sources/", payload(), format="json"
    )
    api = api_for(outsider)
    pk = created.json()["id"]
    assert api.get(f"/api/pilots/{confidential_pilot.pk}/sources/").status_code == 404
    assert api.get(f"/api/sources/{pk}/").status_code == 404
    assert api.post(f"/api/sources/{pk}/pull/").status_code == 404
    assert api.delete(f"/api/sources/{pk}/").status_code == 404


def test_pull_now_answers_202_and_delete_204(
    source, owner, api_for, django_capture_on_commit_callbacks, _no_broker
):
    api = api_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/sources/{source.pk}/pull/").status_code == 202
    assert _no_broker == [source.pk]
    assert api.delete(f"/api/sources/{source.pk}/").status_code == 204
    assert not MetricSource.objects.exists()


def test_schema_documents_the_source_endpoints(owner, api_for):
    schema = api_for(owner).get("/api/schema/", {"format": "json"}).json()
    assert "/api/pilots/{pilot_pk}/sources/" in schema["paths"]
    assert "/api/sources/{id}/pull/" in schema["paths"]


def test_the_source_list_is_paginated_and_filtered(source, pilot, owner, executive, api_for):
    api = api_for(owner)
    second = payload(name="Second", enabled=False, secret_header_name="", secret_header_value="")
    assert api.post(f"/api/pilots/{pilot.pk}/sources/", second, format="json").status_code == 201
    page = api.get(f"/api/pilots/{pilot.pk}/sources/?page_size=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    assert page["results"][0]["config"]["base_url"] == "https://prom.example.com"
    disabled = api.get(f"/api/pilots/{pilot.pk}/sources/?enabled=false").json()
    assert [s["name"] for s in disabled["results"]] == ["Second"]
    assert api.get(f"/api/pilots/{pilot.pk}/sources/?kind=http_json").json()["count"] == 0
    assert api.get(f"/api/pilots/{pilot.pk}/sources/?kind=ftp").status_code == 400
    as_reader = api_for(executive).get(f"/api/pilots/{pilot.pk}/sources/").json()
    assert {s["config"] for s in as_reader["results"]} == {None}


def test_a_change_without_a_body_is_400(source, owner, api_for):
    response = api_for(owner).generic("PATCH", f"/api/sources/{source.pk}/")
    assert response.status_code == 400
    assert api_for(owner).patch(f"/api/sources/{source.pk}/", {}, format="json").status_code == 200
