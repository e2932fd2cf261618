"""An owner acknowledges several alerts at once from the pilot page, then resolves one; the
section updates in place (htmx), each alert gets its own audit event, and the page passes
axe-core before and after."""

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from metrics.models import Alert
from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, htmx_ready
from tests.factories import PilotFactory, UserFactory
from tests.metrics.test_pages import seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_acknowledges_several_alerts_at_once_and_resolves_one(page, live_url, login):
    owner = UserFactory(username="alice", roles=["contributor"], display_name="Alice Owner")
    pilot = PilotFactory(owner=owner, name="Claims triage")
    seed(pilot, 4)  # four alerts, one already resolved
    open_ids = list(Alert.objects.filter(pilot=pilot, status="open").values_list("pk", flat=True))
    assert len(open_ids) == 3

    login(page, owner)
    page.goto(live_url(f"/pilots/{pilot.pk}/#alerts"))
    htmx_ready(page)
    section = page.locator("#pilot-alerts")
    expect(section.get_by_text("Resolved automatically")).to_be_visible()
    assert violations(page) == []

    boxes = section.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(1).check()
    section.get_by_role("button", name="Acknowledge selected").click()
    expect(section.get_by_text("2 alerts acknowledged.")).to_be_visible()
    expect(section.get_by_text("Acknowledged by Alice Owner")).to_have_count(2)
    assert Alert.objects.filter(pk__in=open_ids, status="acknowledged").count() == 2
    acknowledged = AuditEvent.objects.filter(action="alert.acknowledge", actor=owner)
    assert acknowledged.count() == 2

    # The section was swapped in place: the form works again without a reload.
    boxes = page.locator("#pilot-alerts").get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    boxes.nth(2).check()
    page.locator("#pilot-alerts").get_by_label("Resolution note").fill("Rolled back")
    page.locator("#pilot-alerts").get_by_role("button", name="Resolve selected").click()
    expect(page.locator("#pilot-alerts").get_by_text("1 alert resolved.")).to_be_visible()
    expect(page.locator("#pilot-alerts").get_by_text("Resolved by Alice Owner")).to_be_visible()
    assert AuditEvent.objects.filter(action="alert.resolve", actor=owner).count() == 1
    assert violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#pilot-alerts").screenshot(path=str(ARTIFACTS / "alerts-bulk.png"))


def test_nothing_selected_is_named_and_nothing_changes(page, live_url, login):
    owner = UserFactory(username="alice2", roles=["contributor"])
    pilot = PilotFactory(owner=owner)
    seed(pilot, 2)
    login(page, owner)
    page.goto(live_url(f"/pilots/{pilot.pk}/"))
    htmx_ready(page)
    page.locator("#pilot-alerts").get_by_role("button", name="Resolve selected").click()
    expect(page.locator("#pilot-alerts").get_by_role("alert")).to_have_text(
        "Select at least one alert."
    )
    assert Alert.objects.filter(pilot=pilot, status="open").count() == 1
