import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, htmx_ready
from tests.dashboard.conftest import add_alert, add_rollup
from tests.factories import PilotFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def portfolio():
    from metrics.models import PilotSignal

    owner = UserFactory(username="olga", roles=["contributor"])
    now = timezone.now()
    claims = PilotFactory(name="Claims triage", business_unit="Claims", owner=owner)
    PilotFactory(name="Fraud scorer", business_unit="Claims", stage="pilot", owner=owner)
    PilotFactory(name="Invoice matcher", business_unit="Finance", stage="readiness", owner=owner)
    PilotFactory(name="Board pack writer", business_unit="Finance", confidential=True)
    PilotSignal.objects.create(
        pilot=claims,
        code="hold",
        label="Hold and harden",
        reasons=["Value is there but reliability needs hardening first"],
    )
    # A year of daily history on one pilot, with an alert marked on the chart.
    for day in range(365):
        add_rollup(claims, "p95_latency_ms", now - timedelta(days=day), total=700 + day % 90)
        add_rollup(claims, "hallucination_rate", now - timedelta(days=day), total=0.02, count=1)
    add_alert(claims, "p95_latency_ms", "monitor", value=789, at=now - timedelta(days=3))
    return claims


def charts_drawn(page):
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-figure]')]"
        ".every(el => el.querySelector('.main-svg'))"
    )


def test_executive_filters_the_dashboard_and_drills_down_to_a_pilot(
    page, live_url, login, portfolio
):
    executive = UserFactory(username="erin", roles=["executive"])
    login(page, executive)
    page.get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", name="Portfolio", level=1)).to_be_visible()
    charts_drawn(page)
    assert page.locator("#results .count strong").inner_text() == "4"
    assert serious_violations(page) == []

    htmx_ready(page)
    # The htmx filter swaps the results in place and puts the filter in the URL.
    page.get_by_label("Business unit").select_option("Claims")
    expect(page).to_have_url(re.compile(r"business_unit=Claims"))
    expect(page.locator("#results .count strong")).to_have_text("2")
    pilots = page.locator("#t-pilots")
    expect(pilots.get_by_role("link", name="Claims triage")).to_be_visible()
    expect(pilots.get_by_role("link", name="Invoice matcher")).to_have_count(0)
    charts_drawn(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-claims.png"), full_page=True)

    pilots.get_by_role("link", name="Claims triage").click()
    expect(page.get_by_role("heading", name="Claims triage", level=1)).to_be_visible()
    # The dashboard read the stored row (hold); the pilot page computes the signal as of
    # now, and this pilot has reported no metrics at all.
    header = page.get_by_role("region", name=re.compile("Recommendation: Insufficient data"))
    expect(header).to_be_visible()
    expect(header.get_by_text("No metric data yet")).to_be_visible()
    charts_drawn(page)
    assert page.locator("[data-figure]").count() == 2
    page.screenshot(path=str(ARTIFACTS / "pilot-page.png"), full_page=True)
    assert serious_violations(page) == []


def test_dashboard_works_without_javascript(browser, live_url, login, portfolio):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    executive = UserFactory(username="erin", roles=["executive"])
    login(page, executive)
    page.goto(live_url("/portfolio/"))
    page.get_by_label("Business unit").select_option("Finance")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"business_unit=Finance"))
    expect(page.locator("#results .count strong")).to_have_text("2")
    # The chart's numbers are in its table, with links to the pilots behind them.
    readiness = page.locator("#t-funnel tr").filter(
        has=page.get_by_role("rowheader", name="Readiness")
    )
    readiness.get_by_role("link", name="1").first.click()
    expect(page).to_have_url(re.compile(r"business_unit=Finance.*stage=readiness"))
    expect(page.locator("#t-pilots").get_by_role("link", name="Invoice matcher")).to_be_visible()
    context.close()


def test_the_signals_table_stacks_at_phone_width(page, live_url, login, portfolio):
    """At 390 px each signal is a block: its counts on a line, each after its stage's name,
    and its pilots below at full width, not in a column scrolled off to the right."""
    login(page, UserFactory(username="erin", roles=["executive"]))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url("/portfolio/"))
    table = page.locator("#t-signals")
    wrap = page.locator("#t-signals").locator("xpath=..")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing to scroll to
    row = table.locator("tbody tr", has_text="Hold and harden")
    heading, names = row.locator("th").bounding_box(), row.locator("td.names").bounding_box()
    first_count = row.locator("td[data-label]").first.bounding_box()
    assert names["y"] > first_count["y"] > heading["y"]  # heading, then counts, then names
    assert names["width"] > 250  # the names have the row's width
    assert row.bounding_box()["height"] < 200
    assert "Claims triage" in row.locator("td.names").inner_text()
    before = row.locator("td[data-label]").first.evaluate(
        "el => getComputedStyle(el, '::before').content"
    )
    assert before == '"Discovery "'
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 1440, "height": 900})
    assert row.locator("td.names").bounding_box()["y"] == row.locator("th").bounding_box()["y"]
