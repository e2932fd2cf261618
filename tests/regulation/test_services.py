"""Profiles, confirmation, the catalogue and the obligations as gate criteria, via services."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from gates import engine, selectors
from gates.services import checklist_answer_set
from gates.services.waivers import waiver_grant
from portfolio.services import pilot_update
from portfolio.workbooks.services import workbook_save
from regulation import services
from regulation.criteria import PROFILE_KEY, PROHIBITED_KEY
from regulation.models import CatalogueVersion, Profile
from tests.factories import PilotFactory
from tests.regulation.conftest import answers

pytestmark = pytest.mark.django_db


def evaluate(pilot, to_stage="pilot"):
    gate = selectors.gate_get(from_stage=pilot.stage, to_stage=to_stage)
    return {
        r.criterion_key: r
        for r in selectors.pilot_evaluation(
            pilot=pilot, gate=gate, now=timezone.now()
        ).evaluation.results
    }


def confirmed(pilot, owner, lead, **changes):
    profile = services.profile_save(pilot=pilot, answers=answers(**changes), by=owner)
    return services.profile_confirm(pilot=pilot, version=profile.version, by=lead)


def test_saving_writes_a_new_version_each_time_and_audits_it(pilot, owner):
    first = services.profile_save(pilot=pilot, answers=answers(), by=owner)
    same = services.profile_save(pilot=pilot, answers=answers(), by=owner)
    second = services.profile_save(
        pilot=pilot, answers=answers(uses="no", develops="yes"), by=owner
    )
    assert (first.version, same.version, second.version) == (1, 1, 2)
    assert second.roles == ["provider"]
    events = AuditEvent.objects.filter(action="regulatory_profile.save", pilot_id=pilot.pk)
    assert events.count() == 2
    assert events.last().before["ai_act_roles"] == "Deployer"


def test_contradictory_answers_are_refused_naming_the_fields_and_nothing_is_saved(pilot, owner):
    with pytest.raises(ValidationError) as caught:
        services.profile_save(
            pilot=pilot,
            answers=answers(exception_claimed="yes", profiles_persons="yes"),
            by=owner,
        )
    assert {"exception_claimed", "profiles_persons"} <= set(caught.value.message_dict)
    assert not Profile.objects.exists()


def test_a_contributor_on_no_role_cannot_answer(pilot, outsider, technical_owner):
    with pytest.raises(PermissionDenied):
        services.profile_save(pilot=pilot, answers=answers(), by=outsider)


def test_an_outsider_cannot_see_a_confidential_pilots_profile(confidential_pilot, outsider):
    with pytest.raises(Http404):
        services.profile_save(pilot=confidential_pilot, answers=answers(), by=outsider)


def test_the_owner_cannot_confirm_their_own_profile(pilot, owner):
    profile = services.profile_save(pilot=pilot, answers=answers(), by=owner)
    with pytest.raises(PermissionDenied):
        services.profile_confirm(pilot=pilot, version=profile.version, by=owner)


def test_a_lead_holding_a_role_on_the_pilot_cannot_confirm(pilot, owner, governance_lead):
    PilotRole.objects.create(pilot=pilot, role="risk_lead", user=governance_lead)
    profile = services.profile_save(pilot=pilot, answers=answers(), by=owner)
    with pytest.raises(PermissionDenied):
        services.profile_confirm(pilot=pilot, version=profile.version, by=governance_lead)


def test_a_change_after_confirmation_needs_confirming_again(pilot, owner, governance_lead):
    confirmed(pilot, owner, governance_lead)
    assert evaluate(pilot)[PROFILE_KEY].status == engine.PASS
    services.profile_save(pilot=pilot, answers=answers(transparency=["interacts"]), by=owner)
    result = evaluate(pilot)[PROFILE_KEY]
    assert result.status == engine.FAIL and result.mandatory
    assert "version 2" in result.reason
    with pytest.raises(Conflict):
        services.profile_confirm(pilot=pilot, version=1, by=governance_lead)
    assert services.profile_confirm(pilot=pilot, version=2, by=governance_lead).confirmed


def test_a_prohibited_result_blocks_every_gate_and_no_waiver_covers_it(
    pilot, owner, governance_lead
):
    confirmed(pilot, owner, governance_lead, prohibited_practices=["social_scoring"])
    waiver_grant(
        pilot=pilot,
        criterion_key=PROHIBITED_KEY,
        justification="Trying to wave a prohibited practice through.",
        expires_at=timezone.now() + timedelta(days=10),
        by=governance_lead,
    )
    for from_stage, to_stage in (
        ("discovery", "pilot"),
        ("pilot", "readiness"),
        ("readiness", "scale"),
    ):
        pilot.stage = from_stage
        result = evaluate(pilot, to_stage)[PROHIBITED_KEY]
        assert result.blocks, to_stage
        assert "Art. 5(1)(c)" in result.reason
        assert not result.waived
    # No obligations are listed for a system that may not exist at all.
    assert not [
        k
        for k in evaluate(pilot, "scale")
        if k.startswith("eu_ai_act_") and k not in (PROFILE_KEY, PROHIBITED_KEY)
    ]


def test_obligations_become_mandatory_at_their_gate_with_reasons(pilot, owner, governance_lead):
    confirmed(pilot, owner, governance_lead)
    at_pilot = evaluate(pilot, "pilot")
    oversight = at_pilot["eu_ai_act_deployer_oversight"]
    assert oversight.mandatory and oversight.status == engine.FAIL
    assert oversight.label == "Art. 26(2) Human oversight by competent people"
    assert oversight.reason == "Operations workbook: kill switch owner is not filled in"
    monitoring = at_pilot["eu_ai_act_deployer_monitoring"]
    assert not monitoring.mandatory
    assert "required from the Readiness gate" in monitoring.label
    pilot.stage = "pilot"
    assert evaluate(pilot, "readiness")["eu_ai_act_deployer_monitoring"].mandatory
    # Provider duties do not apply to a deployer.
    assert "eu_ai_act_risk_management" not in at_pilot


def test_filling_the_evidence_makes_the_obligation_pass(pilot, owner, governance_lead):
    confirmed(pilot, owner, governance_lead)
    workbook_save(
        pilot=pilot, phase="operations", by=owner, data={"kill_switch_owner": owner.username}
    )
    checklist_answer_set(
        pilot=pilot, checklist="nist_ai_rmf", answers={"govern_2": "addressed"}, by=owner
    )
    results = evaluate(pilot, "pilot")
    assert results["eu_ai_act_deployer_oversight"].status == engine.PASS
    literacy = results["eu_ai_act_ai_literacy"]
    assert literacy.status == engine.PASS
    assert literacy.reason.startswith("NIST AI Risk Management Framework, Govern:")


def test_a_waiver_covers_an_obligation_like_any_criterion(pilot, owner, governance_lead):
    confirmed(pilot, owner, governance_lead)
    waiver_grant(
        pilot=pilot,
        criterion_key="eu_ai_act_deployer_oversight",
        justification="Oversight owner named next week; the pilot runs on test data.",
        expires_at=timezone.now() + timedelta(days=10),
        by=governance_lead,
    )
    result = evaluate(pilot, "pilot")["eu_ai_act_deployer_oversight"]
    assert result.waived and not result.blocks


def test_a_role_change_re_evaluates_the_obligations(pilot, owner, governance_lead):
    confirmed(pilot, owner, governance_lead)
    assert "eu_ai_act_risk_management" not in evaluate(pilot)
    confirmed(pilot, owner, governance_lead, develops="yes", uses="no")
    results = evaluate(pilot)
    assert results["eu_ai_act_risk_management"].mandatory
    assert "eu_ai_act_deployer_oversight" not in results
    assert results["eu_ai_act_human_oversight"].label == "Art. 14 Human oversight"


def test_an_obligation_not_yet_in_force_is_advisory(pilot, owner, governance_lead):
    confirmed(pilot, owner, governance_lead)
    future = timezone.localdate() + timedelta(days=400)
    services.obligation_update(
        key="deployer_oversight", changes={"applies_from": future}, by=governance_lead
    )
    result = evaluate(pilot)["eu_ai_act_deployer_oversight"]
    assert not result.mandatory
    assert f"applies from {future:%d %b %Y}" in result.label


def test_a_pilot_without_a_profile_gets_no_extra_criteria(pilot):
    assert not [k for k in evaluate(pilot) if k.startswith("eu_ai_act_")]


def test_high_risk_cannot_sit_beside_a_low_risk_tier(owner, governance_lead):
    low = PilotFactory(name="Low tier", owner=owner, risk_tier="low")
    with pytest.raises(Conflict) as caught:
        services.profile_save(pilot=low, answers=answers(), by=owner)
    assert "high-risk" in caught.value.message and "Low" in caught.value.message
    medium = PilotFactory(name="Medium tier", owner=owner, risk_tier="medium")
    services.profile_save(pilot=medium, answers=answers(), by=owner)
    with pytest.raises(ValidationError) as refused:
        pilot_update(pilot=medium, by=owner, risk_tier="low")
    assert "high-risk" in refused.value.message_dict["risk_tier"][0]
    medium.refresh_from_db()
    assert medium.risk_tier == "medium"
    pilot_update(pilot=medium, by=owner, risk_tier="high")


def test_editing_an_obligation_writes_a_new_catalogue_version(governance_lead):
    before = CatalogueVersion.objects.order_by("-number").first()
    services.obligation_update(
        key="fria", changes={"gate": "readiness"}, by=governance_lead, note="FRIA later"
    )
    newest = CatalogueVersion.objects.order_by("-number").first()
    assert newest.number == before.number + 1
    assert newest.obligations.count() == before.obligations.count()
    assert newest.obligations.get(key="fria").gate == "readiness"
    assert before.obligations.get(key="fria").gate == "pilot"
    assert AuditEvent.objects.filter(action="regulation.obligation.update").exists()


def test_an_executive_cannot_edit_the_catalogue(executive):
    with pytest.raises(PermissionDenied):
        services.obligation_update(key="fria", changes={"gate": "scale"}, by=executive)


def test_an_obligation_naming_evidence_that_does_not_exist_is_refused(governance_lead):
    with pytest.raises(ValidationError) as caught:
        services.obligation_update(
            key="fria",
            changes={
                "evidence_kind": "workbook_field",
                "evidence_source": "operations",
                "evidence_name": "no_such_field",
            },
            by=governance_lead,
        )
    assert "evidence_name" in caught.value.message_dict
