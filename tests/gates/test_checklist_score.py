"""A gate that requires a minimum ML Test Score: attaching, editing, answering, the page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from gates import selectors, services
from gates.models import ChecklistAnswer, Gate
from gates.services.reviews import ReviewRefused

pytestmark = pytest.mark.django_db

KEY = "ml_test_score_min_score"


def _answers(**per_section: float) -> dict[str, str]:
    given: dict[str, str] = {}
    for section, score in per_section.items():
        whole = int(score)
        given |= {f"{section}_{n}": "automated" for n in range(1, whole + 1)}
        if score - whole:
            given[f"{section}_{whole + 1}"] = "manual"
    return given


def _gate() -> Gate:
    return Gate.objects.get(from_stage="discovery")


def _live(pilot):
    gate = _gate()
    evaluation = selectors.pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now()).evaluation
    return {r.criterion_key: r for r in evaluation.results}, evaluation


# --- attaching -------------------------------------------------------------------------


def test_attaching_a_minimum_score_adds_one_criterion_not_28(governance_lead, simple_gates):
    before = len(simple_gates[("discovery", "pilot")].criteria)
    version = services.checklist_attach(
        gate=_gate(), checklist="ml_test_score", mode="min_score", min_score=2, by=governance_lead
    )
    assert len(version.criteria) == before + 1
    added = version.criteria[-1]
    assert added["key"] == KEY and added["kind"] == "checklist_min_score"
    assert added["params"] == {"checklist": "ml_test_score", "min_score": 2.0}
    assert added["mandatory"] is True
    event = AuditEvent.objects.filter(action="criteria.version").latest("id")
    assert event.after["added"] == [KEY]
    assert event.after["note"] == "ML Test Score: minimum score 2 (lowest section)"


def test_switching_modes_replaces_the_checklist_attached_the_other_way(
    governance_lead, simple_gates
):
    gate = _gate()
    items = services.checklist_attach(
        gate=gate, checklist="ml_test_score", mode="items", mandatory=True, by=governance_lead
    )
    assert sum(c["key"].startswith("ml_test_score_") for c in items.criteria) == 28
    scored = services.checklist_attach(
        gate=gate, checklist="ml_test_score", min_score="1.5", by=governance_lead
    )
    assert [c["key"] for c in scored.criteria if c["key"].startswith("ml_test_score")] == [KEY]
    assert len(AuditEvent.objects.latest("id").after["removed"]) == 28
    # Attaching again with another minimum changes the one criterion in place.
    raised = services.checklist_attach(
        gate=gate, checklist="ml_test_score", min_score=2.5, by=governance_lead
    )
    assert raised.number == scored.number + 1
    assert AuditEvent.objects.latest("id").after["changed"] == [KEY]
    # The technical owner criterion of the test gates is kept throughout.
    assert "technical_owner_named" in {c["key"] for c in raised.criteria}


@pytest.mark.parametrize(
    ("min_score", "problem"),
    [
        (7.5, "out of range: it must be a number from 0 to 7 in steps of 0.5"),
        (-1, "out of range"),
        (1.25, "not a multiple of 0.5"),
        ("two", "must be a number from 0 to 7 in steps of 0.5, not 'two'"),
        ("", "Give the minimum score the gate requires."),
        (None, "Give the minimum score the gate requires."),
    ],
)
def test_a_bad_minimum_is_refused_naming_min_score(
    governance_lead, simple_gates, min_score, problem
):
    versions = _gate().versions.count()
    with pytest.raises(ValidationError) as exc:
        services.checklist_attach(
            gate=_gate(), checklist="ml_test_score", min_score=min_score, by=governance_lead
        )
    assert problem in " ".join(exc.value.message_dict["min_score"])
    assert _gate().versions.count() == versions


def test_nist_rmf_attaches_item_by_item_only(governance_lead, simple_gates):
    with pytest.raises(ValidationError) as exc:
        services.checklist_attach(
            gate=_gate(), checklist="nist_ai_rmf", min_score=2, by=governance_lead
        )
    assert "attach its items" in exc.value.message_dict["mode"][0]
    version = services.checklist_attach(
        gate=_gate(), checklist="nist_ai_rmf", mode="items", by=governance_lead
    )
    assert sum(c["key"].startswith("nist_ai_rmf_") for c in version.criteria) == 19


@pytest.mark.parametrize("actor", ["owner", "executive", "outsider", "technical_owner"])
def test_only_governance_leads_attach_a_checklist(request, actor, simple_gates):
    user = request.getfixturevalue(actor)
    versions = _gate().versions.count()
    with pytest.raises(PermissionDenied):
        services.checklist_attach(gate=_gate(), checklist="ml_test_score", min_score=2, by=user)
    assert _gate().versions.count() == versions


# --- editing the criterion in the criteria editor ---------------------------------------


def _criterion(min_score, checklist="ml_test_score"):
    return {
        "key": KEY,
        "kind": "checklist_min_score",
        "label": "ML Test Score at least 2",
        "params": {"checklist": checklist, "min_score": min_score},
        "mandatory": True,
        "risk_tiers": [],
    }


@pytest.mark.parametrize(
    ("min_score", "checklist", "problem"),
    [
        (8, "ml_test_score", "min_score 8 is out of range"),
        (0.3, "ml_test_score", "min_score 0.3 is not a multiple of 0.5"),
        ("2", "ml_test_score", "min_score must be a number"),
        (2, "nist_ai_rmf", "checklist 'nist_ai_rmf' has no score"),
        (2, "iso_42001", "checklist 'iso_42001' has no score"),
    ],
)
def test_the_criteria_editor_refuses_a_bad_minimum(
    governance_lead, simple_gates, min_score, checklist, problem
):
    with pytest.raises(ValidationError) as exc:
        services.criteria_version_create(
            gate=_gate(), criteria=[_criterion(min_score, checklist)], by=governance_lead
        )
    assert problem in exc.value.message_dict["criteria[0].params"][0]


def test_the_criteria_editor_accepts_every_half_point_from_0_to_7(governance_lead, simple_gates):
    for half_points in range(15):
        version = services.criteria_version_create(
            gate=_gate(), criteria=[_criterion(half_points / 2)], by=governance_lead
        )
        assert version.criteria[0]["params"]["min_score"] == half_points / 2


def test_the_criteria_page_shows_a_bad_minimum_as_a_400(client_for, governance_lead, owner):
    gate = _gate()
    url = f"/gates/criteria/{gate.pk}/"
    data = {
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-key": KEY,
        "c-0-label": "ML Test Score at least 7.5",
        "c-0-kind": "checklist_min_score",
        "c-0-params": '{"checklist": "ml_test_score", "min_score": 7.5}',
        "c-0-mandatory": "on",
    }
    versions = gate.versions.count()
    response = client_for(governance_lead).post(url, data)
    assert response.status_code == 400
    assert "min_score 7.5 is out of range" in response.content.decode()
    assert gate.versions.count() == versions
    assert client_for(owner).post(url, data).status_code == 403


def test_the_attach_form_shows_its_errors_beside_the_criteria(client_for, governance_lead, owner):
    gate = _gate()
    url = f"/gates/criteria/{gate.pk}/attach/"
    data = {"checklist": "ml_test_score", "mode": "min_score", "min_score": "2.25"}
    response = client_for(governance_lead).post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "min_score 2.25 is not a multiple of 0.5" in page
    assert 'id="attach-heading"' in page
    assert client_for(owner).post(url, {**data, "min_score": "2"}).status_code == 403
    assert not any(KEY in str(v.criteria) for v in gate.versions.all())
    good = client_for(governance_lead).post(url, {**data, "min_score": "2", "mandatory": "on"})
    assert good.status_code == 302
    assert gate.versions.order_by("-number").first().criteria[-1]["key"] == KEY


# --- answers, evaluation and reviews ----------------------------------------------------


@pytest.fixture
def scored_gate(governance_lead, simple_gates):
    return services.checklist_attach(
        gate=_gate(), checklist="ml_test_score", min_score=2, by=governance_lead
    )


def test_the_gate_passes_at_the_minimum_and_fails_half_a_point_below(
    ready_pilot, owner, scored_gate
):
    strong = {"data": 7, "model": 7, "infrastructure": 7}
    services.checklist_answer_set(
        pilot=ready_pilot,
        checklist="ml_test_score",
        answers=_answers(**strong, monitoring=1.5),
        by=owner,
    )
    by_key, evaluation = _live(ready_pilot)
    assert by_key[KEY].status == "fail" and not evaluation.passed
    assert by_key[KEY].reason.startswith(
        "ML Test Score 1.5 (lowest section: Monitoring 1.5); this gate needs at least 2."
    )
    with pytest.raises(ReviewRefused):
        services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)

    one_more = {"monitoring_2": "automated"}
    services.checklist_answer_set(
        pilot=ready_pilot, checklist="ml_test_score", answers=one_more, by=owner
    )
    by_key, evaluation = _live(ready_pilot)
    assert by_key[KEY].status == "pass" and evaluation.passed
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert review.evaluation["results"][-1]["criterion_key"] == KEY


def test_a_pilot_without_answers_scores_zero(ready_pilot, scored_gate):
    by_key, _ = _live(ready_pilot)
    assert by_key[KEY].status == "fail"
    assert by_key[KEY].reason.startswith("ML Test Score 0 (lowest sections: Data and features 0,")


def test_every_answer_write_is_audited_with_before_and_after(ready_pilot, owner):
    services.checklist_answer_set(
        pilot=ready_pilot, checklist="ml_test_score", answers={"data_1": "manual"}, by=owner
    )
    services.checklist_answer_set(
        pilot=ready_pilot, checklist="ml_test_score", answers={"data_1": "automated"}, by=owner
    )
    events = list(AuditEvent.objects.filter(action="checklist.answer").order_by("id"))
    assert [(e.before["data_1"], e.after["data_1"]) for e in events] == [
        ("", "manual"),
        ("manual", "automated"),
    ]
    assert all(e.actor_id == owner.pk and e.pilot_id == ready_pilot.pk for e in events)


@pytest.mark.parametrize("actor", ["governance_lead", "executive", "outsider"])
def test_only_the_pilots_owners_answer_its_checklist(request, ready_pilot, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        services.checklist_answer_set(
            pilot=ready_pilot, checklist="ml_test_score", answers={"data_1": "manual"}, by=user
        )
    assert not ChecklistAnswer.objects.filter(pilot=ready_pilot).exists()
    assert not AuditEvent.objects.filter(action="checklist.answer").exists()


# --- the checklist page -----------------------------------------------------------------


def test_the_checklist_page_shows_sections_overall_band_and_the_gates_minimum(
    client_for, ready_pilot, owner, executive, scored_gate
):
    url = f"/gates/pilots/{ready_pilot.pk}/checklists/ml_test_score/"
    data = _answers(data=7, model=3.5, infrastructure=5, monitoring=1.5)
    assert client_for(owner).post(url, data).status_code == 302
    page = client_for(executive).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<strong id="checklist-score">1.5</strong>' in html
    assert "<legend>Model and prompts: 3.5 of 7</legend>" in html
    assert "<legend>Monitoring: 1.5 of 7</legend>" in html
    assert 'Monitoring <span class="badge result-fail">lowest</span>' in html
    assert html.count(">lowest</span>") == 1
    assert (
        '<p id="checklist-band"><strong>Scores 1.5 to 2:</strong> A first round of hardening is '
        "done; more work is likely needed.</p>"
    ) in html
    assert "Breck et al., The ML Test Score (2017)" in html
    assert "needs at least <strong>2</strong>" in html and ">not met</span>" in html
    assert "(this pilot's next)" in html
    assert "Done by hand and documented (0.5)" in html
    # The executive reads but cannot answer, and is told who can; nor may they set minimums.
    assert "Save checklist" not in html and client_for(executive).post(url, data).status_code == 403
    assert 'id="checklist-readonly"' in html and "Set a gate's minimum score" not in html
    owner_html = client_for(owner).get(url).content.decode()
    assert "Save checklist" in owner_html and 'id="checklist-readonly"' not in owner_html


def test_the_checklist_page_marks_a_met_minimum(
    client_for, ready_pilot, owner, governance_lead, scored_gate
):
    url = f"/gates/pilots/{ready_pilot.pk}/checklists/ml_test_score/"
    client_for(owner).post(url, _answers(data=2, model=2, infrastructure=2, monitoring=2.5))
    html = client_for(governance_lead).get(url).content.decode()
    assert "Set a gate's minimum score" in html
    assert '<strong id="checklist-score">2</strong>' in html
    assert ">met</span>" in html and ">not met</span>" not in html
    assert html.count(">lowest</span>") == 3


def test_a_refused_save_keeps_what_was_submitted(client_for, ready_pilot, owner):
    url = f"/gates/pilots/{ready_pilot.pk}/checklists/ml_test_score/"
    response = client_for(owner).post(url, {"data_1": "automated", "data_2": "perfect"})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<option value="automated" selected>' in html
    assert "Choose one of" in html
    assert not ChecklistAnswer.objects.filter(pilot=ready_pilot).exists()


def test_the_nist_page_has_no_ml_test_score_bands(client_for, ready_pilot, owner):
    html = client_for(owner).get(f"/gates/pilots/{ready_pilot.pk}/checklists/nist_ai_rmf/")
    assert html.status_code == 200
    assert 'id="checklist-band"' not in html.content.decode()
    assert '<strong id="checklist-score">0%</strong>' in html.content.decode()


def test_a_refused_save_lists_its_errors_in_the_shared_error_summary(
    client_for, ready_pilot, owner
):
    url = f"/gates/pilots/{ready_pilot.pk}/checklists/ml_test_score/"
    response = client_for(owner).post(url, {"data_1": "automated", "data_2": "perfect"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html and "Nothing was saved." in html
    # The summary links to the item's select, whose message names the item and which is
    # marked invalid and described by that message.
    label = str(response.context["form"]["data_2"].label)
    assert f'<a href="#id_data_2">{label}: Choose one of' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_data_2_error"' in html
    assert 'id="id_data_2_error"' in html
