"""Criteria as data: the default migration, versioned edits, checklists."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from gates import services
from gates.checklists import (
    CHECKLISTS,
    ML_TEST_SCORE,
    NIST_AI_RMF,
    checklist_workbook_facts,
    overall_score,
    section_scores,
)
from gates.engine import DEFAULT_GATES
from gates.models import CriteriaVersion, Gate

pytestmark = pytest.mark.django_db


def test_data_migration_loads_the_default_gates():
    for (from_stage, to_stage), criteria in DEFAULT_GATES.items():
        gate = Gate.objects.get(from_stage=from_stage, to_stage=to_stage)
        version = gate.versions.order_by("-number").first()
        assert version.criteria == [c.to_dict() for c in criteria]
        assert gate.approvals_needed("high") == 2 and gate.approvals_needed("low") == 1


def new_criterion(**overrides):
    return {
        "key": "kill_switch",
        "kind": "field_present",
        "label": "Kill switch named",
        "params": {"phase": "operations", "field": "kill_switch_owner"},
        "mandatory": True,
        "risk_tiers": [],
        **overrides,
    }


def test_editing_criteria_makes_a_new_version_and_reviews_keep_theirs(
    ready_pilot, owner, governance_lead
):
    from gates.services import review_request

    gate = Gate.objects.get(from_stage="discovery")
    review = review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    old = review.criteria_version
    new = services.criteria_version_create(
        gate=gate, criteria=[*old.criteria, new_criterion()], by=governance_lead, note="More"
    )
    assert new.number == old.number + 1
    review.refresh_from_db()
    assert review.criteria_version_id == old.pk
    assert CriteriaVersion.objects.get(pk=old.pk).criteria == old.criteria
    event = AuditEvent.objects.get(action="criteria.version")
    assert event.after["added"] == ["kill_switch"] and event.after["version"] == new.number


def test_saving_unchanged_criteria_writes_no_version(governance_lead):
    gate = Gate.objects.get(from_stage="discovery")
    current = gate.versions.get(number=1)
    again = services.criteria_version_create(
        gate=gate, criteria=current.criteria, by=governance_lead
    )
    assert again.pk == current.pk and gate.versions.count() == 1


@pytest.mark.parametrize(
    ("criterion", "field"),
    [
        (new_criterion(key="Bad Key"), "criteria[0].key"),
        (new_criterion(kind="magic"), "criteria[0].kind"),
        (new_criterion(label=" "), "criteria[0].label"),
        (new_criterion(risk_tiers=["extreme"]), "criteria[0].risk_tiers"),
        (new_criterion(params={"phase": "ops"}), "criteria[0].params"),
        (
            new_criterion(kind="metric_rule", params={"metric": "x", "op": "=="}),
            "criteria[0].params",
        ),
        (
            new_criterion(kind="metric_rule", params={"metric": "x", "op": "<="}),
            "criteria[0].params",
        ),
    ],
)
def test_bad_criteria_are_refused_naming_the_field(governance_lead, criterion, field):
    gate = Gate.objects.get(from_stage="discovery")
    with pytest.raises(ValidationError) as exc:
        services.criteria_version_create(gate=gate, criteria=[criterion], by=governance_lead)
    assert field in exc.value.message_dict
    assert gate.versions.count() == 1


def test_duplicate_keys_and_empty_lists_are_refused(governance_lead):
    gate = Gate.objects.get(from_stage="discovery")
    with pytest.raises(ValidationError):
        services.criteria_version_create(
            gate=gate, criteria=[new_criterion(), new_criterion()], by=governance_lead
        )
    with pytest.raises(ValidationError):
        services.criteria_version_create(gate=gate, criteria=[], by=governance_lead)


@pytest.mark.parametrize("who", ["owner", "executive", "admin_user"])
def test_only_governance_leads_edit_criteria(request, who):
    gate = Gate.objects.get(from_stage="discovery")
    with pytest.raises(PermissionDenied):
        services.criteria_version_create(
            gate=gate, criteria=[new_criterion()], by=request.getfixturevalue(who)
        )


def test_criteria_page_saves_a_new_version(client_for, governance_lead, owner):
    gate = Gate.objects.get(from_stage="discovery")
    url = f"/gates/criteria/{gate.pk}/"
    assert client_for(owner).get(url).status_code == 403
    page = client_for(governance_lead).get(url)
    assert page.status_code == 200
    rows = [new_criterion(), new_criterion(key="kpi", label="KPI <b>set</b>", mandatory=False)]
    data = {"c-TOTAL_FORMS": "3", "c-INITIAL_FORMS": "0", "note": "Trimmed"}
    for index, row in enumerate(rows):
        data.update(
            {
                f"c-{index}-key": row["key"],
                f"c-{index}-label": row["label"],
                f"c-{index}-kind": row["kind"],
                f"c-{index}-params": '{"phase": "strategy", "field": "kpi"}',
            }
        )
        if row["mandatory"]:
            data[f"c-{index}-mandatory"] = "on"
    data["c-1-risk_tiers"] = ["high"]
    response = client_for(governance_lead).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    version = gate.versions.get(number=2)
    assert [c["key"] for c in version.criteria] == ["kill_switch", "kpi"]
    assert version.criteria[1]["risk_tiers"] == ["high"] and not version.criteria[1]["mandatory"]
    shown = client_for(governance_lead).get(url).content.decode()
    assert "KPI &lt;b&gt;set&lt;/b&gt;" in shown


def test_criteria_page_bad_json_is_a_400_and_saves_nothing(client_for, governance_lead):
    gate = Gate.objects.get(from_stage="discovery")
    data = {"c-TOTAL_FORMS": "1", "c-INITIAL_FORMS": "0", "c-0-key": "a", "c-0-label": "A",
            "c-0-kind": "field_present", "c-0-params": "{not json"}  # fmt: skip
    response = client_for(governance_lead).post(f"/gates/criteria/{gate.pk}/", data)
    assert response.status_code == 400 and "Not valid JSON" in response.content.decode()
    assert gate.versions.count() == 1


# --- checklists ------------------------------------------------------------------------


def test_ml_test_score_has_four_sections_of_seven_and_scores_the_lowest_section():
    assert [len(s.items) for s in ML_TEST_SCORE.sections] == [7, 7, 7, 7]
    answers = {f"data_{n}": "automated" for n in range(1, 8)}
    answers |= {"model_1": "manual", "model_2": "automated"}
    answers |= {f"infrastructure_{n}": "manual" for n in range(1, 8)}
    answers |= {f"monitoring_{n}": "manual" for n in range(1, 4)}
    assert section_scores(ML_TEST_SCORE, answers) == {
        "data": 7.0,
        "model": 1.5,
        "infrastructure": 3.5,
        "monitoring": 1.5,
    }
    assert overall_score(ML_TEST_SCORE, answers) == 1.5


def test_nist_rmf_has_its_four_functions_and_categories():
    assert [(s.title, len(s.items)) for s in NIST_AI_RMF.sections] == [
        ("Govern", 6),
        ("Map", 5),
        ("Measure", 4),
        ("Manage", 4),
    ]
    answers = {f"govern_{n}": "addressed" for n in range(1, 7)} | {"map_1": "partial"}
    assert section_scores(NIST_AI_RMF, answers)["govern"] == 1.0
    assert section_scores(NIST_AI_RMF, answers)["map"] == 0.1
    assert overall_score(NIST_AI_RMF, answers) == 0.0


def test_checklist_answers_become_engine_facts():
    facts = checklist_workbook_facts([("ml_test_score", "data_1", "manual")])
    workbook = facts["checklist_ml_test_score"]
    assert workbook.fields["data_1"] is True and workbook.fields["data_2"] is None
    assert not workbook.complete and "data_2" in workbook.missing


def test_attached_checklist_is_evaluated_from_owner_answers(
    ready_pilot, owner, governance_lead, simple_gates
):
    from django.utils import timezone

    from gates import selectors

    gate = Gate.objects.get(from_stage="discovery")
    version = services.checklist_attach(
        gate=gate, checklist="ml_test_score", by=governance_lead, mode="items", mandatory=True
    )
    assert len(version.criteria) == len(simple_gates[("discovery", "pilot")].criteria) + 28
    services.checklist_answer_set(
        pilot=ready_pilot, checklist="ml_test_score", answers={"data_1": "automated"}, by=owner
    )
    result = selectors.pilot_evaluation(pilot=ready_pilot, gate=gate, now=timezone.now())
    by_key = {r.criterion_key: r for r in result.evaluation.results}
    assert by_key["ml_test_score_data_1"].status == "pass"
    assert by_key["ml_test_score_data_2"].status == "fail"
    assert not result.evaluation.passed
    assert AuditEvent.objects.filter(action="checklist.answer", pilot_id=ready_pilot.pk).exists()


def test_checklist_answers_are_validated_and_owner_only(ready_pilot, owner, executive):
    with pytest.raises(ValidationError) as exc:
        services.checklist_answer_set(
            pilot=ready_pilot, checklist="ml_test_score", answers={"data_1": "perfect"}, by=owner
        )
    assert "data_1" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.checklist_answer_set(
            pilot=ready_pilot, checklist="nist_ai_rmf", answers={"map_1": "partial"}, by=executive
        )


def test_checklist_page_shows_score_and_saves(client_for, ready_pilot, owner, executive):
    url = f"/gates/pilots/{ready_pilot.pk}/checklists/ml_test_score/"
    data = {f"{s}_{n}": "manual" for s in ["data", "model", "infrastructure", "monitoring"]
            for n in range(1, 3)}  # fmt: skip
    assert client_for(owner).post(url, data).status_code == 302
    page = client_for(executive).get(url)
    assert page.status_code == 200
    assert '<strong id="checklist-score">1</strong>' in page.content.decode()
    assert client_for(executive).post(url, data).status_code == 403
    assert (
        client_for(owner).get(f"/gates/pilots/{ready_pilot.pk}/checklists/nope/").status_code == 404
    )
    assert set(CHECKLISTS) == {"ml_test_score", "nist_ai_rmf", "iso_42001"}
