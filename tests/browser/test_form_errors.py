"""The error summary after a failed submit: focused, and its links move focus to the field.
Both for a plain post (pilot registration) and for a form htmx posts (a workbook's list row)."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import htmx_ready
from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_ID = "() => document.activeElement && document.activeElement.id"
FOCUS_IN_SUMMARY = "() => !!document.activeElement.closest('[data-error-summary]')"


def test_a_failed_registration_focuses_the_summary_whose_links_reach_each_field(
    page, live_url, login
):
    owner = UserFactory(username="bella", roles=["contributor"])
    login(page, owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url("/pilots/new/"))
    page.get_by_label("Summary").fill("Summarises warranty claims.")
    page.get_by_role("button", name="Register pilot").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("link")).to_have_count(2)
    # What was typed is kept, the fields say what is wrong and are tied to it.
    expect(page.get_by_label("Summary")).to_have_value("Summarises warranty claims.")
    expect(page.locator("#id_business_unit")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_business_unit")).to_have_accessible_description(
        "Not on the list? An admin adds business units. Error: Business unit: choose one "
        "from the list."
    )

    summary.get_by_role("link", name="Business unit: choose one from the list.").click()
    page.wait_for_function(f"{FOCUSED_ID} === 'id_business_unit'")
    expect(page.locator("label[for=id_business_unit]")).to_be_in_viewport()
    assert violations(page) == []


def test_an_htmx_form_that_comes_back_with_errors_gets_its_summary_focused(page, live_url, login):
    owner = UserFactory(username="bella", roles=["contributor"])
    pilot = PilotFactory(name="Refund triage", owner=owner)
    login(page, owner)
    page.goto(live_url(f"/pilots/{pilot.pk}/workbooks/strategy/"))
    htmx_ready(page)
    page.locator("#id_success_metrics-baseline").fill("4")
    with page.expect_response(lambda r: r.url.endswith("/success_metrics/add/")):
        page.get_by_role("button", name="Add success metric").click()
    summary = page.locator("#list-success_metrics [data-error-summary]")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link").first
    expect(link).to_contain_text("Metric")
    link.click()
    page.wait_for_function(f"{FOCUSED_ID} === 'id_success_metrics-metric'")
    assert not page.evaluate(FOCUS_IN_SUMMARY)
