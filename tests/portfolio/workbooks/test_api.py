from datetime import date, timedelta

import pytest

from accounts.models import AuditEvent, PilotRole
from portfolio.workbooks import models as m
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def api_url(pilot, phase="strategy"):
    return f"/api/pilots/{pilot.pk}/workbooks/{phase}/"


def test_get_returns_fields_nested_lists_and_economic_case(pilot, owner, executive, api_for):
    m.StrategyWorkbook.objects.create(pilot=pilot, kpi="K", business_owner=owner, annual_volume=10)
    m.SuccessMetric.objects.create(pilot=pilot, metric_id="error_rate", baseline=5, target=2)
    body = api_for(executive).get(api_url(pilot)).json()
    assert body["phase"] == "strategy" and body["kpi"] == "K"
    assert body["business_owner"] == "owner" and body["annual_volume"] == "10"
    assert body["success_metrics"][0]["metric"] == "error_rate"
    assert body["success_metrics"][0]["target"] == 2.0
    assert body["economic_case"]["payback_label"] == "never"
    assert "delivery lead" in body["missing"] and body["complete"] is False


def test_unknown_phase_is_404_and_hidden_pilot_is_404(pilot, confidential_pilot, outsider, api_for):
    assert api_for(outsider).get(api_url(pilot, "nope")).status_code == 404
    assert api_for(outsider).get(api_url(confidential_pilot)).status_code == 404
    assert (
        api_for(outsider)
        .patch(api_url(confidential_pilot), {"kpi": "x"}, format="json")
        .status_code
        == 404
    )


def test_readers_may_not_write(pilot, outsider, executive, governance_lead, api_for):
    for user in (outsider, executive, governance_lead):
        response = api_for(user).patch(api_url(pilot), {"kpi": "x"}, format="json")
        assert response.status_code == 403
        assert response.json()["message"]
    assert not m.StrategyWorkbook.objects.exists()


def test_anonymous_gets_401_or_403(pilot, api_for):
    assert api_for(None).get(api_url(pilot)).status_code in (401, 403)


