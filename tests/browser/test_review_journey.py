"""A lead decides a two-lead review in the browser, sees what they did instead of the form,
a second lead decides, and the pilot's stage and timeline follow."""

import pytest
from playwright.sync_api import expect

from portfolio.models import Pilot
from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, htmx_ready, review_queue_row
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _decide_approve(page, rationale: str) -> None:
    htmx_ready(page)
    scope = page.get_by_label("Narrowed scope")
    expect(scope).to_be_hidden()  # belongs to redesign only
    page.get_by_label("Redesign", exact=True).check()
    expect(scope).to_be_visible()
    expect(page.get_by_label("Send back to")).to_be_visible()
    page.get_by_label("Approve", exact=True).check()
    expect(scope).to_be_hidden()
    page.get_by_label("Rationale").fill(rationale)
    page.get_by_role("button", name="Record decision").click()


def test_lead_decides_sees_the_after_state_and_a_second_lead_moves_the_pilot(
    browser, live_url, login, pending_review
):
    # A high-risk pilot: its review needs two leads' approval.
    _, pilot, review = pending_review(risk_tier="high")
    first = UserFactory(username="gloria", roles=["governance_lead"])
    second = UserFactory(username="gwen", roles=["governance_lead"])
    ARTIFACTS.mkdir(exist_ok=True)

    page = browser.new_page()
    login(page, first)
    row = review_queue_row(page, "Refund reason tagger")
    expect(row.get_by_text("Can decide")).to_be_visible()
    row.get_by_role("link", name="Refund reason tagger", exact=True).click()
    expect(page.locator("#id_decision_0_effect")).to_contain_text("once 2 leads have approved")
    assert violations(page) == []
    # A refused decision (no rationale) comes back in place, its summary focused.
    page.get_by_label("Stop", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#decision-errors")).to_contain_text("Give the reasons")
    expect(page.locator("#decision-errors")).to_be_focused()
    expect(page.get_by_label("Stop", exact=True)).to_be_checked()
    _decide_approve(page, "Owners named; half the quorum.")

    decided = page.locator("#decided")
    expect(decided).to_contain_text("You approved on")
    expect(decided).to_contain_text("waiting for a second lead")
    expect(decided).to_be_focused()
    expect(page.locator("#decision-form")).to_have_count(0)
    expect(page.locator("#review-status")).to_have_text("Pending")
    assert violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "review-after-deciding.png"), full_page=True)
    expect(review_queue_row(page, "Refund reason tagger")).to_contain_text(
        "waiting for a second lead"
    )

    other = browser.new_page()
    login(other, second)
    other.goto(live_url(f"/gates/reviews/{review.pk}/"))
    expect(other.locator("#id_decision_0_effect")).to_have_text("The pilot moves to Pilot now.")
    _decide_approve(other, "Agreed.")
    expect(other.locator("#review-status")).to_have_text("Approved")
    expect(other.locator("#decided")).to_contain_text("the pilot moved to Pilot")

    page.goto(live_url(f"/pilots/{pilot.pk}/"))
    timeline = page.locator("ol.timeline")
    expect(timeline.get_by_text("Stage: Discovery → Pilot")).to_be_visible()
    assert Pilot.objects.get(pk=pilot.pk).stage == "pilot"


def test_without_javascript_every_decision_field_shows_and_a_bad_one_is_refused(
    browser, live_url, login, pending_review
):
    _, _, review = pending_review(risk_tier="high")
    lead = UserFactory(username="gloria", roles=["governance_lead"])
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, lead)
    page.goto(live_url(f"/gates/reviews/{review.pk}/"))
    for field in ("conditions", "scope_note", "redesign_to_stage"):
        expect(page.locator(f"#id_{field}")).to_be_visible()
    page.get_by_label("Reject", exact=True).check()
    page.get_by_label("Rationale").fill("Not yet.")
    page.get_by_label("Narrowed scope").fill("Only refunds under 50")
    page.get_by_role("button", name="Record decision").click()
    summary = page.locator("#decision-errors")
    expect(summary).to_contain_text("Narrowed scope belongs only to “Redesign”")
    expect(page.locator("#review-status")).to_have_text("Pending")
    context.close()
