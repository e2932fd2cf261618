"""An owner requests a gate review; a governance lead approves it in the browser."""

import pytest
from playwright.sync_api import expect

from gates.models import Review
from portfolio.models import Pilot
from tests.browser.conftest import ARTIFACTS, review_queue_row
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_requests_review_and_governance_lead_approves_it(
    browser, live_url, login, reviewable_pilot
):
    lead = UserFactory(username="gloria", roles=["governance_lead"])
    owner, pilot = reviewable_pilot()

    owner_page = browser.new_page()
    login(owner_page, owner)
    owner_page.goto(live_url(f"/pilots/{pilot.pk}/"))
    owner_page.get_by_role("link", name="See the evaluation").click()
    expect(owner_page.get_by_text("you can request the review")).to_be_visible()
    owner_page.get_by_label("Evidence links").fill("https://wiki.example.com/refund-memo")
    owner_page.get_by_role("button", name="Request review").click()
    expect(owner_page.locator("#review-status")).to_have_text("Pending")
    review = Review.objects.get(pilot=pilot)

    lead_page = browser.new_page()
    login(lead_page, lead)
    review_queue_row(lead_page, "Refund reason tagger").get_by_role(
        "link", name="Refund reason tagger"
    ).click()
    expect(
        lead_page.get_by_role("link", name="https://wiki.example.com/refund-memo")
    ).to_be_visible()
    lead_page.get_by_label("Approve", exact=True).check()
    lead_page.get_by_label("Rationale").fill("Owners named; the memo is convincing.")
    lead_page.get_by_role("button", name="Record decision").click()
    expect(lead_page.locator("#review-status")).to_have_text("Approved")

    owner_page.goto(live_url(f"/pilots/{pilot.pk}/"))
    expect(owner_page.locator(".facts .stage")).to_have_text("Pilot")
    timeline = owner_page.locator("ol.timeline")
    expect(timeline.get_by_text("Approve (Discovery → Pilot)")).to_be_visible()
    expect(timeline.get_by_text("Owners named; the memo is convincing.")).to_be_visible()
    expect(timeline.get_by_text("Review requested: Discovery → Pilot")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    owner_page.screenshot(path=str(ARTIFACTS / "gate-timeline.png"), full_page=True)
    assert Pilot.objects.get(pk=pilot.pk).stage == "pilot"
    review.refresh_from_db()
    assert review.status == "approved"
