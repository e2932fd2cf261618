import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, PilotRole
from gates.services import pilot_transition
from portfolio.workbooks import models as m
from portfolio.workbooks.spec import PHASES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRATEGY_ECONOMICS = {
    "expected_annual_benefit": "250000",
    "annual_volume": "100000",
    "cost_per_transaction": "0.25",
    "human_review_rate_pct": "10",
    "minutes_per_review": "3",
    "loaded_hourly_cost": "60",
    "failure_handling_cost": "5000",
    "one_time_build_cost": "90000",
}


def url(pilot, phase="strategy"):
    return reverse("portfolio:workbook", args=[pilot.pk, phase])


@pytest.mark.parametrize("phase", PHASES)
def test_every_workbook_page_renders_for_owner_and_reader(
    phase, pilot, owner, executive, client_for
):
    owner_page = client_for(owner).get(url(pilot, phase))
    assert owner_page.status_code == 200
    assert b"Save workbook" in owner_page.content
    reader_page = client_for(executive).get(url(pilot, phase))
    assert reader_page.status_code == 200
    assert b"Save workbook" not in reader_page.content
    assert b"You can read this workbook" in reader_page.content


def test_unknown_phase_is_404(pilot, owner, client_for):
    assert client_for(owner).get(url(pilot, "finance")).status_code == 404
    assert client_for(owner).post(url(pilot, "finance"), {"kpi": "x"}).status_code == 404


def test_confidential_workbook_is_404_for_outsider_and_403_on_post_for_reader(
    pilot, confidential_pilot, outsider, client_for
):
    client = client_for(outsider)
    assert client.get(url(confidential_pilot)).status_code == 404
    assert client.post(url(confidential_pilot), {"kpi": "x"}).status_code == 404
    assert client.post(url(pilot), {"kpi": "x"}).status_code == 403
    add = reverse("portfolio:workbook_row_add", args=[pilot.pk, "deployment", "rollout_steps"])
    assert client.post(add, {"rollout_steps-description": "x"}).status_code == 403
    assert not m.StrategyWorkbook.objects.exists() and not m.RolloutStep.objects.exists()


def test_plain_post_saves_and_redirects_without_javascript(pilot, owner, client_for):
    response = client_for(owner).post(url(pilot), {"kpi": "Claims per day", **STRATEGY_ECONOMICS})
    assert response.status_code == 302 and response["Location"] == url(pilot)
    workbook = m.StrategyWorkbook.objects.get(pilot=pilot)
    assert workbook.kpi == "Claims per day" and workbook.annual_volume == 100000
    page = client_for(owner).get(url(pilot)).content.decode()
    # 100,000 x 0.25 = 25,000 run; 100,000 x 10% x 3 / 60 x 60 = 30,000 review; +5,000 failure.
    assert "25,000.00" in page and "30,000.00" in page and "60,000.00" in page
    # Net 190,000; payback 90,000 / (190,000 / 12) = 5.7 months; ROI (190k-90k)/(150k) = 66.7%.
    assert "190,000.00" in page and "5.7 months" in page and "66.7%" in page


