"""An owner requests a gate review; a governance lead approves it in the browser."""

import pytest
from playwright.sync_api import expect

from accounts.models import PilotRole
from gates.models import CriteriaVersion, Gate, Review
from portfolio.models import Pilot
from tests.browser.conftest import ARTIFACTS
from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_requests_review_and_governance_lead_approves_it(browser, live_url, login):
    owner = UserFactory(username="opal", roles=["contributor"])
    tech = UserFactory(username="tariq", roles=["contributor"])
    lead = UserFactory(username="gloria", roles=["governance_lead"])
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    # Criteria the test can satisfy without filling a whole workbook: a named technical owner.
    CriteriaVersion.objects.create(
        gate=gate,
        number=gate.versions.count() + 1,
        criteria=[
            {
                "key": "technical_owner_named",
                "kind": "roles_named",
                "label": "Technical owner named",
                "params": {"roles": ["technical_owner"]},
                "mandatory": True,
                "risk_tiers": [],
            },
        ],
    )
    pilot = PilotFactory(name="Refund reason tagger", owner=owner, risk_tier="low")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=tech)

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
    lead_page.get_by_role("link", name="Review queue").click()
    lead_page.get_by_role("link", name="Refund reason tagger").click()
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
