"""An owner classifies a high-risk deployer pilot under the EU AI Act, sees the obligations it
must evidence, fills the evidence; a governance lead confirms the profile, and the lead's
review of the gate shows the obligations passing."""

import pytest
from playwright.sync_api import expect

from accounts.models import PilotRole
from gates.models import CriteriaVersion, Gate, Review
from tests.browser.conftest import htmx_ready
from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The answers of a hiring screen used in-house: (input id, checked).
HIGH_RISK_DEPLOYER = (
    "#id_prohibited_practices_8",  # None of these
    "#id_annex_i_product_1",  # No
    "#id_annex_iii_areas_3",  # Work: recruiting ...
    "#id_exception_claimed_1",  # No
    "#id_transparency_4",  # None of these
    "#id_gpai_1",  # built on another provider's model
    "#id_develops_1",
    "#id_rebrands_1",
    "#id_uses_0",  # Yes: we use it
    "#id_imports_1",
    "#id_distributes_1",
    "#id_public_service_1",
)


def test_owner_classifies_fills_the_evidence_and_the_leads_review_shows_it_passing(
    browser, live_url, login
):
    owner = UserFactory(username="hana", roles=["contributor"])
    tech = UserFactory(username="theo", roles=["contributor"])
    lead = UserFactory(username="greta", roles=["governance_lead"])
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    # The gate's own criteria are kept small; the regulation app adds its own to them.
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
            }
        ],
    )
    pilot = PilotFactory(name="Candidate screening helper", owner=owner, risk_tier="high")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=tech)

    page = browser.new_page()
    login(page, owner)
    page.goto(live_url(f"/pilots/{pilot.pk}/"))
    page.get_by_role("link", name="EU AI Act profile").click()
    for box in HIGH_RISK_DEPLOYER:
        page.check(box)
    page.get_by_role("button", name="Save the profile").click()
    expect(page.locator("#profile-result h2")).to_have_text("Version 1: High-risk, Deployer")
    oversight = page.locator("#obligation-deployer_oversight")
    expect(oversight).to_contain_text("Art. 26(2) Human oversight by competent people")
    expect(oversight).to_contain_text("Not met")
    expect(page.locator("#obligations-heading")).to_have_text("Obligations: 0 of 6 met")

    lead_page = browser.new_page()
    login(lead_page, lead)
    lead_page.goto(live_url(f"/regulation/pilots/{pilot.pk}/"))
    lead_page.get_by_role("button", name="Confirm version 1").click()
    expect(lead_page.locator("#profile-result")).to_contain_text(f"Confirmed by {lead}")

    # The evidence: the kill-switch owner (operations workbook) and AI literacy (checklist).
    page.reload()
    oversight.get_by_role("link").click()
    htmx_ready(page)
    page.locator("#id_kill_switch_owner").select_option("theo")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("#id_kill_switch_owner").blur()
    page.goto(live_url(f"/regulation/pilots/{pilot.pk}/"))
    page.locator("#obligation-ai_literacy").get_by_role("link").click()
    page.get_by_label("People know who is accountable for AI risk").select_option("addressed")
    page.get_by_role("button", name="Save checklist").click()
    page.goto(live_url(f"/regulation/pilots/{pilot.pk}/"))
    expect(page.locator("#obligation-deployer_oversight")).to_contain_text("Met")
    expect(page.locator("#obligation-ai_literacy")).to_contain_text("Met")

    page.goto(live_url(f"/gates/pilots/{pilot.pk}/request/"))
    page.get_by_role("button", name="Request review").click()
    review = Review.objects.get(pilot=pilot)

    frozen = {r.criterion_key: r for r in review.frozen_evaluation().results}
    assert frozen["eu_ai_act_deployer_oversight"].mandatory
    assert frozen["eu_ai_act_deployer_oversight"].status == "pass"

    lead_page.goto(live_url(f"/gates/reviews/{review.pk}/"))
    results = lead_page.locator("table.results").first
    row = results.locator("tr", has_text="Art. 26(2) Human oversight by competent people")
    expect(row).to_contain_text("Pass")
    expect(row).to_contain_text("Operations workbook: kill switch owner is filled in")
    literacy = results.locator("tr", has_text="Art. 4 AI literacy")
    expect(literacy).to_contain_text("Pass")
    expect(results.locator("tr", has_text="EU AI Act profile confirmed")).to_contain_text(str(lead))