def test_plain_post_with_a_bad_field_keeps_the_rest_and_shows_the_error(pilot, owner, client_for):
    response = client_for(owner).post(
        url(pilot), {"kpi": "Kept", "annual_volume": "-3", "human_review_rate_pct": "150"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Annual volume at production: Give at least 0." in body
    assert "Human review rate (%)" in body and "less than or equal to 100" in body
    assert 'value="-3"' in body  # what was typed is shown back, not lost
    assert m.StrategyWorkbook.objects.get(pilot=pilot).kpi == "Kept"


def test_htmx_save_returns_errors_progress_and_economic_case_out_of_band(pilot, owner, client_for):
    response = client_for(owner).post(
        url(pilot),
        {"kpi": "KPI", "annual_volume": "abc", "expected_annual_benefit": "1000"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_annual_volume_error"' in body and "Enter a number" in body
    assert 'id="wb-progress" class="wb-progress" hx-swap-oob="true"' in body
    assert 'id="economic-case"' in body and "1,000.00" in body
    assert "1 needs attention" in body
    assert AuditEvent.objects.filter(action="workbook.update").count() == 1


def test_live_validation_previews_the_case_without_saving(pilot, owner, client_for):
    validate = reverse("portfolio:workbook_validate", args=[pilot.pk, "strategy"])
    response = client_for(owner).post(validate, STRATEGY_ECONOMICS, HTTP_HX_REQUEST="true")
    assert "190,000.00" in response.content.decode()
    bad = client_for(owner).post(validate, {"annual_volume": "NaN"}, HTTP_HX_REQUEST="true")
    assert "Correct the highlighted inputs" in bad.content.decode()
    # A bad field outside the economics does not hide the case.
    other = (
        client_for(owner)
        .post(validate, {**STRATEGY_ECONOMICS, "business_owner": "ghost"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "190,000.00" in other and "no user named “ghost”" in other
    assert not m.StrategyWorkbook.objects.exists()
    assert not AuditEvent.objects.filter(action="workbook.update").exists()


def test_rows_are_added_and_removed_with_and_without_htmx(pilot, owner, client_for):
    client = client_for(owner)
    add = reverse("portfolio:workbook_row_add", args=[pilot.pk, "deployment", "rollout_steps"])
    response = client.post(
        add, {"rollout_steps-description": "<b>Ten</b> percent", "rollout_steps-traffic_pct": "10"}
    )
    assert response.status_code == 302
    response = client.post(
        add,
        {"rollout_steps-description": "Half", "rollout_steps-traffic_pct": "50"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'id="list-rollout_steps"' in body and "&lt;b&gt;Ten&lt;/b&gt; percent" in body
    assert "<b>Ten</b>" not in body
    row = m.RolloutStep.objects.get(description="Half")
    remove = reverse(
        "portfolio:workbook_row_remove", args=[pilot.pk, "deployment", "rollout_steps", row.pk]
    )
    assert "Half" not in client.post(remove, HTTP_HX_REQUEST="true").content.decode()
    assert m.RolloutStep.objects.count() == 1


def test_bad_row_shows_what_was_typed_with_the_error(pilot, owner, client_for):
    add = reverse("portfolio:workbook_row_add", args=[pilot.pk, "strategy", "success_metrics"])
    data = {
        "success_metrics-metric": "error_rate",
        "success_metrics-baseline": "5",
        "success_metrics-target": "8",
    }
    response = client_for(owner).post(add, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "The target must be below the baseline" in body and 'value="8"' in body
    htmx = client_for(owner).post(add, data, HTTP_HX_REQUEST="true").content.decode()
    assert "The target must be below the baseline" in htmx
    assert not m.SuccessMetric.objects.exists()


def test_operations_lead_edits_only_the_operations_workbook(pilot, client_for):
    ops = UserFactory(username="opslead", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    client = client_for(ops)
    assert client.post(url(pilot, "operations"), {"maintenance_team": "AI Ops"}).status_code == 302
    assert client.post(url(pilot, "strategy"), {"kpi": "x"}).status_code == 403
    assert b"Save workbook" not in client.get(url(pilot, "data")).content


def test_stopped_pilot_pages_are_read_only(pilot, owner, admin_user, client_for):
    pilot_transition(pilot=pilot, by=admin_user, to_status="stopped", reason="done")
    client = client_for(owner)
    page = client.get(url(pilot)).content.decode()
    assert "This pilot is stopped" in page and "Save workbook" not in page
    assert client.post(url(pilot), {"kpi": "x"}).status_code == 403


def test_html_typed_into_a_field_is_shown_escaped(pilot, owner, executive, client_for):
    text = '<script>alert("x")</script>'
    client_for(owner).post(url(pilot), {"business_problem": text, "primary_risk": text})
    for page_url in (
        url(pilot),
        reverse("portfolio:memo", args=[pilot.pk]),
        pilot.get_absolute_url(),
    ):
        body = client_for(executive).get(page_url).content.decode()
        assert text not in body
    assert "&lt;script&gt;" in client_for(executive).get(url(pilot)).content.decode()


def test_pilot_page_lists_the_five_workbooks_as_tasks_with_their_status(pilot, owner, client_for):
    m.MonitoringWorkbook.objects.create(pilot=pilot, roi_baseline="x", scaling_criteria="y")
    m.MonitoredMetric.objects.create(pilot=pilot, metric_id="error_rate", source="s", threshold=1)
    m.DataWorkbook.objects.create(pilot=pilot, bias_review="done")
    body = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert 'id="workbooks"' in body
    assert re.search(r'id="task-monitoring-status">Complete<', body)
    assert re.search(r'id="task-data-status">In progress', body)
    assert re.search(r'id="task-strategy-status">Not started<', body)
    assert re.search(r'id="task-deployment-status">Not started<', body)
    # What is missing links to the very field on the workbook page.
    url = reverse("portfolio:workbook", args=[pilot.pk, "data"])
    assert f'href="{url}#field-acceptance_criteria"' in body
    assert f'href="{url}#list-data_sources"' in body


def _fill_lists(pilot, owner, rows: int):
    for i in range(rows):
        m.SuccessMetric.objects.create(
            pilot=pilot, metric_id="error_rate", baseline=5, target=i % 4
        )
        m.DataSource.objects.create(
            pilot=pilot, system=f"S{i}", data_owner="x", extraction_method="api", freshness="1h"
        )
        m.TestResult.objects.get_or_create(
            pilot=pilot,
            category=["functional", "performance", "reliability", "safety_security", "ethical"][
                i % 5
            ],
            defaults={"status": "passed", "tester": owner},
        )
        m.RollbackTrigger.objects.create(
            pilot=pilot,
            metric_id="error_rate",
            threshold=5,
            action="disable_ai",
            decision_owner=owner,
        )
        m.Runbook.objects.create(pilot=pilot, scenario="other", title=f"R{i}")
        m.MonitoredMetric.objects.get_or_create(
            pilot=pilot,
            metric_id=["error_rate", "uptime_pct", "p95_latency_ms"][i % 3],
            defaults={"source": "s", "threshold": 1},
        )


@pytest.mark.parametrize("phase", PHASES)
def test_workbook_page_query_count_does_not_grow_with_rows(phase, pilot, owner, client_for):
    client = client_for(owner)
    client.get(url(pilot, phase))  # warm the session and caches
    _fill_lists(pilot, owner, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(pilot, phase)).status_code == 200
    _fill_lists(pilot, owner, 12)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url(pilot, phase)).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(large.captured_queries) <= 16


def test_pilot_page_and_memo_query_counts_do_not_grow(pilot, owner, client_for):
    client = client_for(owner)
    _fill_lists(pilot, owner, 1)
    counts = []
    for rows in (0, 10):
        _fill_lists(pilot, owner, rows)
        for page in (pilot.get_absolute_url(), reverse("portfolio:memo", args=[pilot.pk])):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(page).status_code == 200
            counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:]


def test_zero_volume_and_zero_benefit_show_never_not_an_error(pilot, owner, client_for):
    data = {**STRATEGY_ECONOMICS, "annual_volume": "0", "expected_annual_benefit": "0"}
    response = client_for(owner).post(url(pilot), data)
    assert response.status_code == 302
    page = client_for(owner).get(url(pilot)).content.decode()
    # Only the failure-handling cost remains: net -5,000, never paid back, ROI -100%.
    assert 'id="case-net">-€5,000.00' in page
    assert 'id="case-payback">never' in page and 'id="case-roi">-100.0%' in page


def test_row_fields_are_checked_as_the_owner_leaves_them(pilot, owner, client_for):
    validate = reverse(
        "portfolio:workbook_row_validate", args=[pilot.pk, "strategy", "success_metrics"]
    )
    response = client_for(owner).post(
        validate,
        {"success_metrics-metric": "uptime_pct", "success_metrics-baseline": "99"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    # Nothing typed yet in "target": no error for it yet.
    assert body.strip() == ""
    response = client_for(owner).post(
        validate,
        {
            "success_metrics-metric": "uptime_pct",
            "success_metrics-baseline": "99",
            "success_metrics-target": "98",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "Target: The target must be above the baseline" in response.content.decode()
    assert not m.SuccessMetric.objects.exists()
    other = reverse("portfolio:workbook_row_validate", args=[pilot.pk, "strategy", "nope"])
    assert client_for(owner).post(other, {}).status_code == 404
