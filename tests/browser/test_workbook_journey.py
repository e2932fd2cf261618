import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from portfolio.workbooks import models as m
from tests.browser.conftest import ARTIFACTS, htmx_ready
from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_fills_strategy_sees_progress_and_case_and_downloads_memo(page, live_url, login):
    owner = UserFactory(username="bella", roles=["contributor"])
    UserFactory(username="devon", roles=["contributor"])
    pilot = PilotFactory(name="Refund triage", owner=owner)
    login(page, owner)

    page.goto(live_url(pilot.get_absolute_url()))
    page.get_by_role("link", name="Strategy and success definition").click()
    expect(page.get_by_role("heading", name="Strategy and success definition")).to_be_visible()
    expect(page.locator("#wb-progress")).to_contain_text("0% complete")
    htmx_ready(page)

    # Leaving a field saves it (htmx on change) and the progress updates without a reload.
    page.locator("#id_business_problem").fill("Refunds wait three days for a person to look.")
    page.locator("#id_target_workflow").fill("Refund requests from the web form")
    expect(page.locator("#save-status")).to_have_text("Saved.")
    expect(page.locator("#wb-progress")).not_to_contain_text("0% complete")

    # A bad value gets an inline error naming the field, and nothing else is lost.
    page.locator("#id_annual_volume").fill("-20")
    page.locator("#id_kpi").fill("Refund cycle time")
    expect(page.locator("#id_annual_volume_error")).to_contain_text("Annual volume at production")
    page.locator("#id_annual_volume").fill("100000")

    # The economic case follows the typing.
    for name, value in {
        "expected_annual_benefit": "250000",
        "cost_per_transaction": "0.25",
        "human_review_rate_pct": "10",
        "minutes_per_review": "3",
        "loaded_hourly_cost": "60",
        "failure_handling_cost": "5000",
        "one_time_build_cost": "90000",
    }.items():
        page.locator(f"#id_{name}").fill(value)
    expect(page.locator("#case-net")).to_have_text("€190,000.00")
    expect(page.locator("#case-payback")).to_have_text("5.7 months")
    expect(page.locator("#id_annual_volume_error")).to_be_empty()

    for name, value in {
        "decision_improved": "Approve or escalate a refund",
        "why_now": "Refund volume doubled",
        "primary_risk": "Refunding fraud",
        "readiness_criteria": "95% agreement with reviewers",
    }.items():
        page.locator(f"#id_{name}").fill(value)
    # People are chosen from the picker (the pilot's people first), not typed.
    page.locator("#id_business_owner").select_option("bella")
    page.locator("#id_delivery_lead").select_option("devon")
    page.locator("#id_readiness_criteria").blur()
    expect(page.locator("#wb-progress")).to_contain_text("Still missing: success metrics, stop")

    # Rows are added in place.
    page.locator("#id_success_metrics-metric").select_option("error_rate")
    page.locator("#id_success_metrics-baseline").fill("4")
    page.locator("#id_success_metrics-target").fill("6")
    page.locator("#id_success_metrics-unit").focus()  # leaving the field checks it
    expect(page.locator("#rowcheck-success_metrics")).to_contain_text("below the baseline")
    with page.expect_response(lambda r: r.url.endswith("/success_metrics/add/")):
        page.get_by_role("button", name="Add success metric").click()
    expect(page.locator("#list-success_metrics")).to_contain_text("must be below the baseline")
    page.locator("#id_success_metrics-target").fill("1.5")
    page.get_by_role("button", name="Add success metric").click()
    expect(page.locator("#list-success_metrics")).to_contain_text("(1, at least one required)")

    page.locator("#id_stop_conditions-metric").select_option("error_rate")
    page.locator("#id_stop_conditions-threshold").fill("8")
    page.locator("#id_stop_conditions-by_date").fill(
        (date.today() + timedelta(days=45)).isoformat()
    )
    page.locator("#id_stop_conditions-action").select_option("end")
    page.get_by_role("button", name="Add stop condition").click()
    expect(page.locator("#wb-progress")).to_contain_text("100% complete")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "strategy-workbook.png"), full_page=True)

    workbook = m.StrategyWorkbook.objects.get(pilot=pilot)
    assert workbook.annual_volume == 100000 and workbook.delivery_lead.username == "devon"
    assert AuditEvent.objects.filter(action="workbook.update", pilot_id=pilot.pk).exists()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download memo (Markdown)").click()
    download = download_info.value
    assert download.suggested_filename == "decision-memo-refund-triage.md"
    text = open(download.path(), encoding="utf-8").read()
    assert "# Decision memo: Refund triage" in text
    # The primary success metric by its catalog label, with its unit.
    assert re.search(r"Error rate: from 4 ?% to 1\.5 ?%", text), text
    assert "**Net annual value:** €190,000.00" in text

    page.get_by_role("link", name="Decision memo", exact=True).click()
    expect(page).to_have_url(re.compile(r"/memo/$"))
    expect(page.get_by_text("Refunding fraud")).to_be_visible()
