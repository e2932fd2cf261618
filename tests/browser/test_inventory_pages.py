"""Every inventory page at a desktop and a phone width: no axe (WCAG 2 A/AA) violation,
nothing wider than the screen, and the forms' errors in the error summary."""

import pytest
from django.apps import apps as django_apps

from inventory import services
from inventory.models import AIModel, ChangeRule, Dataset, PilotAsset, Vendor
from tests.browser.axe import violations
from tests.browser.test_change_journey import _scaled_pilot_with_a_model
from tests.factories import UserFactory
from tests.inventory.conftest import load_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}


def test_inventory_pages_are_accessible_and_fit_a_phone(browser, live_url, login):
    if not ChangeRule.objects.exists():
        load_rules(django_apps, None)
    tech, pilot, link, new = _scaled_pilot_with_a_model()
    lead = UserFactory(username="gail", roles=["governance_lead"])
    prompt = services.prompt_create(by=tech, identifier="letter-prompt", content="Be plain.")
    dataset = Dataset.objects.create(name="Letters 2024", legal_basis="contract")
    PilotAsset.objects.create(pilot=pilot, kind="dataset", dataset=dataset, purpose="Examples")
    change = services.change_request(
        pilot=pilot, by=tech, kind="model", link=link, to_asset=new, note="Retiring"
    ).change
    vendor = Vendor.objects.get()
    model = AIModel.objects.order_by("pk").first()
    pages = [
        (tech, "/inventory/model/"),
        (tech, f"/inventory/model/{model.pk}/"),
        (tech, f"/inventory/prompt/{prompt.pk}/"),
        (tech, f"/inventory/vendor/{vendor.pk}/"),
        (tech, f"/inventory/dataset/{dataset.pk}/edit/"),
        (tech, "/inventory/vendor/new/"),
        (tech, f"/inventory/pilots/{pilot.pk}/link/"),
        (tech, f"/inventory/pilots/{pilot.pk}/links/{link.pk}/"),
        (tech, f"/inventory/changes/{change.pk}/"),
        (lead, "/inventory/change-rules/"),
        (lead, f"/gates/reviews/{change.review_id}/"),
    ]
    problems = []
    for _size, (width, height) in VIEWPORTS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        who = None
        for user, path in pages:
            if user != who:
                page.context.clear_cookies()
                login(page, user)
                who = user
            response = page.goto(live_url(path))
            assert response is not None and response.status == 200, path
            assert "/accounts/login/" not in page.url, path  # signed in, not sent to log in
            page.wait_for_load_state("networkidle")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{path} at {width} px is {wide} px wide")
            problems += [f"{path} at {width} px: {v['id']} {v['nodes']}" for v in violations(page)]
        # A form sent empty: the error summary names the fields.
        page.goto(live_url("/inventory/vendor/new/"))
        page.get_by_role("button", name="Add vendor").click()
        page.wait_for_load_state("networkidle")
        if not page.locator("[data-error-summary]").count():
            problems.append(f"vendor form at {width} px: no error summary")
        context.close()
    assert problems == [], "\n".join(problems)
