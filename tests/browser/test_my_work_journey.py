"""My work in the browser: an owner lands on it and follows a failing criterion to the
field that fixes it; a governance lead lands on it and opens a review they can decide."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_lands_on_my_work_and_follows_a_failing_criterion_to_its_field(page, live_url, login):
    owner = UserFactory(username="omar", roles=["contributor"])
    pilot = PilotFactory(name="Refund reason tagger", owner=owner)
    login(page, owner)
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    expect(page.get_by_role("heading", name="Refund reason tagger")).to_be_visible()
    page.get_by_role("link", name="Tracked KPI chosen").click()
    expect(page).to_have_url(re.compile(rf"/pilots/{pilot.pk}/workbooks/strategy/#field-kpi$"))
    field = page.locator("#id_kpi")
    expect(field).to_be_visible()
    expect(field).to_be_in_viewport()


def test_lead_lands_on_my_work_and_opens_a_review_they_can_decide(
    page, live_url, login, pending_review
):
    lead = UserFactory(username="gloria", roles=["governance_lead"])
    _, _, review = pending_review("Invoice matcher")

    login(page, lead)
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(r"My work 1"))).to_be_visible()
    reviews = page.get_by_role("region", name="Reviews you can decide")
    reviews.get_by_role("link", name="Invoice matcher").click()
    expect(page).to_have_url(re.compile(rf"/gates/reviews/{review.pk}/$"))
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()
