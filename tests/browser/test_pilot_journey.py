import re

import pytest
from playwright.sync_api import expect

from portfolio.models import Pilot
from tests.browser.conftest import ARTIFACTS, htmx_ready
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contributor_registers_a_pilot_sees_it_listed_and_logs_out(page, live_url, login):
    contributor = UserFactory(username="carla", roles=["contributor"])
    login(page, contributor)
    # Everyone lands on the portfolio dashboard.
    expect(page).to_have_url(re.compile(r"/portfolio/$"))
    page.get_by_role("link", name="Pilots", exact=True).click()
    expect(page.get_by_role("heading", name="Pilots")).to_be_visible()

    page.get_by_role("link", name="Register a pilot").first.click()
    page.get_by_label("Name").fill("Warranty claim summariser")
    page.get_by_label("Business unit").select_option("Claims")
    page.get_by_label("Summary").fill("Summarises warranty claims for adjusters.")
    page.get_by_label("Risk tier").select_option("high")
    page.get_by_role("button", name="Register pilot").click()

    expect(page.get_by_role("heading", name="Warranty claim summariser")).to_be_visible()
    expect(page.get_by_text("You are its business owner")).to_be_visible()
    pilot = Pilot.objects.get(name="Warranty claim summariser")
    assert pilot.roles.get().user == contributor

    page.get_by_role("link", name="Pilots", exact=True).click()
    expect(page.get_by_role("link", name="Warranty claim summariser")).to_be_visible()
    htmx_ready(page)
    # The htmx filter swaps the results in place and puts the filter in the URL.
    page.get_by_label("Risk tier").select_option("low")
    expect(page.get_by_text("0 pilots")).to_be_visible()
    expect(page).to_have_url(re.compile(r"risk_tier=low"))
    page.get_by_label("Risk tier").select_option("high")
    expect(page.get_by_role("link", name="Warranty claim summariser")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pilot-list.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Pilotgate")).to_be_visible()
    page.goto(live_url("/pilots/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
