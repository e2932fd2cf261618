"""The regulation API and pages: shapes, refusals with named fields, and what the pages show."""

import re

import pytest

from accounts.models import PilotRole
from regulation import services
from regulation.models import CatalogueVersion, Profile
from tests.factories import PilotFactory
from tests.regulation.conftest import answers

pytestmark = pytest.mark.django_db


def test_put_answers_then_get_the_profile_with_its_reasons(pilot, owner, api_for):
    api = api_for(owner)
    response = api.put(f"/api/pilots/{pilot.pk}/regulatory-profile/", answers(), format="json")
    assert response.status_code == 200, response.json()
    body = api.get(f"/api/pilots/{pilot.pk}/regulatory-profile/").json()
    assert body["version"] == 1
    assert body["classification"] == "high_risk"
    assert body["roles"] == ["deployer"]
    assert not body["confirmed"]
    assert any("Annex III point 4" in c["articles"] for c in body["conclusions"])


def test_contradictory_answers_get_a_400_naming_both_fields(pilot, owner, api_for):
    response = api_for(owner).put(
        f"/api/pilots/{pilot.pk}/regulatory-profile/",
        answers(
            exception_claimed="yes",
            exception_grounds=["preparatory"],
            exception_justification="A person always reads the ranking before deciding.",
            profiles_persons="yes",
        ),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"exception_claimed", "profiles_persons"} <= set(errors)
    assert not Profile.objects.exists()


def test_an_unknown_question_is_a_400(pilot, owner, api_for):
    response = api_for(owner).put(
        f"/api/pilots/{pilot.pk}/regulatory-profile/", answers(colour="blue"), format="json"
    )
    assert response.status_code == 400
    assert "colour" in response.json()["errors"]


def test_high_risk_beside_a_low_tier_is_a_409_naming_both(owner, api_for):
    low = PilotFactory(name="Low", owner=owner, risk_tier="low")
    response = api_for(owner).put(
        f"/api/pilots/{low.pk}/regulatory-profile/", answers(), format="json"
    )
    assert response.status_code == 409
    assert "high-risk" in response.json()["message"] and "Low" in response.json()["message"]


