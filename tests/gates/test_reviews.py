"""Reviews, decisions, waivers and conditions through the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from gates import services
from gates.models import Condition, Decision, Review, ReviewStatus, Waiver
from gates.services.reviews import ReviewRefused
from gates.services.transitions import pilot_transition
from tests.factories import PilotFactory
from tests.notify.helpers import deliver_all

pytestmark = pytest.mark.django_db


def request(pilot, by, **kwargs):
    return services.review_request(
        pilot=pilot, to_stage=kwargs.pop("to_stage", "pilot"), by=by, **kwargs
    )


def snapshot(pilot):
    pilot.refresh_from_db()
    return (
        pilot.stage,
        pilot.status,
        Review.objects.count(),
        Decision.objects.count(),
        AuditEvent.objects.count(),
    )


# --- requests ------------------------------------------------------------------------


def test_owner_requests_review_with_frozen_evaluation_and_audit(
    ready_pilot, owner, governance_lead, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = request(ready_pilot, owner, note="Ready", evidence_links=["https://x.test/r"])
    assert review.status == ReviewStatus.PENDING
    assert review.from_stage == "discovery" and review.to_stage == "pilot"
    assert review.evaluation["passed"] is True
    assert [r["criterion_key"] for r in review.evaluation["results"]] == [
        "technical_owner_named",
        "risk_lead_named",
    ]
    assert review.evidence_links == ["https://x.test/r"]
    event = AuditEvent.objects.get(action="review.request")
    assert event.pilot_id == ready_pilot.pk and event.after["to_stage"] == "pilot"
    assert mailoutbox == []  # the request sends nothing itself: notify's worker does
    deliver_all()
    assert [m.to for m in mailoutbox] == [[governance_lead.email]]


def test_request_is_refused_with_failing_mandatory_criteria(owner, simple_gates):
    pilot = PilotFactory(owner=owner)  # no technical owner: the mandatory criterion fails
    before = snapshot(pilot)
    with pytest.raises(ReviewRefused) as refused:
        request(pilot, owner)
    assert [r.criterion_key for r in refused.value.blocking] == ["technical_owner_named"]
    assert "Technical owner named" in refused.value.message
    # Nothing changes but the record of the refusal (pages stop offering the same request).
    assert snapshot(pilot)[:4] == before[:4]
    refusal = AuditEvent.objects.get(action="review.refused")
    assert refusal.pilot_id == pilot.pk and refusal.actor == owner
    assert refusal.after["blocking"] == ["technical_owner_named"]
    assert snapshot(pilot)[4] == before[4] + 1


def test_unexpired_waiver_lets_the_request_through_and_expired_one_stops_counting(
    owner, governance_lead, simple_gates
):
    pilot = PilotFactory(owner=owner)
    now = timezone.now()
    services.waiver_grant(
        pilot=pilot,
        criterion_key="technical_owner_named",
        justification="Hiring in progress",
        expires_at=now + timedelta(days=2),
        by=governance_lead,
    )
    # Two days later, with nobody acting, the waiver no longer counts.
    with pytest.raises(ReviewRefused):
        request(pilot, owner, now=now + timedelta(days=3))
    review = request(pilot, owner, now=now + timedelta(days=1))
    assert review.evaluation["results"][0]["waived"] is True


def test_skipping_a_stage_is_a_409_and_changes_nothing(ready_pilot, owner):
    before = snapshot(ready_pilot)
    with pytest.raises(Conflict) as exc:
        request(ready_pilot, owner, to_stage="readiness")
    assert "can only be reviewed for pilot" in exc.value.message
    with pytest.raises(ValidationError):
        request(ready_pilot, owner, to_stage="moon")
    assert snapshot(ready_pilot) == before


def test_second_pending_review_is_a_conflict(ready_pilot, owner, technical_owner):
    request(ready_pilot, owner)
    before = snapshot(ready_pilot)
    with pytest.raises(Conflict):
        request(ready_pilot, technical_owner)
    assert snapshot(ready_pilot) == before


def test_stopped_and_held_pilots_cannot_be_reviewed(ready_pilot, owner, admin_user):
    pilot_transition(pilot=ready_pilot, by=admin_user, to_status="on_hold")
    with pytest.raises(Conflict, match="on hold"):
        request(ready_pilot, owner)
    ready_pilot.refresh_from_db()
    pilot_transition(pilot=ready_pilot, by=admin_user, to_status="stopped")
    ready_pilot.refresh_from_db()
    with pytest.raises(Conflict, match="stopped"):
        request(ready_pilot, owner)
    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["governance_lead", "executive", "outsider"])
def test_only_owners_request_reviews(request, ready_pilot, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.review_request(pilot=ready_pilot, to_stage="pilot", by=user)
    assert not Review.objects.exists()


def test_hidden_pilot_is_404_for_outsider(owner, outsider, simple_gates):
    pilot = PilotFactory(owner=owner, confidential=True)
    with pytest.raises(Http404):
        services.review_request(pilot=pilot, to_stage="pilot", by=outsider)


# --- decisions -----------------------------------------------------------------------


def test_approve_moves_the_pilot_and_writes_audit(
    ready_pilot,
    owner,
    technical_owner,
    governance_lead,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    review = request(ready_pilot, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, decision="approve", by=governance_lead)
    ready_pilot.refresh_from_db()
    review.refresh_from_db()
    assert (ready_pilot.stage, review.status) == ("pilot", ReviewStatus.APPROVED)
    assert AuditEvent.objects.filter(action="review.decide", object_id=str(review.pk)).exists()
    assert AuditEvent.objects.filter(action="pilot.transition", pilot_id=ready_pilot.pk).exists()
    deliver_all()
    decided = [m.to[0] for m in mailoutbox if m.subject.startswith("Gate review of")]
    assert sorted(decided) == [owner.email, technical_owner.email]


@pytest.mark.parametrize(
    ("decision", "extra", "stage", "status", "review_status"),
    [
        ("reject", {}, "discovery", "active", ReviewStatus.REJECTED),
        ("hold", {}, "discovery", "on_hold", ReviewStatus.ON_HOLD),
        ("stop", {}, "discovery", "stopped", ReviewStatus.STOPPED),
        (
            "redesign",
            {"scope_note": "Only English tickets"},
            "discovery",
            "active",
            ReviewStatus.REDESIGN,
        ),
    ],
)
def test_other_decisions_apply_their_effect(
    ready_pilot, owner, governance_lead, decision, extra, stage, status, review_status
):
    review = request(ready_pilot, owner)
    services.review_decide(
        review=review, decision=decision, by=governance_lead, rationale="Because", **extra
    )
    ready_pilot.refresh_from_db()
    review.refresh_from_db()
    assert (ready_pilot.stage, ready_pilot.status, review.status) == (stage, status, review_status)


def test_redesign_sends_the_pilot_back_a_stage(ready_pilot, owner, governance_lead, admin_user):
    review = request(ready_pilot, owner)
    services.review_decide(review=review, decision="approve", by=governance_lead)
    ready_pilot.refresh_from_db()
    review = request(ready_pilot, owner, to_stage="readiness")
    with pytest.raises(Conflict) as exc:  # a valid stage, but not behind this review's
        services.review_decide(
            review=review,
            decision="redesign",
            by=governance_lead,
            rationale="Too broad",
            scope_note="x",
            redesign_to_stage="scale",
        )
    assert "not to scale" in exc.value.message
    services.review_decide(
        review=review,
        decision="redesign",
        by=governance_lead,
        rationale="Too broad",
        scope_note="Claims under 1,000 only",
    )
    ready_pilot.refresh_from_db()
    assert ready_pilot.stage == "discovery"
    assert Decision.objects.get(review=review).scope_note == "Claims under 1,000 only"


def test_rationale_is_required_except_for_approve(ready_pilot, owner, governance_lead):
    review = request(ready_pilot, owner)
    before = snapshot(ready_pilot)
    for decision in ["approve_with_conditions", "reject", "hold", "redesign", "stop"]:
        with pytest.raises(ValidationError) as exc:
            services.review_decide(
                review=review,
                decision=decision,
                by=governance_lead,
                conditions=["x"] if decision.endswith("conditions") else None,
                scope_note="s" if decision == "redesign" else "",
            )
        assert "rationale" in exc.value.message_dict
    assert snapshot(ready_pilot) == before


def test_unknown_decision_is_a_400(ready_pilot, owner, governance_lead):
    review = request(ready_pilot, owner)
    with pytest.raises(ValidationError) as exc:
        services.review_decide(review=review, decision="maybe", by=governance_lead)
    assert "decision" in exc.value.message_dict
    assert not Decision.objects.exists()


def test_deciding_a_closed_review_is_a_conflict(
    ready_pilot, owner, governance_lead, second_governance_lead
):
    review = request(ready_pilot, owner)
    services.review_decide(review=review, decision="reject", by=governance_lead, rationale="No")
    before = snapshot(ready_pilot)
    with pytest.raises(Conflict):
        services.review_decide(review=review, decision="approve", by=second_governance_lead)
    assert snapshot(ready_pilot) == before


def test_role_holder_on_the_pilot_cannot_decide(ready_pilot, owner, governance_lead):
    PilotRole.objects.create(pilot=ready_pilot, role="risk_lead", user=governance_lead)
    review = request(ready_pilot, owner)
    with pytest.raises(PermissionDenied):
        services.review_decide(review=review, decision="approve", by=governance_lead)
    assert not Decision.objects.exists()


def test_requester_never_decides_own_review(owner, governance_lead, simple_gates, technical_owner):
    # A governance lead who owns a pilot (and so requests) is blocked twice over; drop the
    # role after requesting and the requester rule still holds.
    pilot = PilotFactory(owner=governance_lead)
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    review = request(pilot, governance_lead)
    PilotRole.objects.filter(pilot=pilot, user=governance_lead).update(user=owner)
    with pytest.raises(PermissionDenied):
        services.review_decide(review=review, decision="approve", by=governance_lead)
    assert Review.objects.get().status == ReviewStatus.PENDING


@pytest.mark.parametrize("who", ["owner", "executive", "outsider", "admin_user"])
def test_non_governance_leads_cannot_decide(request, ready_pilot, owner, who):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    with pytest.raises(PermissionDenied):
        services.review_decide(review=review, decision="approve", by=request.getfixturevalue(who))


def test_high_risk_needs_two_distinct_governance_leads(
    high_risk_pilot, owner, governance_lead, second_governance_lead
):
    review = request(high_risk_pilot, owner)
    assert review.approvals_needed == 2
    services.review_decide(review=review, decision="approve", by=governance_lead)
    high_risk_pilot.refresh_from_db()
    review.refresh_from_db()
    assert (high_risk_pilot.stage, review.status) == ("discovery", ReviewStatus.PENDING)
    with pytest.raises(Conflict):
        services.review_decide(review=review, decision="approve", by=governance_lead)
    services.review_decide(review=review, decision="approve", by=second_governance_lead)
    high_risk_pilot.refresh_from_db()
    review.refresh_from_db()
    assert (high_risk_pilot.stage, review.status) == ("pilot", ReviewStatus.APPROVED)


def test_conditions_become_mandatory_criteria_of_the_next_gate(
    ready_pilot, owner, governance_lead, second_governance_lead
):
    review = request(ready_pilot, owner)
    services.review_decide(
        review=review,
        decision="approve_with_conditions",
        by=governance_lead,
        rationale="Good, but",
        conditions=["Add a fallback queue", " "],
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED_WITH_CONDITIONS
    condition = Condition.objects.get()
    assert (condition.text, condition.from_stage, condition.to_stage) == (
        "Add a fallback queue",
        "pilot",
        "readiness",
    )
    ready_pilot.refresh_from_db()
    with pytest.raises(ReviewRefused) as refused:
        request(ready_pilot, owner, to_stage="readiness")
    assert [r.criterion_key for r in refused.value.blocking] == [condition.key]
    services.condition_mark_met(condition=condition, by=second_governance_lead)
    assert request(ready_pilot, owner, to_stage="readiness").evaluation["passed"]


def test_withdraw_closes_pending_review_and_then_decision_conflicts(
    ready_pilot, owner, governance_lead, outsider
):
    review = request(ready_pilot, owner)
    with pytest.raises(PermissionDenied):
        services.review_withdraw(review=review, by=outsider)
    services.review_withdraw(review=review, by=owner)
    assert Review.objects.get().status == ReviewStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="review.withdraw").count() == 1
    with pytest.raises(Conflict):
        services.review_decide(review=review, decision="approve", by=governance_lead)
    with pytest.raises(Conflict):
        services.review_withdraw(review=review, by=owner)


def test_governance_lead_resumes_a_held_pilot(ready_pilot, owner, governance_lead):
    review = request(ready_pilot, owner)
    services.review_decide(review=review, decision="hold", by=governance_lead, rationale="Harden")
    ready_pilot.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.pilot_resume(pilot=ready_pilot, by=owner, reason="Please")
    with pytest.raises(ValidationError):
        services.pilot_resume(pilot=ready_pilot, by=governance_lead, reason="")
    services.pilot_resume(pilot=ready_pilot, by=governance_lead, reason="Hardened")
    ready_pilot.refresh_from_db()
    assert ready_pilot.status == "active"


# --- discussion ----------------------------------------------------------------------


def test_comments_notify_the_other_side(
    ready_pilot,
    owner,
    technical_owner,
    governance_lead,
    mailoutbox,
    django_capture_on_commit_callbacks,
    outsider,
):
    review = request(ready_pilot, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(review=review, by=governance_lead, body="Where is <b>the</b> memo?")
    deliver_all()
    commented = [m for m in mailoutbox if m.subject.startswith("New comment")]
    assert sorted(m.to[0] for m in commented) == [owner.email, technical_owner.email]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(review=review, by=owner, body="Attached.")
    deliver_all()
    assert [m.to for m in mailoutbox] == [[governance_lead.email]]
    with pytest.raises(PermissionDenied):
        services.comment_add(review=review, by=outsider, body="hi")
    with pytest.raises(ValidationError):
        services.comment_add(review=review, by=owner, body="   ")
    assert AuditEvent.objects.filter(action="review.comment").count() == 2


# --- waivers ---------------------------------------------------------------------------


def test_waiver_needs_justification_and_future_expiry(ready_pilot, governance_lead):
    now = timezone.now()
    cases = [
        ({"justification": "", "expires_at": now + timedelta(days=1)}, "justification"),
        ({"justification": "ok", "expires_at": now - timedelta(minutes=1)}, "expires_at"),
        ({"justification": "ok", "expires_at": now + timedelta(days=400)}, "expires_at"),
        (
            {"justification": "ok", "expires_at": now + timedelta(days=1), "criterion_key": "nope"},
            "criterion_key",
        ),
    ]
    for kwargs, field in cases:
        kwargs = {"criterion_key": "technical_owner_named", **kwargs}
        with pytest.raises(ValidationError) as exc:
            services.waiver_grant(pilot=ready_pilot, by=governance_lead, **kwargs)
        assert field in exc.value.message_dict
    assert not Waiver.objects.exists()


def test_waiver_by_role_holder_or_non_lead_is_forbidden(ready_pilot, governance_lead, owner):
    PilotRole.objects.create(pilot=ready_pilot, role="risk_lead", user=governance_lead)
    for user in (governance_lead, owner):
        with pytest.raises(PermissionDenied):
            services.waiver_grant(
                pilot=ready_pilot,
                criterion_key="technical_owner_named",
                justification="x",
                by=user,
                expires_at=timezone.now() + timedelta(days=1),
            )
    assert not Waiver.objects.exists()


def test_waiver_grant_is_audited(ready_pilot, governance_lead):
    waiver = services.waiver_grant(
        pilot=ready_pilot,
        criterion_key="risk_lead_named",
        justification="Advisory anyway",
        by=governance_lead,
        expires_at=timezone.now() + timedelta(days=7),
    )
    event = AuditEvent.objects.get(action="waiver.grant")
    assert event.object_id == str(waiver.pk) and event.after["justification"] == "Advisory anyway"
