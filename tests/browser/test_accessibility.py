"""axe-core finds no serious or critical WCAG 2 A/AA violation on the main pages.

The dashboard and the pilot page are checked in test_dashboard_journey.py; these are the
workbook page and the review queue, each with content in it.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.factories import PilotFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_workbook_page_has_no_serious_accessibility_violations(page, live_url, login):
    owner = UserFactory(username="wbowner", roles=["contributor"])
    pilot = PilotFactory(name="Claims triage", business_unit="Claims", owner=owner)
    login(page, owner)
    page.goto(live_url(f"/pilots/{pilot.pk}/workbooks/strategy/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert serious_violations(page) == []


def test_review_queue_has_no_serious_accessibility_violations(page, live_url, login):
    from gates.models import CriteriaVersion, Gate, Review

    lead = UserFactory(username="glead", roles=["governance_lead"])
    owner = UserFactory(username="rqowner", roles=["contributor"])
    pilot = PilotFactory(name="Invoice matcher", business_unit="Finance", owner=owner)
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    version = CriteriaVersion.objects.create(
        gate=gate, number=gate.versions.count() + 1, criteria=[], note="test"
    )
    Review.objects.create(
        pilot=pilot,
        from_stage="discovery",
        to_stage="pilot",
        criteria_version=version,
        requested_by=owner,
        requested_at=timezone.now(),
    )
    login(page, lead)
    page.goto(live_url("/gates/reviews/"))
    expect(page.get_by_text("Invoice matcher").first).to_be_visible()
    assert serious_violations(page) == []
