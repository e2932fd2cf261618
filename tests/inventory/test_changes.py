"""Change control: classification by rules (data), change reviews through the gates'
review machinery, and the order of refusals (404, 403, 400, 409)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from accounts.models import AuditEvent
from config.errors import Conflict
from gates import services as gate_services
from gates.models import Review, ReviewKind
from inventory import services
from inventory.models import (
    ChangeRequest,
    ChangeRule,
    PilotAsset,
    Prompt,
)
from inventory.services.changes import classify
from outbox.models import Event
from tests.inventory.conftest import make_pilot

pytestmark = pytest.mark.django_db


def swap(pilot, link, to, by, **kwargs):
    return services.change_request(pilot=pilot, by=by, kind=link.kind, link=link, to_asset=to,
                                   **kwargs)  # fmt: skip


def test_a_model_version_swap_at_scale_is_material_and_opens_a_change_review(
    scaled_pilot, scaled_link, model_v2, owner
):
    outcome = swap(scaled_pilot, scaled_link, model_v2, owner, note="Vendor retires May")
    change = outcome.change
    assert outcome.created and change.status == "pending"
    assert change.classification == "material" and change.aspects == ["version"]
    review = change.review
    assert review.kind == ReviewKind.CHANGE
    assert (review.from_stage, review.to_stage) == ("scale", "scale")
    assert review.criteria_version.gate.to_stage == "scale"
    assert review.evaluation  # frozen at request time, as for gate reviews
    # Not applied until approved.
    scaled_link.refresh_from_db()
    assert scaled_link.model_id != model_v2.pk
    assert AuditEvent.objects.filter(action="change.request", object_id=str(change.pk)).exists()
    assert Event.objects.filter(type="change.requested", pilot_id=scaled_pilot.pk).exists()


def test_an_approved_change_review_applies_the_change_and_keeps_the_stage(
    scaled_pilot, scaled_link, model_v2, owner, governance_lead
):
    change = swap(scaled_pilot, scaled_link, model_v2, owner).change
    review = Review.objects.get(pk=change.review_id)
    gate_services.review_decide(review=review, decision="approve", by=governance_lead)
    change.refresh_from_db()
    scaled_link.refresh_from_db()
    scaled_pilot.refresh_from_db()
    assert change.status == "approved" and change.applied_at is not None
    assert scaled_link.model_id == model_v2.pk
    assert scaled_pilot.stage == "scale"
    assert not AuditEvent.objects.filter(action="pilot.transition", pilot_id=scaled_pilot.pk)
    assert Event.objects.filter(type="change.decided", payload__status="approved").exists()


def test_a_rejected_change_review_leaves_the_link_alone(
    scaled_pilot, scaled_link, model_v2, owner, governance_lead, model_v1
):
    change = swap(scaled_pilot, scaled_link, model_v2, owner).change
    gate_services.review_decide(
        review=change.review, decision="reject", by=governance_lead, rationale="Not tested"
    )
    change.refresh_from_db()
    scaled_link.refresh_from_db()
    assert change.status == "refused" and change.applied_at is None
    assert scaled_link.model_id == model_v1.pk


def test_withdrawing_the_change_review_withdraws_the_change(
    scaled_pilot, scaled_link, model_v2, owner
):
    change = swap(scaled_pilot, scaled_link, model_v2, owner).change
    gate_services.review_withdraw(review=change.review, by=owner)
    change.refresh_from_db()
    assert change.status == "withdrawn"


def test_a_high_risk_change_needs_two_leads_and_the_requesters_role_disqualifies(
    owner, technical_owner, change_rules, model_v1, model_v2, governance_lead,
    second_governance_lead,
):  # fmt: skip
    pilot = make_pilot(owner, technical_owner, risk_tier="high")
    link = PilotAsset.objects.create(pilot=pilot, kind="model", model=model_v1, purpose="x")
    change = swap(pilot, link, model_v2, owner).change
    assert change.review.approvals_needed == 2
    with pytest.raises(PermissionDenied):  # separation of duties: an owner never decides
        gate_services.review_decide(review=change.review, decision="approve", by=owner)
    gate_services.review_decide(review=change.review, decision="approve", by=governance_lead)
    change.refresh_from_db()
    assert change.status == "pending"
    gate_services.review_decide(review=change.review, decision="approve", by=second_governance_lead)
    change.refresh_from_db()
    assert change.status == "approved"


def test_a_second_material_change_while_one_waits_is_a_conflict_naming_it(
    scaled_pilot, scaled_link, model_v2, owner, vendor
):
    first = swap(scaled_pilot, scaled_link, model_v2, owner).change
    with pytest.raises(Conflict) as caught:
        services.change_request(
            pilot=scaled_pilot, by=owner, kind="vendor", to_asset=vendor, purpose="Hosting"
        )
    assert f"#{first.pk}" in caught.value.message
    assert ChangeRequest.objects.filter(pilot=scaled_pilot).count() == 1


def test_a_minor_change_at_scale_is_applied_and_recorded(scaled_pilot, owner):
    prompt = services.prompt_create(by=owner, identifier="reply-prompt", content="Be brief.")
    v1 = prompt.versions.get()
    link = PilotAsset.objects.create(
        pilot=scaled_pilot, kind="prompt", prompt_version=v1, purpose="Tone"
    )
    v2 = services.prompt_version_add(prompt=prompt, content="Be brief and kind.", by=owner)
    change = swap(scaled_pilot, link, v2, owner).change
    assert (change.classification, change.status, change.aspects) == (
        "minor", "recorded", ["content"],
    )  # fmt: skip
    assert change.review is None and change.applied_at is not None
    link.refresh_from_db()
    assert link.prompt_version_id == v2.pk


def test_a_prompt_edit_in_a_high_risk_pilot_is_material(owner, technical_owner, change_rules):
    pilot = make_pilot(owner, technical_owner, risk_tier="high")
    prompt = services.prompt_create(by=owner, identifier="p", content="A")
    link = PilotAsset.objects.create(
        pilot=pilot, kind="prompt", prompt_version=prompt.versions.get(), purpose="x"
    )
    v2 = services.prompt_version_add(prompt=prompt, content="B", by=owner)
    assert swap(pilot, link, v2, owner).change.status == "pending"


@pytest.mark.parametrize("stage", ["discovery", "pilot"])
def test_a_change_to_a_pilot_not_yet_live_applies_without_control(
    owner, technical_owner, change_rules, model_v1, model_v2, stage
):
    pilot = make_pilot(owner, technical_owner, stage=stage)
    link = PilotAsset.objects.create(pilot=pilot, kind="model", model=model_v1, purpose="x")
    change = swap(pilot, link, model_v2, owner).change
    assert change.status == "not_controlled" and change.review is None
    link.refresh_from_db()
    assert link.model_id == model_v2.pk


def test_adding_and_removing_links(scaled_pilot, owner, vendor, change_rules):
    added = services.change_request(
        pilot=scaled_pilot, by=owner, kind="vendor", to_asset=vendor, purpose="Hosting"
    ).change
    assert added.aspects == ["added"] and added.status == "pending"  # a new vendor: material
    gate_services.review_withdraw(review=added.review, by=owner)
    dataset_rule = ChangeRule.objects.get(asset_kind="vendor", aspect="removed", risk_tier="")
    assert dataset_rule.classification == "minor"
    link = PilotAsset.objects.create(pilot=scaled_pilot, kind="vendor", vendor=vendor, purpose="x")
    removed = services.change_request(pilot=scaled_pilot, by=owner, kind="vendor", link=link)
    assert removed.change.status == "recorded"
    assert not PilotAsset.objects.filter(pk=link.pk).exists()


def test_wrong_actors(scaled_pilot, scaled_link, model_v2, executive, outsider, owner):
    with pytest.raises(PermissionDenied):
        swap(scaled_pilot, scaled_link, model_v2, executive)
    with pytest.raises(PermissionDenied):
        swap(scaled_pilot, scaled_link, model_v2, outsider)
    scaled_pilot.confidential = True
    scaled_pilot.save()
    with pytest.raises(Http404):
        swap(scaled_pilot, scaled_link, model_v2, outsider)
    assert not ChangeRequest.objects.exists()


def test_bad_input_names_the_field(scaled_pilot, scaled_link, model_v1, owner, vendor):
    cases = [
        (dict(kind="gadget", to_asset=vendor), "kind"),
        (dict(kind="model", to_asset=vendor, link=scaled_link), "to"),
        (dict(kind="model", link=scaled_link, to_asset=model_v1), "to"),
        (dict(kind="model"), "to"),
        (dict(kind="vendor", to_asset=vendor), "purpose"),
        (dict(kind="vendor", to_asset=vendor, purpose="x", external_id="   "), "external_id"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.change_request(pilot=scaled_pilot, by=owner, **kwargs)
        assert field in caught.value.message_dict, (kwargs, caught.value)
    other = make_pilot(owner, owner, stage="pilot")
    with pytest.raises(ValidationError) as caught:
        services.change_request(pilot=other, by=owner, kind="model", link=scaled_link)
    assert "link" in caught.value.message_dict


def test_the_same_external_id_returns_the_first_change(scaled_pilot, owner, model_v1):
    prompt = services.prompt_create(by=owner, identifier="p", content="A")
    one = services.change_request(
        pilot=scaled_pilot, by=owner, kind="prompt", to_asset=prompt.versions.get(),
        purpose="Tone", external_id="deploy-1",
    )  # fmt: skip
    again = services.change_request(
        pilot=scaled_pilot, by=owner, kind="model", to_asset=model_v1, purpose="other",
        external_id="deploy-1",
    )  # fmt: skip
    assert one.created and not again.created and again.change.pk == one.change.pk
    assert ChangeRequest.objects.count() == 1


def test_classify_is_material_when_any_aspect_is_or_no_rule_covers_it():
    rules = [
        ChangeRule(asset_kind="model", aspect="licence", risk_tier="", classification="minor"),
        ChangeRule(asset_kind="model", aspect="version", risk_tier="", classification="minor"),
        ChangeRule(asset_kind="model", aspect="version", risk_tier="high",
                   classification="material"),
    ]  # fmt: skip
    assert classify("model", ["licence"], "low", rules) == "minor"
    assert classify("model", ["licence", "version"], "low", rules) == "minor"
    assert classify("model", ["version"], "high", rules) == "material"
    assert classify("model", ["licence", "provider"], "low", rules) == "material"
    assert classify("model", [], "low", rules) == "minor"


def test_governance_leads_edit_the_rules_audited(change_rules, governance_lead, owner):
    rule = ChangeRule.objects.get(asset_kind="model", aspect="version", risk_tier="")
    with pytest.raises(PermissionDenied):
        services.change_rule_set(rule=rule, classification="minor", by=owner)
    with pytest.raises(ValidationError) as caught:
        services.change_rule_set(rule=rule, classification="trivial", by=governance_lead)
    assert "classification" in caught.value.message_dict
    services.change_rule_set(rule=rule, classification="minor", by=governance_lead)
    rule.refresh_from_db()
    assert rule.classification == "minor"
    event = AuditEvent.objects.get(action="change_rule.update")
    assert event.before["classification"] == "material"


def test_prompt_versions_are_hashed_and_a_repeat_is_refused(owner, executive, db):
    prompt = services.prompt_create(by=owner, identifier="triage", content="Sort claims.")
    version = prompt.versions.get()
    assert len(version.content_hash) == 64 and version.number == 1
    with pytest.raises(ValidationError) as caught:
        services.prompt_version_add(prompt=prompt, content="Sort claims.", by=owner)
    assert "content" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.prompt_version_add(prompt=prompt, content="Other", by=executive)
    assert Prompt.objects.get().versions.count() == 1


def test_a_material_change_to_a_pilot_on_hold_is_a_conflict(
    scaled_pilot, scaled_link, model_v2, owner
):
    from portfolio.models import Pilot

    # Test setup only: the one writer of status is gates.services; here we need the state.
    Pilot.objects.filter(pk=scaled_pilot.pk).update(status="on_hold")
    scaled_pilot.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        swap(scaled_pilot, scaled_link, model_v2, owner)
    assert "on hold" in caught.value.message
    assert not ChangeRequest.objects.exists()
