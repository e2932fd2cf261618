"""The inventory API and the delivery pipeline's change endpoint (real bearer tokens)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.services import token_create
from inventory.models import ChangeRequest, PilotAsset
from tests.factories import PilotFactory
from tests.inventory.conftest import make_pilot

pytestmark = pytest.mark.django_db


def pipeline(user) -> APIClient:
    _, secret = token_create(by=user, name="deploy pipeline")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def test_a_pipeline_posts_a_model_change_for_a_scaled_pilot(
    scaled_pilot, scaled_link, model_v2, technical_owner
):
    api = pipeline(technical_owner)
    body = {"kind": "model", "link": scaled_link.pk, "to": model_v2.pk,
            "external_id": "deploy-2026-12-02-1", "note": "Canary green"}  # fmt: skip
    first = api.post(f"/api/pilots/{scaled_pilot.pk}/changes/", body, format="json")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert (data["status"], data["classification"], data["source"]) == (
        "pending", "material", "pipeline",
    )  # fmt: skip
    assert data["review"] is not None
    # The pipeline retries: the same external id returns the first result, not a second.
    again = api.post(f"/api/pilots/{scaled_pilot.pk}/changes/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert ChangeRequest.objects.count() == 1
    listed = api.get(f"/api/pilots/{scaled_pilot.pk}/changes/").json()
    assert [c["id"] for c in listed["results"]] == [data["id"]]
    assert api.get(f"/api/changes/{data['id']}/").json()["external_id"] == body["external_id"]


def test_a_second_material_change_is_a_409_naming_the_open_one(
    scaled_pilot, scaled_link, model_v2, vendor, owner
):
    api = pipeline(owner)
    url = f"/api/pilots/{scaled_pilot.pk}/changes/"
    first = api.post(url, {"kind": "model", "link": scaled_link.pk, "to": model_v2.pk},
                     format="json").json()  # fmt: skip
    second = api.post(url, {"kind": "vendor", "to": vendor.pk, "purpose": "Hosting"},
                      format="json")  # fmt: skip
    assert second.status_code == 409
    assert f"#{first['id']}" in second.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "kind"),
        ({"kind": "robot", "to": 1}, "kind"),
        ({"kind": "model", "to": "abc"}, "to"),
        ({"kind": "model", "to": 999_999, "purpose": "x"}, "to"),
        ({"kind": "model", "link": 999_999}, "link"),
        ({"kind": "model", "to": None}, "to"),
        ({"kind": "vendor", "to": 0}, "to"),
        ({"kind": "model", "purpose": "x" * 301, "to": 1}, "purpose"),
        ({"kind": "model", "external_id": "x" * 201, "to": 1}, "external_id"),
    ],
)
def test_malformed_payloads_are_400_naming_the_field(scaled_pilot, owner, body, field):
    response = pipeline(owner).post(f"/api/pilots/{scaled_pilot.pk}/changes/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert not ChangeRequest.objects.exists()


def test_a_change_to_a_pilot_in_discovery_is_recorded_as_not_controlled(
    owner, technical_owner, change_rules, vendor
):
    pilot = make_pilot(owner, technical_owner, stage="discovery")
    response = pipeline(owner).post(
        f"/api/pilots/{pilot.pk}/changes/",
        {"kind": "vendor", "to": vendor.pk, "purpose": "Hosting"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "not_controlled"
    assert PilotAsset.objects.filter(pilot=pilot, vendor=vendor).exists()


def test_wrong_actors_on_the_change_endpoint(
    scaled_pilot, scaled_link, model_v2, executive, outsider, governance_lead
):
    body = {"kind": "model", "link": scaled_link.pk, "to": model_v2.pk}
    for user in (executive, outsider, governance_lead):
        response = pipeline(user).post(
            f"/api/pilots/{scaled_pilot.pk}/changes/", body, format="json"
        )
        assert response.status_code == 403, user
    scaled_pilot.confidential = True
    scaled_pilot.save()
    response = pipeline(outsider).post(
        f"/api/pilots/{scaled_pilot.pk}/changes/", body, format="json"
    )
    assert response.status_code == 404
    assert APIClient().post(f"/api/pilots/{scaled_pilot.pk}/changes/", body).status_code == 401
    assert not ChangeRequest.objects.exists()


def test_asset_api_writes_are_audited_and_refused_to_executives(owner, executive, db):
    api = pipeline(owner)
    created = api.post(
        "/api/inventory/vendors/",
        {"name": "Cloudly", "data_residency": "EU", "risk_rating": "low"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    vendor_id = created.json()["id"]
    assert AuditEvent.objects.filter(action="inventory.vendor.create").exists()
    changed = api.patch(f"/api/inventory/vendors/{vendor_id}/", {"risk_rating": "high"},
                        format="json")  # fmt: skip
    assert changed.status_code == 200
    event = AuditEvent.objects.get(action="inventory.vendor.update")
    assert (event.before, event.after) == ({"risk_rating": "low"}, {"risk_rating": "high"})
    duplicate = api.post("/api/inventory/vendors/", {"name": "cloudly"}, format="json")
    assert duplicate.status_code == 400
    refused = pipeline(executive).post("/api/inventory/vendors/", {"name": "X"}, format="json")
    assert refused.status_code == 403
    bad_date = api.post("/api/inventory/models/", {"provider": "P", "name": "N", "version": "1",
                        "end_of_life_on": "someday"}, format="json")  # fmt: skip
    assert bad_date.status_code == 400 and "end_of_life_on" in bad_date.json()["errors"]


def test_prompts_through_the_api_keep_immutable_versions(owner, db):
    api = pipeline(owner)
    prompt = api.post("/api/inventory/prompts/", {"identifier": "triage", "content": "Sort."},
                      format="json").json()  # fmt: skip
    assert len(prompt["versions"]) == 1
    url = f"/api/inventory/prompts/{prompt['id']}/"
    assert api.patch(url, {"content": "Edited"}, format="json").status_code == 400
    added = api.post(url + "versions/", {"content": "Sort, then rank."}, format="json")
    assert added.status_code == 201 and added.json()["number"] == 2
    assert api.post(url + "versions/", {"content": "Sort, then rank."},
                    format="json").status_code == 400  # fmt: skip


def test_used_by_lists_only_pilots_the_reader_may_see(
    client_for, owner, outsider, executive, model_v1
):
    public = PilotFactory(name="Public helper", owner=owner, stage="scale")
    secret = PilotFactory(name="Secret merger", owner=owner, confidential=True)
    for pilot in (public, secret):
        PilotAsset.objects.create(pilot=pilot, kind="model", model=model_v1, purpose="x")
    url = f"/inventory/model/{model_v1.pk}/"
    outsider_page = client_for(outsider).get(url).content.decode()
    assert "Used by 1 pilot, 1 at scale." in outsider_page
    assert "Secret merger" not in outsider_page
    executive_page = client_for(executive).get(url).content.decode()
    assert "Used by 2 pilots, 1 at scale." in executive_page and "Secret merger" in executive_page
    listing = client_for(outsider).get("/inventory/model/").content.decode()
    assert '<td class="num">1</td>' in listing
