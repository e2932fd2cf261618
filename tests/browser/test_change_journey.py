"""A delivery pipeline posts a model change for a scaled pilot (real HTTP, an API token);
the change is material, so a change review opens; a governance lead approves it in the
browser; the pilot keeps its stage, uses the new model, and its metric chart marks the
change."""

import json
import urllib.request
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import PilotRole
from accounts.services import token_create
from gates.models import CriteriaVersion, Gate
from inventory.models import AIModel, ChangeRequest, ChangeRule, PilotAsset, Vendor
from metrics.models import MetricDefinition, MetricRollup
from portfolio.models import Pilot
from tests.browser.conftest import htmx_ready
from tests.factories import PilotFactory, UserFactory
from tests.inventory.conftest import CRITERIA, load_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _scaled_pilot_with_a_model():
    if not ChangeRule.objects.exists():
        load_rules(django_apps, None)
    gate = Gate.objects.get(from_stage="readiness", to_stage="scale")
    CriteriaVersion.objects.create(gate=gate, number=gate.versions.count() + 1, criteria=CRITERIA)
    owner = UserFactory(username="oona", roles=["contributor"])
    tech = UserFactory(username="theo", roles=["contributor"])
    pilot = PilotFactory(name="Claims letter drafter", owner=owner, stage="scale")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=tech)
    vendor = Vendor.objects.create(name="Northwind AI")
    old = AIModel.objects.create(provider="Northwind AI", name="Quill", version="2025-03",
                                 vendor=vendor)  # fmt: skip
    new = AIModel.objects.create(provider="Northwind AI", name="Quill", version="2026-09",
                                 vendor=vendor)  # fmt: skip
    link = PilotAsset.objects.create(pilot=pilot, kind="model", model=old, purpose="Drafts")
    metric = MetricDefinition.objects.get(key="error_rate")
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ago in range(6):
        day = today - timedelta(days=days_ago)
        MetricRollup.objects.create(
            pilot=pilot, metric=metric, period="day", bucket_start=day, count=4, total=0.08,
            minimum=0.01, maximum=0.03, p95=0.03, last=0.02, last_at=day,
        )  # fmt: skip
    return tech, pilot, link, new


def test_pipeline_change_is_reviewed_approved_and_marked_on_the_chart(browser, live_url, login):
    tech, pilot, link, new = _scaled_pilot_with_a_model()
    lead = UserFactory(username="gina", roles=["governance_lead"])
    _, secret = token_create(by=tech, name="deploy pipeline")

    body = {"kind": "model", "link": link.pk, "to": new.pk,
            "external_id": "deploy-42", "note": "Canary green for 24 hours"}  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 (the live test server)
        live_url(f"/api/pilots/{pilot.pk}/changes/"),
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 201
        posted = json.loads(response.read())
    assert (posted["status"], posted["classification"]) == ("pending", "material")

    page = browser.new_page()
    login(page, lead)
    page.goto(live_url(f"/gates/reviews/{posted['review']}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change review")
    htmx_ready(page)
    page.get_by_label("Approve", exact=True).check()
    page.get_by_label("Rationale").fill("Same behaviour on the regression set.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#review-status")).to_have_text("Approved")

    change = ChangeRequest.objects.get(pk=posted["id"])
    link.refresh_from_db()
    assert change.status == "approved" and link.model_id == new.pk
    assert Pilot.objects.get(pk=pilot.pk).stage == "scale"

    page.goto(live_url(f"/pilots/{pilot.pk}/"))
    chart = page.locator(".chart[data-figure='fig-metric-0']")
    chart.scroll_into_view_if_needed()
    expect(chart.get_by_text(f"Change #{change.pk}: model")).to_be_visible()
    shapes = chart.evaluate(
        "el => (el.layout || el.querySelector('.js-plotly-plot').layout).shapes"
    )
    assert [s["type"] for s in shapes] == ["line"]
    expect(page.locator("#assets")).to_contain_text("Northwind AI Quill 2026-09")
    page.close()
