"""ISO/IEC 42001 Annex A as a scored checklist, and the crosswalk between NIST AI RMF,
ISO/IEC 42001 and EU AI Act obligation keys: data, answers counted once, coverage, the
pages and the API."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent
from gates import crosswalk, selectors, services
from gates.checklists import CHECKLISTS, ISO_42001, NIST_AI_RMF, overall_score, section_scores
from gates.models import ChecklistAnswer, CrosswalkLink, Gate

pytestmark = pytest.mark.django_db

AIACT_KEYS = {
    "aiact.art9_risk_management",
    "aiact.art10_data_governance",
    "aiact.art11_technical_documentation",
    "aiact.art12_record_keeping",
    "aiact.art13_transparency_to_deployers",
    "aiact.art14_human_oversight",
    "aiact.art15_accuracy_robustness",
    "aiact.art17_quality_management",
    "aiact.art26_deployer_duties",
    "aiact.art27_fria",
    "aiact.art50_transparency",
    "aiact.art4_ai_literacy",
    "aiact.art72_post_market_monitoring",
    "aiact.art73_serious_incidents",
}


def _answer(pilot, by, checklist, **answers):
    return services.checklist_answer_set(pilot=pilot, checklist=checklist, answers=answers, by=by)


# --- the ISO/IEC 42001 checklist -------------------------------------------------------


def test_iso_42001_lists_the_annex_a_controls_by_number():
    assert [s.title.split()[0] for s in ISO_42001.sections] == [f"A.{n}" for n in range(2, 11)]
    refs = [item.ref for _, item in ISO_42001.items()]
    assert len(refs) == len(set(refs)) == 38
    assert refs[:3] == ["A.2.2", "A.2.3", "A.2.4"]
    assert "A.6.1.2" in refs and "A.6.2.8" in refs and refs[-1] == "A.10.4"
    for section, item in ISO_42001.items():
        # The key is the control number, under its control objective.
        assert item.key == "a_" + item.ref[2:].replace(".", "_")
        assert item.ref.startswith(section.title.split()[0] + ".")
        assert item.title and item.text.endswith("?")


def test_iso_42001_scores_the_share_of_each_objective_and_the_lowest_overall():
    answers = {"a_2_2": "addressed", "a_2_3": "partial", "a_3_2": "addressed"}
    scores = section_scores(ISO_42001, answers)
    assert scores["a_2"] == 0.5  # (1 + 0.5 + 0) / 3
    assert scores["a_3"] == 0.5
    assert scores["a_6"] == 0.0
    assert overall_score(ISO_42001, answers) == 0.0
    every = {item.key: "addressed" for _, item in ISO_42001.items()}
    assert overall_score(ISO_42001, every) == 1.0


def test_iso_42001_attaches_item_by_item_and_its_answers_decide_the_criteria(
    ready_pilot, owner, governance_lead
):
    gate = Gate.objects.get(from_stage="discovery")
    with pytest.raises(ValidationError) as exc:
        services.checklist_attach(gate=gate, checklist="iso_42001", min_score=1, by=governance_lead)
    assert "attach its items" in exc.value.message_dict["mode"][0]
    version = services.checklist_attach(
        gate=gate, checklist="iso_42001", mode="items", mandatory=True, by=governance_lead
    )
    keys = {c["key"] for c in version.criteria if c["key"].startswith("iso_42001_")}
    assert len(keys) == 38
    label = next(c["label"] for c in version.criteria if c["key"] == "iso_42001_a_6_2_4")
    assert "A.6.2.4 Verification and validation" in label

    _answer(ready_pilot, owner, "iso_42001", a_6_2_4="partial")
    results = _live(ready_pilot, gate)
    assert results["iso_42001_a_6_2_4"].status == "pass"
    assert results["iso_42001_a_6_2_5"].status == "fail"


def _live(pilot, gate):
    evaluation = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now()).evaluation
    return {r.criterion_key: r for r in evaluation.results}


# --- the crosswalk as data -------------------------------------------------------------


def test_the_crosswalk_is_loaded_and_every_key_it_names_exists():
    links = crosswalk.links()
    assert links and {link.version for link in links} == {1}
    assert CrosswalkLink.objects.count() == len(links)
    nist = {item.key for _, item in NIST_AI_RMF.items()}
    iso = {item.key for _, item in ISO_42001.items()}
    for link in links:
        assert sum(bool(k) for k in (link.nist, link.iso, link.aiact)) >= 2, link
        assert not link.nist or link.nist in nist, link
        assert not link.iso or link.iso in iso, link
        assert not link.aiact or link.aiact in crosswalk.AIACT_LABELS, link
    assert {link.aiact for link in links if link.aiact} == AIACT_KEYS == set(crosswalk.AIACT_LABELS)
    # Every NIST category maps to at least one ISO control.
    assert {link.nist for link in links if link.nist and link.iso} == nist


def test_the_newest_version_is_the_one_in_use():
    CrosswalkLink.objects.create(version=2, nist="map_1", iso="a_2_2", aiact="")
    assert crosswalk.links() == (crosswalk.Link(2, "map_1", "a_2_2", ""),)
    assert len(crosswalk.links(version=1)) > 1


def test_mapped_goes_both_ways_and_names_the_ai_act_keys():
    assert crosswalk.mapped("nist_ai_rmf.measure_3") == {
        "iso_42001.a_6_2_6",
        "iso_42001.a_6_2_8",
        "aiact.art72_post_market_monitoring",
        "aiact.art12_record_keeping",
    }
    assert "nist_ai_rmf.measure_3" in crosswalk.mapped("iso_42001.a_6_2_8")
    assert crosswalk.mapped("aiact.art12_record_keeping") == {
        "nist_ai_rmf.measure_3",
        "iso_42001.a_6_2_8",
    }
    assert crosswalk.mapped("iso_42001.nope") == set()


# --- an answer given once --------------------------------------------------------------


def test_a_nist_answer_satisfies_the_mapped_iso_controls_and_says_so(
    pilot, owner, client_for, executive
):
    _answer(pilot, owner, "nist_ai_rmf", measure_3="addressed")
    effective = crosswalk.effective_answers(crosswalk.pilot_answers(pilot), crosswalk.links())
    assert effective["iso_42001"]["a_6_2_8"] == crosswalk.Answer(
        "addressed", via="nist_ai_rmf.measure_3"
    )
    assert effective["iso_42001"]["a_6_2_6"].via == "nist_ai_rmf.measure_3"
    assert effective["iso_42001"]["a_2_2"] == crosswalk.Answer("")
    # Not copied: nothing is stored for the ISO checklist.
    assert not ChecklistAnswer.objects.filter(pilot=pilot, checklist="iso_42001").exists()

    html = client_for(executive).get(f"/gates/pilots/{pilot.pk}/checklists/iso_42001/")
    text = html.content.decode()
    assert "Counted as in place: answered via NIST AI RMF MEASURE 3 (Addressed there)" in text


def test_an_iso_answer_satisfies_the_mapped_nist_category(pilot, owner):
    _answer(pilot, owner, "iso_42001", a_8_4="partial")
    effective = crosswalk.effective_answers(crosswalk.pilot_answers(pilot), crosswalk.links())
    assert effective["nist_ai_rmf"]["manage_4"] == crosswalk.Answer(
        "partial", via="iso_42001.a_8_4"
    )


def test_an_explicit_answer_on_the_mapped_item_wins(pilot, owner):
    _answer(pilot, owner, "nist_ai_rmf", measure_3="addressed")
    _answer(pilot, owner, "iso_42001", a_6_2_8="partial")
    effective = crosswalk.effective_answers(crosswalk.pilot_answers(pilot), crosswalk.links())
    assert effective["iso_42001"]["a_6_2_8"] == crosswalk.Answer("partial")
    assert effective["nist_ai_rmf"]["measure_3"] == crosswalk.Answer("addressed")
    # Scores use the item's own answer: A.6 has one half point of nine.
    given = {k: a.status for k, a in effective["iso_42001"].items()}
    assert section_scores(ISO_42001, given)["a_6"] == round((0.5 + 1) / 9, 3)


def test_the_best_mapped_answer_counts_and_it_never_chains(pilot, owner):
    # A.6.2.4 maps to MEASURE 1 and MEASURE 2; the better answer counts.
    _answer(pilot, owner, "nist_ai_rmf", measure_1="partial", measure_2="addressed")
    # A.3.2 maps to GOVERN 2 and GOVERN 3; GOVERN 2 maps on to A.4.6, which must stay open.
    _answer(pilot, owner, "iso_42001", a_3_2="addressed")
    effective = crosswalk.effective_answers(crosswalk.pilot_answers(pilot), crosswalk.links())
    assert effective["iso_42001"]["a_6_2_4"] == crosswalk.Answer(
        "addressed", via="nist_ai_rmf.measure_2"
    )
    assert effective["nist_ai_rmf"]["govern_2"].via == "iso_42001.a_3_2"
    assert effective["iso_42001"]["a_4_6"] == crosswalk.Answer("")


def test_a_crosswalk_answer_passes_the_mapped_gate_criterion(ready_pilot, owner, governance_lead):
    gate = Gate.objects.get(from_stage="discovery")
    services.checklist_attach(
        gate=gate, checklist="iso_42001", mode="items", mandatory=True, by=governance_lead
    )
    _answer(ready_pilot, owner, "nist_ai_rmf", measure_3="addressed")
    results = _live(ready_pilot, gate)
    assert results["iso_42001_a_6_2_8"].status == "pass"
    assert results["iso_42001_a_6_2_6"].status == "pass"
    assert results["iso_42001_a_6_2_7"].status == "fail"


def test_coverage_per_framework_counts_direct_crosswalk_and_open(pilot, owner):
    _answer(pilot, owner, "nist_ai_rmf", measure_3="addressed", map_1="partial")
    _answer(pilot, owner, "iso_42001", a_2_2="addressed", a_6_2_8="partial")
    effective = crosswalk.effective_answers(crosswalk.pilot_answers(pilot), crosswalk.links())
    # ISO: A.2.2 and A.6.2.8 directly; via MEASURE 3: A.6.2.6; via MAP 1: A.6.2.2, A.9.3,
    # A.9.4. NIST: MEASURE 3 and MAP 1 directly; GOVERN 1 via A.2.2.
    assert crosswalk.coverage("iso_42001", effective["iso_42001"]) == crosswalk.Coverage(2, 4, 32)
    assert crosswalk.coverage("nist_ai_rmf", effective["nist_ai_rmf"]) == crosswalk.Coverage(
        2, 1, 16
    )


def test_satisfied_items_include_ai_act_keys_only_when_every_mapped_item_is_in_place(pilot, owner):
    _answer(pilot, owner, "nist_ai_rmf", measure_3="addressed")
    done = crosswalk.satisfied_items(pilot)
    assert {"nist_ai_rmf.measure_3", "iso_42001.a_6_2_8", "iso_42001.a_6_2_6"} <= done
    # Art. 12 needs MEASURE 3 and A.6.2.8: both in place, one via the crosswalk.
    assert "aiact.art12_record_keeping" in done
    # Art. 72 also needs MANAGE 4; A.6.2.6 alone is not enough.
    assert "aiact.art72_post_market_monitoring" not in done
    _answer(pilot, owner, "nist_ai_rmf", manage_4="partial")
    assert "aiact.art72_post_market_monitoring" in crosswalk.satisfied_items(pilot)


# --- who answers, and bad input ----------------------------------------------------------


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "outsider", "admin_user"])
def test_only_owners_answer_the_iso_checklist(request, pilot, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        _answer(pilot, user, "iso_42001", a_2_2="addressed")
    assert not ChecklistAnswer.objects.filter(pilot=pilot).exists()


def test_a_confidential_pilot_stays_invisible(confidential_pilot, outsider):
    with pytest.raises(Http404):
        _answer(confidential_pilot, outsider, "iso_42001", a_2_2="addressed")


def test_bad_answers_are_refused_naming_the_item(pilot, owner):
    with pytest.raises(ValidationError) as exc:
        _answer(pilot, owner, "iso_42001", a_2_2="perfect", a_99="addressed", a_2_3="partial")
    errors = exc.value.message_dict
    assert errors["a_2_2"] == ["Choose one of: Not yet, Partly in place, In place."]
    assert errors["a_99"] == ["Unknown item of the ISO/IEC 42001 Annex A."]
    assert "a_2_3" not in errors
    assert not ChecklistAnswer.objects.filter(pilot=pilot).exists()


# --- pages ---------------------------------------------------------------------------------


def test_the_iso_page_shows_coverage_and_the_owner_saves_it(pilot, owner, client_for):
    _answer(pilot, owner, "nist_ai_rmf", map_1="addressed")
    url = f"/gates/pilots/{pilot.pk}/checklists/iso_42001/"
    page = client_for(owner).get(url).content.decode()
    assert "A.6.2.2 Requirements: " in page
    coverage = re.sub(r"\s+", " ", page.split('id="checklist-coverage"')[1].split("</ul>")[0])
    assert "<strong>0</strong> of 38 in place by an answer given here" in coverage
    assert "<strong>3</strong> in place via the crosswalk" in coverage
    assert "<strong>35</strong> still open" in coverage
    assert 'href="/gates/crosswalk/"' in page

    response = client_for(owner).post(url, {"a_2_2": "addressed", "a_6_2_2": "partial"})
    assert response.status_code == 302
    stored = dict(
        ChecklistAnswer.objects.filter(pilot=pilot, checklist="iso_42001").values_list(
            "item", "status"
        )
    )
    assert stored == {"a_2_2": "addressed", "a_6_2_2": "partial"}
    event = AuditEvent.objects.filter(action="checklist.answer").latest("id")
    assert event.after == {"checklist": "iso_42001", "a_2_2": "addressed", "a_6_2_2": "partial"}


def test_the_iso_page_refuses_a_bad_value_and_the_wrong_actor(pilot, owner, executive, client_for):
    url = f"/gates/pilots/{pilot.pk}/checklists/iso_42001/"
    bad = client_for(owner).post(url, {"a_2_2": "always"})
    assert bad.status_code == 400
    assert "Choose one of: Not yet, Partly in place, In place." in bad.content.decode()
    assert client_for(executive).post(url, {"a_2_2": "addressed"}).status_code == 403
    assert not ChecklistAnswer.objects.filter(pilot=pilot).exists()


def test_the_crosswalk_page_lists_every_mapping(executive, client_for, django_assert_num_queries):
    client = client_for(executive)
    client.get("/gates/crosswalk/")  # warm the session
    # The page's own query reads every link at once: the same count for 2 links as for 45
    # (the rest: session, user, roles, and the navigation's My work count with the
    # recertification intervals).
    with django_assert_num_queries(6):
        page = client.get("/gates/crosswalk/")
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("<tr>") == len(crosswalk.links()) + 1 > 40
    assert "A.6.2.8</strong> Event logs" in text
    assert "Art. 12 Record-keeping (logs)" in text and "aiact.art12" not in text
    assert "not legal advice" in text
    CrosswalkLink.objects.create(version=2, nist="map_1", iso="a_2_2", aiact="")
    CrosswalkLink.objects.create(version=2, nist="", iso="a_8_5", aiact="aiact.art50_transparency")
    with django_assert_num_queries(6):
        smaller = client.get("/gates/crosswalk/").content.decode()
    assert smaller.count("<tr>") == 3 and "Crosswalk version 2." in smaller


# --- API -----------------------------------------------------------------------------------


def test_api_reads_the_iso_checklist_with_its_crosswalk_answers(pilot, owner, executive, api_for):
    _answer(pilot, owner, "nist_ai_rmf", measure_3="addressed")
    _answer(pilot, owner, "iso_42001", a_2_2="partial")
    body = api_for(executive).get(f"/api/pilots/{pilot.pk}/checklists/iso_42001/").json()
    assert body["title"] == "ISO/IEC 42001 Annex A"
    assert body["coverage"] == {"direct": 1, "crosswalk": 2, "open": 35}
    items = {item["key"]: item for item in body["items"]}
    assert items["a_6_2_8"] | {"text": ""} == {
        "key": "a_6_2_8",
        "ref": "A.6.2.8",
        "title": "Event logs",
        "text": "",
        "section": "a_6",
        "answer": "",
        "effective": "addressed",
        "in_place": True,
        "via": "nist_ai_rmf.measure_3",
        "via_label": "NIST AI RMF MEASURE 3",
    }
    assert items["a_2_2"]["answer"] == "partial" and items["a_2_2"]["via"] is None
    assert {s["key"]: s["score"] for s in body["sections"]}["a_6"] == round(2 / 9, 3)
    ml = api_for(executive).get(f"/api/pilots/{pilot.pk}/checklists/ml_test_score/").json()
    assert ml["coverage"] is None and len(ml["items"]) == 28


def test_api_stores_good_answers_and_names_the_bad_ones(pilot, owner, api_for):
    url = f"/api/pilots/{pilot.pk}/checklists/iso_42001/"
    response = api_for(owner).patch(
        url,
        {"answers": {"a_2_2": "addressed", "a_2_3": "maybe", "a_1_1": "partial", "a_2_4": 1}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"answers.a_2_3", "answers.a_1_1", "answers.a_2_4"}
    assert body["errors"]["answers.a_1_1"] == ["Unknown item of the ISO/IEC 42001 Annex A."]
    assert '"partial" (Partly in place)' in body["errors"]["answers.a_2_3"][0]
    assert body["saved"] == ["a_2_2"]
    assert ChecklistAnswer.objects.get(pilot=pilot, checklist="iso_42001").item == "a_2_2"
    assert AuditEvent.objects.filter(action="checklist.answer", pilot_id=pilot.pk).count() == 1

    ok = api_for(owner).patch(url, {"answers": {"a_2_3": "partial"}}, format="json")
    assert ok.status_code == 200
    assert ok.json()["coverage"]["direct"] == 2
    assert api_for(owner).patch(url, {"answers": ["a_2_3"]}, format="json").status_code == 400
    assert api_for(owner).patch(url, {}, format="json").json()["errors"] == {
        "answers": ["This field is required."]
    }


def test_api_refuses_wrong_actors_and_unknown_checklists(
    pilot, confidential_pilot, executive, outsider, api_for
):
    body = {"answers": {"a_2_2": "addressed"}}
    url = f"/api/pilots/{pilot.pk}/checklists/iso_42001/"
    assert api_for(executive).patch(url, body, format="json").status_code == 403
    hidden = f"/api/pilots/{confidential_pilot.pk}/checklists/iso_42001/"
    assert api_for(outsider).get(hidden).status_code == 404
    assert api_for(outsider).patch(hidden, body, format="json").status_code == 404
    assert api_for(executive).get(f"/api/pilots/{pilot.pk}/checklists/nope/").status_code == 404
    assert not ChecklistAnswer.objects.exists()


def test_api_reads_the_crosswalk(executive, api_for):
    body = api_for(executive).get("/api/crosswalk/").json()
    assert body["version"] == 1
    assert len(body["links"]) == len(crosswalk.links())
    first = body["links"][0]
    assert first["nist"] == {
        "key": "govern_1",
        "qualified": "nist_ai_rmf.govern_1",
        "label": "NIST AI RMF GOVERN 1",
    }
    assert first["iso"]["label"] == "ISO/IEC 42001 A.2.2"
    assert first["aiact"] == {
        "key": "aiact.art17_quality_management",
        "label": "Art. 17 Quality management system",
    }
    assert any(link["nist"] is None for link in body["links"])


def test_every_checklist_is_offered():
    assert set(CHECKLISTS) == {"ml_test_score", "nist_ai_rmf", "iso_42001"}


def test_the_audit_trail_names_the_control_by_number(pilot, owner):
    from dashboard.pilot_pages.audit_trail import describe_events

    _answer(pilot, owner, "iso_42001", a_6_2_4="partial")
    event = AuditEvent.objects.filter(action="checklist.answer").latest("id")
    (entry,) = describe_events([event], metric_names={})
    assert entry.summary == "ISO/IEC 42001 Annex A answered"
    change = entry.changes[0]
    assert change.label.startswith("A.6.2.4 Verification and validation: Was it tested")
    assert (change.before, change.after) == ("Not yet", "Partly in place")
