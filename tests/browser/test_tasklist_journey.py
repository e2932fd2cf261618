"""The owner's next step, in a real browser: the workbooks as a task list, the review
request it offers, a refusal with links to the fixes, and evidence files sent once."""

import os
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from gates.models import CriteriaVersion, Gate, Review
from portfolio.models import Pilot
from portfolio.workbooks import models as m
from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, htmx_ready
from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = {"business_owner", "delivery_lead"}
STRATEGY = {
    "business_problem": "Refunds wait three days for a person to look.",
    "target_workflow": "Refund requests from the web form",
    "decision_improved": "Approve or escalate a refund",
    "kpi": "Refund cycle time",
    "why_now": "Refund volume doubled",
    "business_owner": "bella",
    "delivery_lead": "devon",
    "primary_risk": "Refunding fraud",
    "readiness_criteria": "95% agreement with reviewers",
    "expected_annual_benefit": "250000",
    "annual_volume": "100000",
    "cost_per_transaction": "0.25",
    "human_review_rate_pct": "10",
    "minutes_per_review": "3",
    "loaded_hourly_cost": "60",
    "failure_handling_cost": "5000",
    "one_time_build_cost": "90000",
}


def _gate_needing_two_success_metrics() -> None:
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    criteria = [
        {
            "key": "strategy_complete",
            "kind": "workbook_complete",
            "label": "Strategy workbook complete",
            "params": {"phase": "strategy"},
        },
        {
            "key": "strategy_two_success_metrics",
            "kind": "list_min_rows",
            "label": "At least two success metrics",
            "params": {"phase": "strategy", "list": "success_metrics", "min": 2},
        },
    ]
    CriteriaVersion.objects.create(gate=gate, number=gate.versions.count() + 1, criteria=criteria)