def test_the_owner_confirming_is_refused_and_a_lead_confirms(
    pilot, owner, governance_lead, api_for
):
    services.profile_save(pilot=pilot, answers=answers(), by=owner)
    url = f"/api/pilots/{pilot.pk}/regulatory-profile/confirm/"
    assert api_for(owner).post(url, {"version": 1}, format="json").status_code == 403
    response = api_for(governance_lead).post(url, {"version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["confirmed_by"] == governance_lead.username
    assert api_for(governance_lead).post(url, {"version": 1}, format="json").status_code == 409


def test_a_contributor_with_a_non_owner_role_cannot_answer(pilot, outsider, api_for):
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=outsider)
    response = api_for(outsider).put(
        f"/api/pilots/{pilot.pk}/regulatory-profile/", answers(), format="json"
    )
    assert response.status_code == 403


def test_an_outsider_gets_404_for_a_confidential_pilot(
    confidential_pilot, owner, outsider, api_for
):
    services.profile_save(pilot=confidential_pilot, answers=answers(), by=owner)
    for path in ("regulatory-profile/", "obligations/"):
        url = f"/api/pilots/{confidential_pilot.pk}/{path}"
        assert api_for(outsider).get(url).status_code == 404


def test_coverage_lists_each_obligation_with_its_reason(pilot, owner, governance_lead, api_for):
    services.profile_save(pilot=pilot, answers=answers(), by=owner)
    body = api_for(owner).get(f"/api/pilots/{pilot.pk}/obligations/").json()
    assert body["catalogue_version"] == CatalogueVersion.objects.order_by("-number")[0].number
    assert body["total"] == 6 and body["met"] == 0
    oversight = next(o for o in body["obligations"] if o["key"] == "deployer_oversight")
    assert oversight["article"] == "Art. 26(2)"
    assert oversight["reason"] == "Operations workbook: kill switch owner is not filled in"


def test_a_lead_edits_the_catalogue_through_the_api_and_an_executive_cannot(
    governance_lead, executive, api_for
):
    url = "/api/obligations/fria/"
    assert api_for(executive).patch(url, {"gate": "scale"}, format="json").status_code == 403
    response = api_for(governance_lead).patch(url, {"gate": "scale"}, format="json")
    assert response.status_code == 200
    assert response.json()["gate"] == "scale"
    listed = api_for(executive).get("/api/obligations/?page_size=100").json()
    assert listed["count"] == 22
    newest = response.json()["catalogue_version"]
    assert {o["catalogue_version"] for o in listed["results"]} == {newest}
    scale = api_for(executive).get("/api/obligations/?gate=scale").json()["results"]
    assert "fria" in {o["key"] for o in scale}
    bad = api_for(governance_lead).patch(url, {"evidence_name": "nope"}, format="json")
    assert bad.status_code == 400 and "evidence_name" in bad.json()["errors"]


def test_the_profile_page_shows_the_note_version_and_obligations(
    pilot, owner, governance_lead, client_for
):
    services.profile_save(pilot=pilot, answers=answers(), by=owner)
    page = client_for(governance_lead).get(f"/regulation/pilots/{pilot.pk}/").content.decode()
    assert "Not legal advice." in page
    assert "Obligations catalogue version 1" in page
    assert "Art. 26(2) Human oversight by competent people" in page
    assert "Confirm version 1" in page
    owner_page = client_for(owner).get(f"/regulation/pilots/{pilot.pk}/").content.decode()
    assert "Confirm version 1" not in owner_page


def test_the_questionnaire_form_refuses_contradictions_by_field_and_keeps_the_answers(
    pilot, owner, client_for
):
    data = answers(exception_claimed="yes", profiles_persons="yes")
    response = client_for(owner).post(f"/regulation/pilots/{pilot.pk}/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved." in page
    assert "profiles natural persons" in page
    # What was submitted is shown again, not lost.
    assert re.search(r'<input[^>]*value="employment"[^>]*checked', page)
    assert not Profile.objects.exists()


def test_the_questionnaire_form_saves_a_version(pilot, owner, client_for):
    response = client_for(owner).post(f"/regulation/pilots/{pilot.pk}/", answers())
    assert response.status_code == 302
    assert Profile.objects.get(pilot=pilot).classification == "high_risk"


def test_the_overview_filters_by_classification(pilot, owner, governance_lead, client_for):
    other = PilotFactory(name="Unprofiled bot", owner=owner)
    services.profile_save(pilot=pilot, answers=answers(), by=owner)
    page = client_for(governance_lead).get("/regulation/?classification=high_risk")
    text = page.content.decode()
    assert pilot.name in text and other.name not in text
    assert "Not legal advice." in text and "2 Aug 2026" in text


def test_the_pilot_edit_refuses_a_low_tier_beside_high_risk(pilot, owner, client_for, api_for):
    services.profile_save(pilot=pilot, answers=answers(), by=owner)
    response = api_for(owner).patch(f"/api/pilots/{pilot.pk}/", {"risk_tier": "low"}, format="json")
    assert response.status_code == 400
    assert "high-risk" in response.json()["errors"]["risk_tier"][0]


def test_the_annex_iv_draft_lists_what_is_missing_in_html_markdown_and_pdf(
    pilot, owner, client_for
):
    from portfolio.workbooks.services import workbook_save

    services.profile_save(pilot=pilot, answers=answers(), by=owner)
    workbook_save(
        pilot=pilot,
        phase="strategy",
        by=owner,
        data={"business_problem": "Claims wait nine days for a first look."},
    )
    client = client_for(owner)
    page = client.get(f"/regulation/pilots/{pilot.pk}/documents/annex-iv/").content.decode()
    assert "Claims wait nine days for a first look." in page
    assert "Still missing:" in page and "Declaration of conformity" in page
    assert "Not legal advice." in page
    markdown = client.get(f"/regulation/pilots/{pilot.pk}/documents/annex-iv.md")
    text = markdown.content.decode()
    assert markdown["Content-Type"].startswith("text/markdown")
    assert "## Still missing" in text and "Business problem" in text.split("## Still missing")[0]
    assert "- 8. EU declaration of conformity: Declaration of conformity" in text
    pdf = client.get(f"/regulation/pilots/{pilot.pk}/documents/annex-iv.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_fria_draft_cites_article_27(pilot, owner, client_for):
    services.profile_save(
        pilot=pilot, answers=answers(annex_iii_areas=["essential_services"]), by=owner
    )
    client = client_for(owner)
    profile_page = client.get(f"/regulation/pilots/{pilot.pk}/").content.decode()
    assert f"/regulation/pilots/{pilot.pk}/documents/fria/" in profile_page
    page = client.get(f"/regulation/pilots/{pilot.pk}/documents/fria/").content.decode()
    assert "Art. 27(1)(c)" in page
    assert client.get(f"/regulation/pilots/{pilot.pk}/documents/other/").status_code == 404


def test_the_pilot_page_history_reads_the_profile_events(pilot, owner, governance_lead, client_for):
    profile = services.profile_save(pilot=pilot, answers=answers(), by=owner)
    services.profile_confirm(pilot=pilot, version=profile.version, by=governance_lead)
    response = client_for(owner).get(f"/pilots/{pilot.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "EU AI Act profile answered" in page and "EU AI Act profile confirmed" in page
    assert "/regulation/pilots/" in page  # the gate panel links to the profile
