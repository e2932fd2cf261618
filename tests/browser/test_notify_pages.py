"""The notification pages in a real Chromium: choices saved, errors summarised, no serious
accessibility violation (axe-core), nothing scrolls sideways on a phone."""

import pytest
from playwright.sync_api import expect

from notify import services, tokens
from outbox.catalog import EventType
from tests.browser.axe import serious_violations
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _fits_a_phone(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1440, "height": 900})


def test_a_person_moves_alerts_to_the_digest(page, live_url, login):
    owner = UserFactory(username="prefowner", roles=["contributor"])
    login(page, owner)
    page.goto(live_url("/accounts/notifications/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    alerts = page.get_by_role("group", name="An alert opens on your pilot's metrics")
    alerts.get_by_label("In a daily digest").check()
    decided = page.get_by_role("group", name="A review of your pilot is decided")
    expect(decided.get_by_label("Off")).to_have_count(0)  # cannot be turned off
    assert serious_violations(page) == []
    _fits_a_phone(page)
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your notification choices are saved.")).to_be_visible()
    assert services.modes_of(owner)[EventType.ALERT_OPENED] == "digest"


def test_an_admin_sees_channel_errors_summarised(page, live_url, login):
    admin = UserFactory(username="chanadmin", roles=["admin"])
    login(page, admin)
    page.goto(live_url("/accounts/notifications/channels/"))
    page.get_by_label("Name").fill("#ai-pilots")
    page.get_by_label("Slack").check()
    page.get_by_label("Incoming webhook URL").fill("http://10.1.2.3/hook")
    page.get_by_label("A metric breached its threshold and an alert opened").check()
    page.get_by_role("button", name="Save channel").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Incoming webhook URL")
    expect(summary).to_contain_text("internal")
    assert serious_violations(page) == []
    _fits_a_phone(page)


def test_the_unsubscribe_page_confirms_before_changing(page, live_url):
    person = UserFactory(username="unsub", roles=["contributor"])
    token = tokens.make(person.pk, EventType.SIGNAL_CHANGED)
    page.goto(live_url(f"/accounts/notifications/unsubscribe/{token}/"))
    expect(page.get_by_text("Stop emails to")).to_be_visible()
    assert serious_violations(page) == []
    assert services.modes_of(person)[EventType.SIGNAL_CHANGED] == "immediate"
    page.get_by_role("button", name="Yes, unsubscribe").click()
    expect(page.get_by_text("no longer receives emails")).to_be_visible()
    assert services.modes_of(person)[EventType.SIGNAL_CHANGED] == "off"
    _fits_a_phone(page)