def _autosave(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/workbooks/data/")


def _add_success_metric(page, metric: str, baseline: str, target: str) -> None:
    page.locator("#id_success_metrics-metric").select_option(metric)
    page.locator("#id_success_metrics-baseline").fill(baseline)
    page.locator("#id_success_metrics-target").fill(target)
    page.locator("#id_success_metrics-unit").fill("%")
    with page.expect_response(lambda r: r.url.endswith("/success_metrics/add/")):
        page.get_by_role("button", name="Add success metric").click()


def test_owner_registers_fills_requests_is_refused_fixes_via_the_link_and_requests_again(
    page, live_url, login
):
    _gate_needing_two_success_metrics()
    owner = UserFactory(username="bella", roles=["contributor"])
    UserFactory(username="devon", roles=["contributor"])
    login(page, owner)

    # Register.
    page.goto(live_url("/pilots/new/"))
    page.get_by_label("Name").fill("Refund triage")
    page.get_by_label("Business unit").select_option("Finance")
    page.get_by_label("Summary").fill("Triage refund requests.")
    page.get_by_role("button", name="Register pilot").click()
    expect(page.get_by_role("heading", name="Refund triage")).to_be_visible()
    pilot = Pilot.objects.get(name="Refund triage")

    # The task list: nothing started, the strategy workbook is what the next gate reads.
    tasks = page.locator("#workbooks")
    expect(tasks.locator("#task-strategy-status")).to_have_text("Not started")
    expect(tasks.locator("#task-strategy")).to_contain_text("Next gate")
    expect(page.locator("#request-offer")).to_contain_text("Complete 1 more workbook")
    expect(page.get_by_role("button", name=re.compile("Request review"))).to_have_count(0)

    # Fill the strategy workbook (each field saves as it is left).
    tasks.get_by_role("link", name="Strategy and success definition").click()
    htmx_ready(page)
    for name, value in STRATEGY.items():
        field = page.locator(f"#id_{name}")
        if name in PEOPLE:  # chosen from the people picker
            field.select_option(value)
        else:
            field.fill(value)
    page.locator("#id_one_time_build_cost").blur()
    expect(page.locator("#wb-progress")).to_contain_text("Still missing: success metrics")
    _add_success_metric(page, "error_rate", "4", "1.5")
    page.locator("#id_stop_conditions-metric").select_option("error_rate")
    page.locator("#id_stop_conditions-threshold").fill("8")
    page.locator("#id_stop_conditions-by_date").fill(
        (date.today() + timedelta(days=45)).isoformat()
    )
    page.locator("#id_stop_conditions-action").select_option("end")
    page.get_by_role("button", name="Add stop condition").click()
    expect(page.locator("#wb-progress")).to_contain_text("100% complete")
    # At 100% the workbook page itself offers the next step.
    expect(page.locator("#request-offer")).to_contain_text("Request review for Pilot")

    page.get_by_role("link", name="Back to Refund triage").click()
    expect(page.locator("#task-strategy-status")).to_have_text("Complete")

    # Request: refused, each reason once, linked to its fix; the button is disabled.
    page.get_by_role("button", name="Request review for Pilot").click()
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text("was refused")
    expect(refusal).to_contain_text("Only 1 of 2 required success metrics")
    expect(page.get_by_text("Only 1 of 2 required success metrics")).to_have_count(1)
    expect(page.get_by_role("button", name="Request review")).to_be_disabled()
    assert violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-refused.png"), full_page=True)

    # The pilot page does not offer it again either.
    page.goto(live_url(pilot.get_absolute_url()))
    expect(page.locator("#request-offer")).to_contain_text("nothing it was refused for")
    expect(page.get_by_role("button", name="Request review for Pilot")).to_have_count(0)

    # Fix through the link: it lands on the list that needs another row.
    page.locator("#request-offer").get_by_role("link", name="At least two success metrics").click()
    expect(page).to_have_url(re.compile(r"/workbooks/strategy/#list-success_metrics$"))
    htmx_ready(page)
    _add_success_metric(page, "hallucination_rate", "5", "2")
    expect(page.locator("#list-success_metrics")).to_contain_text("(2, at least one required)")

    # Something changed that makes it pass: the request is offered and goes through.
    page.goto(live_url(pilot.get_absolute_url()))
    page.get_by_role("button", name="Request review for Pilot").click()
    expect(page.locator("#review-status")).to_have_text("Pending")
    assert Review.objects.filter(pilot=pilot, status="pending").count() == 1
    assert AuditEvent.objects.filter(action="review.refused", pilot_id=pilot.pk).count() == 1


def test_evidence_is_uploaded_once_and_a_refusal_message_clears_after_a_valid_file(
    page, live_url, login, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = UserFactory(username="tom", first_name="Tom", last_name="Owner", roles=["contributor"])
    pilot = PilotFactory(name="Invoice matcher", owner=owner)
    report = tmp_path / "bias-review.txt"
    report.write_text("Checked every region; no gap above 2 points.\n")
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ\x90\x00")
    login(page, owner)
    page.goto(live_url(f"/pilots/{pilot.pk}/workbooks/data/"))
    htmx_ready(page)

    upload = page.locator("#id_bias_review_evidence_upload")
    upload.set_input_files(str(report))
    block = page.locator("#field-bias_review_evidence_upload")
    expect(block).to_contain_text("bias-review.txt")
    expect(block).to_contain_text("uploaded by Tom Owner")
    expect(block).to_contain_text("bytes")
    # Two autosaved edits afterwards send no file again.
    for name, text in (("bias_review", "Done by the data team"), ("acceptance_criteria", "98%")):
        with page.expect_response(
            lambda r: r.request.method == "POST" and "/validate/" not in r.url
        ):
            page.locator(f"#id_{name}").fill(text)
            page.locator(f"#id_{name}").blur()
        expect(page.locator("#save-status")).to_have_text("Saved.")
    assert m.EvidenceFile.objects.filter(pilot=pilot).count() == 1
    assert m.DataWorkbook.objects.get(pilot=pilot).acceptance_criteria == "98%"

    # A refused file leaves a message; a valid one afterwards clears it.
    page.locator("#id_bias_review_evidence_upload").set_input_files(str(tool))
    expect(page.locator("#err-bias_review_evidence_upload")).to_contain_text("not accepted")
    page.locator("#id_bias_review_evidence_upload").set_input_files(str(report))
    expect(page.locator("#err-bias_review_evidence_upload")).to_be_empty()
    expect(block).to_contain_text("bias-review.txt")
    assert m.EvidenceFile.objects.filter(pilot=pilot).count() == 2  # the replacement
    assert violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workbook-evidence.png"), full_page=True)

    # The owner removes it: gone from the page, the database and storage; audited.
    stored = m.DataWorkbook.objects.get(pilot=pilot).bias_review_evidence_file
    path = stored.file.path
    block.get_by_role("button", name=re.compile("Remove")).click()
    expect(page.get_by_text("Removed the file “bias-review.txt”.")).to_be_visible()
    expect(page.locator("#field-bias_review_evidence_upload")).not_to_contain_text("Current file")
    assert not m.EvidenceFile.objects.filter(pk=stored.pk).exists()
    assert AuditEvent.objects.filter(action="evidence.remove", pilot_id=pilot.pk).exists()
    assert not os.path.exists(path)
