"""Inventory pages: forms through the project's renderer, the pilot page's section, the
change page's before-and-after comparison and the chart markers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from dashboard import charts
from dashboard.pilot import pilot_metric_series
from gates import services as gate_services
from inventory.models import ChangeRequest, PilotAsset, Vendor
from metrics.models import MetricDefinition, MetricRollup, Snapshot

pytestmark = pytest.mark.django_db


def test_recording_a_vendor_through_the_page(client_for, owner):
    client = client_for(owner)
    assert client.get("/inventory/vendor/new/").status_code == 200
    bad = client.post("/inventory/vendor/new/", {"name": "", "risk_rating": "extreme"})
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "error-summary" in page and "Name" in page and "Risk rating" in page
    good = client.post(
        "/inventory/vendor/new/",
        {"name": "Cloudly", "risk_rating": "low", "contract_end": "2027-03-31"},
    )
    vendor = Vendor.objects.get(name="Cloudly")
    assert good.status_code == 302 and good["Location"] == vendor.get_absolute_url()
    assert AuditEvent.objects.filter(action="inventory.vendor.create").exists()
    detail = client.get(vendor.get_absolute_url()).content.decode()
    assert "31 Mar 2027" in detail and "Used by 0 pilots." in detail


def test_executives_cannot_open_the_forms(client_for, executive):
    assert client_for(executive).get("/inventory/model/new/").status_code == 403
    assert client_for(executive).get("/inventory/model/").status_code == 200


def test_an_unknown_kind_is_404(client_for, owner):
    assert client_for(owner).get("/inventory/robots/").status_code == 404
    assert client_for(owner).get("/inventory/model/999999/").status_code == 404


def test_prompt_pages_add_versions(client_for, owner):
    client = client_for(owner)
    client.post("/inventory/prompt/new/", {"identifier": "triage", "content": "Sort claims."})
    from inventory.models import Prompt

    prompt = Prompt.objects.get()
    response = client.post(f"/inventory/prompts/{prompt.pk}/versions/", {"content": "Sort claims."})
    assert response.status_code == 400
    assert "content of version 1 already" in response.content.decode()
    client.post(f"/inventory/prompts/{prompt.pk}/versions/", {"content": "Sort, then rank."})
    assert prompt.versions.count() == 2


def test_the_pilot_page_lists_assets_and_the_change_page_opens_a_review(
    client_for, scaled_pilot, scaled_link, model_v2, owner
):
    client = client_for(owner)
    page = client.get(scaled_pilot.get_absolute_url()).content.decode()
    assert 'id="assets"' in page and "Modelworks Writer 2024-05" in page
    url = f"/inventory/pilots/{scaled_pilot.pk}/links/{scaled_link.pk}/"
    form = client.get(url).content.decode()
    assert "Replace with" in form and "Modelworks Writer 2024-08" in form
    response = client.post(url, {"to": f"model:{model_v2.pk}", "note": "New version"})
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and change.status == "pending"
    again = client.post(url, {"to": "remove", "note": ""})
    assert again.status_code == 409 and f"#{change.pk}" in again.content.decode()
    detail = client.get(change.get_absolute_url()).content.decode()
    assert "Waiting for a change review" in detail and f"Review #{change.review_id}" in detail


def test_the_review_page_words_a_change_review(
    client_for, scaled_pilot, scaled_link, model_v2, owner, governance_lead
):
    from inventory.services import change_request

    change = change_request(
        pilot=scaled_pilot, by=owner, kind="model", link=scaled_link, to_asset=model_v2
    ).change
    page = client_for(governance_lead).get(f"/gates/reviews/{change.review_id}/").content.decode()
    assert "Change review: " in page and "the pilot stays in Scale" in page
    assert "The change is applied now." in page
    assert "moves to Scale" not in page


def test_change_page_compares_metric_means_before_and_after(
    client_for, scaled_pilot, scaled_link, model_v2, owner, governance_lead, settings
):
    from inventory.services import change_request

    settings.INVENTORY_CHANGE_WINDOW_DAYS = 7
    change = change_request(
        pilot=scaled_pilot, by=owner, kind="model", link=scaled_link, to_asset=model_v2
    ).change
    gate_services.review_decide(review=change.review, decision="approve", by=governance_lead)
    change.refresh_from_db()
    at = change.applied_at
    metric = MetricDefinition.objects.get(key="error_rate")
    rows = (
        [(at - timedelta(days=d), 0.10) for d in (1, 2)]
        + [(at + timedelta(days=d), 0.04) for d in (1, 2, 3)]
        + [(at - timedelta(days=9), 0.9)]
    )  # outside the window: not counted
    Snapshot.objects.bulk_create(
        [Snapshot(pilot=scaled_pilot, metric=metric, observed_at=when, value=value, source="t")
         for when, value in rows]
    )  # fmt: skip
    page = client_for(owner).get(change.get_absolute_url()).content.decode()
    assert "Metrics 7 days before and after" in page
    assert "0.10" in page and "0.04" in page and "-0.06" in page and "2 / 3" in page
    assert "Error rate" in page


def test_metric_charts_mark_applied_changes(scaled_pilot, scaled_link, model_v2, owner):
    from inventory.services import change_request

    metric = MetricDefinition.objects.get(key="error_rate")
    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    MetricRollup.objects.create(
        pilot=scaled_pilot,
        metric=metric,
        period="day",
        bucket_start=day,
        total=0.2,
        count=2,
        minimum=0.1,
        maximum=0.1,
        p95=0.1,
        last=0.1,
        last_at=day,
    )
    # Applied changes only: a change still waiting for its review is not on the chart.
    link = PilotAsset.objects.create(
        pilot=scaled_pilot, kind="vendor", vendor=model_v2.vendor, purpose="Hosting"
    )
    recorded = change_request(pilot=scaled_pilot, by=owner, kind="vendor", link=link).change
    assert recorded.status == "recorded"
    change_request(pilot=scaled_pilot, by=owner, kind="model", link=scaled_link, to_asset=model_v2)
    series = pilot_metric_series(scaled_pilot)["metrics"][0]
    assert [c["label"] for c in series["changes"]] == [f"Change #{recorded.pk}: vendor"]
    figure = charts.metric_figure(series, scaled_pilot.get_absolute_url())
    (shape,) = figure["layout"]["shapes"]
    assert shape["x0"] == recorded.applied_at.date().isoformat()
    assert figure["layout"]["annotations"][0]["text"] == f"Change #{recorded.pk}: vendor"


def test_governance_leads_edit_rules_on_the_page(client_for, governance_lead, owner, change_rules):
    from inventory.models import ChangeRule

    rule = ChangeRule.objects.get(asset_kind="prompt", aspect="content", risk_tier="")
    page = client_for(owner).get("/inventory/change-rules/").content.decode()
    assert "Prompt content" in page and "Governance leads edit these rules." in page
    refused = client_for(owner).post(
        "/inventory/change-rules/", {"rule": rule.pk, f"r{rule.pk}-classification": "material"}
    )
    assert refused.status_code == 403
    saved = client_for(governance_lead).post(
        "/inventory/change-rules/",
        {"rule": rule.pk, f"r{rule.pk}-classification": "material", f"r{rule.pk}-explanation": "x"},
    )
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert rule.classification == "material"