def test_patch_changes_only_what_is_sent_and_audits_it(pilot, owner, api_for):
    m.StrategyWorkbook.objects.create(pilot=pilot, kpi="Old", why_now="Because")
    response = api_for(owner).patch(
        api_url(pilot),
        {"kpi": "New", "delivery_lead": "owner", "economic_case": {"ignored": True}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    workbook = m.StrategyWorkbook.objects.get(pilot=pilot)
    assert (workbook.kpi, workbook.why_now, workbook.delivery_lead) == ("New", "Because", owner)
    event = AuditEvent.objects.get(action="workbook.update")
    assert event.before == {"phase": "strategy", "kpi": "Old", "delivery_lead": None}
    assert event.after == {"phase": "strategy", "kpi": "New", "delivery_lead": "owner"}


def test_put_replaces_fields_and_lists(pilot, owner, api_for):
    m.StrategyWorkbook.objects.create(pilot=pilot, kpi="Old", why_now="Because")
    m.SuccessMetric.objects.create(pilot=pilot, metric_id="error_rate", baseline=5, target=2)
    body = {
        "kpi": "New",
        "success_metrics": [{"metric": "uptime_pct", "baseline": 95, "target": 99}],
    }
    response = api_for(owner).put(api_url(pilot), body, format="json")
    assert response.status_code == 200, response.json()
    workbook = m.StrategyWorkbook.objects.get(pilot=pilot)
    assert workbook.kpi == "New" and workbook.why_now == ""
    assert [r.metric_id for r in m.SuccessMetric.objects.filter(pilot=pilot)] == ["uptime_pct"]
    assert response.json()["success_metrics"][0]["metric"] == "uptime_pct"


def test_get_then_put_round_trips_unchanged(pilot, owner, api_for):
    api = api_for(owner)
    soon = (date.today() + timedelta(days=10)).isoformat()
    api.patch(
        api_url(pilot),
        {
            "kpi": "K",
            "expected_annual_benefit": 1000,
            "stop_conditions": [
                {"metric": "error_rate", "threshold": 9, "by_date": soon, "action": "end"}
            ],
        },
        format="json",
    )
    before = AuditEvent.objects.count()
    body = api.get(api_url(pilot)).json()
    assert api.put(api_url(pilot), body, format="json").status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"annual_volume": -1}, "annual_volume"),
        ({"annual_volume": "many"}, "annual_volume"),
        ({"cost_per_transaction": "NaN"}, "cost_per_transaction"),
        ({"loaded_hourly_cost": "Infinity"}, "loaded_hourly_cost"),
        ({"human_review_rate_pct": 101}, "human_review_rate_pct"),
        ({"minutes_per_review": -2}, "minutes_per_review"),
        ({"expected_annual_benefit": [1]}, "expected_annual_benefit"),
        ({"kpi": "k" * 500}, "kpi"),
        ({"business_owner": "ghost"}, "business_owner"),
        ({"no_such_field": 1}, "no_such_field"),
        (
            {"success_metrics": [{"metric": "nope", "baseline": 1, "target": 2}]},
            "success_metrics[0].metric",
        ),
        (
            {"success_metrics": [{"metric": "uptime_pct", "baseline": 99, "target": 90}]},
            "success_metrics[0].target",
        ),
        (
            {
                "stop_conditions": [
                    {
                        "metric": "error_rate",
                        "threshold": 1,
                        "by_date": "2001-01-01",
                        "action": "end",
                    }
                ]
            },
            "stop_conditions[0].by_date",
        ),
        ({"success_metrics": "not a list"}, "success_metrics"),
        ({"success_metrics": ["not an object"]}, "success_metrics[0]"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_keeps_the_good_part(
    payload, field, pilot, owner, api_for
):
    response = api_for(owner).patch(api_url(pilot), {"why_now": "Kept", **payload}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and field in body["message"]
    assert body["saved"] == ["why_now"]
    assert m.StrategyWorkbook.objects.get(pilot=pilot).why_now == "Kept"


def test_nan_and_infinity_json_literals_are_refused(pilot, owner, api_for):
    response = api_for(owner).patch(
        api_url(pilot, "deployment"),
        '{"first_traffic_slice_pct": NaN, "latency_budget_ms": Infinity, "fallback": "Manual"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"first_traffic_slice_pct", "latency_budget_ms"}
    assert m.DeploymentWorkbook.objects.get(pilot=pilot).fallback == "Manual"


def test_evidence_link_must_be_http_in_api(pilot, owner, api_for):
    response = api_for(owner).patch(
        api_url(pilot, "deployment"),
        {
            "test_results": [
                {"category": "functional", "status": "passed", "evidence_url": "file:///etc/passwd"}
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert "test_results[0].evidence_url" in response.json()["errors"]


def test_duplicate_test_category_is_refused(pilot, owner, api_for):
    rows = [{"category": "functional", "status": "passed"}] * 2
    response = api_for(owner).patch(
        api_url(pilot, "deployment"), {"test_results": rows}, format="json"
    )
    assert response.status_code == 400 and "test_results[1].category" in response.json()["errors"]


def test_operations_lead_may_patch_operations_only(pilot, api_for):
    ops = UserFactory(username="ops2", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    api = api_for(ops)
    assert (
        api.patch(
            api_url(pilot, "operations"), {"review_cadence": "monthly"}, format="json"
        ).status_code
        == 200
    )
    assert api.patch(api_url(pilot, "data"), {"bias_review": "x"}, format="json").status_code == 403


def test_html_is_stored_as_typed_and_returned_as_data(pilot, owner, api_for):
    text = "<img src=x onerror=alert(1)>"
    api_for(owner).patch(api_url(pilot, "monitoring"), {"roi_baseline": text}, format="json")
    assert api_for(owner).get(api_url(pilot, "monitoring")).json()["roi_baseline"] == text


def test_schema_lists_the_workbook_endpoint(admin_user, api_for):
    response = api_for(admin_user).get("/api/schema/")
    assert response.status_code == 200
    assert "/api/pilots/{id}/workbooks/{phase}/" in response.content.decode()


def test_a_stop_condition_now_past_survives_a_get_then_put_but_a_new_one_does_not(
    pilot, owner, api_for
):
    past = date.today() - timedelta(days=3)
    m.StopCondition.objects.create(
        pilot=pilot, metric_id="error_rate", threshold=9, by_date=past, action="end"
    )
    api = api_for(owner)
    body = api.get(api_url(pilot)).json()
    assert api.put(api_url(pilot), body, format="json").status_code == 200
    body["stop_conditions"].append(
        {"metric": "uptime_pct", "threshold": 90, "by_date": past.isoformat(), "action": "end"}
    )
    response = api.put(api_url(pilot), body, format="json")
    assert response.status_code == 400
    assert "stop_conditions[1].by_date" in response.json()["errors"]
    assert m.StopCondition.objects.filter(pilot=pilot).count() == 1


@pytest.mark.parametrize("phase", ["strategy", "data", "deployment", "operations", "monitoring"])
def test_api_get_query_count_does_not_grow_with_rows(phase, pilot, owner, api_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.portfolio.workbooks.test_pages import _fill_lists

    api = api_for(owner)
    counts = []
    for rows in (1, 15):
        _fill_lists(pilot, owner, rows)
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(api_url(pilot, phase)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 12


def test_monitored_metrics_replace_allows_same_metric_but_not_twice_in_one_request(
    pilot, owner, api_for
):
    api = api_for(owner)
    row = {"metric": "error_rate", "source": "logs", "threshold": 2}
    url = api_url(pilot, "monitoring")
    assert api.patch(url, {"monitored_metrics": [row]}, format="json").status_code == 200
    changed = {**row, "threshold": 3}
    assert api.patch(url, {"monitored_metrics": [changed]}, format="json").status_code == 200
    assert m.MonitoredMetric.objects.get(pilot=pilot).threshold == 3
    twice = api.patch(url, {"monitored_metrics": [row, row]}, format="json")
    assert twice.status_code == 400
    assert "monitored_metrics[1].metric" in twice.json()["errors"]
    assert m.MonitoredMetric.objects.get(pilot=pilot).threshold == 3


def test_a_body_that_is_not_an_object_is_a_400(pilot, owner, api_for):
    response = api_for(owner).put(api_url(pilot), [1, 2], format="json")
    assert response.status_code == 400 and response.json()["message"]
