"""Recertification of pilots at scale: due dates on a frozen clock, the policy, the review
flow (with the wrong actors), reminders with the outbox event, and the optional auto-hold."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from dashboard.selectors import attention
from gates import recertification, services
from gates.models import RecertificationPolicy, Review, ReviewKind, ReviewStatus
from gates.tasks import recertification_daily as daily_reminders
from outbox.catalog import EventType
from outbox.models import Event
from portfolio.models import Pilot
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db

REACHED_SCALE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # medium: due 1 Jan 2027


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def scaled(owner, technical_owner, simple_gates):
    pilot = PilotFactory(name="Scaled pilot", owner=owner, risk_tier="medium", stage="scale")
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    Pilot.objects.filter(pk=pilot.pk).update(stage_entered_at=REACHED_SCALE)
    pilot.refresh_from_db()
    return pilot


def due_ids(now):
    return set(recertification.due_pilots(Pilot.objects.all(), now).values_list("pk", flat=True))


def overdue_ids(now):
    return set(
        recertification.overdue_pilots(Pilot.objects.all(), now).values_list("pk", flat=True)
    )


def test_the_shipped_intervals_are_loaded_by_the_data_migration():
    assert (
        dict(RecertificationPolicy.objects.values_list("risk_tier", "months"))
        == {
            "high": 6,
            "medium": 12,
            "low": 18,
        }
        or not RecertificationPolicy.objects.exists()
    )  # a flushed database falls back
    assert recertification.policy_months() == {"high": 6, "medium": 12, "low": 18}


def test_due_then_overdue_on_a_frozen_clock(scaled):
    assert recertification.due_date(scaled) == at(2027, 1, 1, 9, 0)
    with freeze_time("2026-11-20"):  # 42 days before: not yet within the 30-day notice
        now = at(2026, 11, 20)
        assert recertification.state(scaled, now) == "ok"
        assert scaled.pk not in due_ids(now)
    with freeze_time("2026-12-10"):
        now = at(2026, 12, 10)
        assert recertification.state(scaled, now) == "due"
        assert scaled.pk in due_ids(now) and scaled.pk not in overdue_ids(now)
        assert list(attention.filter_pilots(Pilot.objects.all(), "recertification", now)) == [
            scaled
        ]
    with freeze_time("2027-01-02"):
        now = at(2027, 1, 2)
        assert recertification.state(scaled, now) == "overdue"
        assert scaled.pk in overdue_ids(now)
        counts = {c["key"]: c["count"] for c in attention.attention_counts(Pilot.objects, now)}
        assert counts["recertification"] == 1


def test_only_live_pilots_at_scale_are_ever_due(scaled, owner):
    readiness = PilotFactory(name="Not yet", owner=owner, stage="readiness")
    stopped = PilotFactory(name="Stopped", owner=owner, stage="scale", status="stopped")
    Pilot.objects.filter(pk__in=[readiness.pk, stopped.pk]).update(stage_entered_at=REACHED_SCALE)
    assert due_ids(at(2030, 1, 1)) == {scaled.pk}


def test_the_risk_tier_sets_the_interval(scaled):
    Pilot.objects.filter(pk=scaled.pk).update(risk_tier="high")
    scaled.refresh_from_db()
    assert recertification.due_date(scaled) == at(2026, 7, 1, 9, 0)
    assert scaled.pk in overdue_ids(at(2026, 7, 2))


def test_a_lead_changes_the_policy_audited(scaled, governance_lead):
    services.recertification_policy_set(by=governance_lead, risk_tier="medium", months=3)
    assert recertification.due_date(scaled) == at(2026, 4, 1, 9, 0)
    event = AuditEvent.objects.filter(action="recertification_policy.update").latest("id")
    assert event.before == {"risk_tier": "medium", "months": 12}
    assert event.after == {"risk_tier": "medium", "months": 3}


@pytest.mark.parametrize("actor", ["owner", "executive", "outsider"])
def test_only_governance_leads_change_the_policy(request, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        services.recertification_policy_set(by=user, risk_tier="medium", months=3)


@pytest.mark.parametrize(
    "tier, months, field",
    [("medium", "six", "months"), ("medium", 0, "months"), ("medium", 61, "months"),
     ("extreme", 6, "risk_tier")],
)  # fmt: skip
def test_bad_policy_input_names_the_field(governance_lead, tier, months, field):
    with pytest.raises(ValidationError) as exc:
        services.recertification_policy_set(by=governance_lead, risk_tier=tier, months=months)
    assert field in exc.value.message_dict


def test_the_owner_requests_and_a_lead_approves_without_a_stage_move(
    scaled, owner, governance_lead
):
    review = services.recertification_request(pilot=scaled, by=owner, note="Yearly check")
    assert (review.kind, review.from_stage, review.to_stage) == (
        ReviewKind.RECERTIFICATION, "scale", "scale",
    )  # fmt: skip
    assert review.criteria_version.gate.to_stage == "scale"  # the scale gate's criteria
    assert review.evaluation  # frozen at request time
    assert Event.objects.filter(type=EventType.REVIEW_REQUESTED, pilot_id=scaled.pk).exists()
    with freeze_time("2026-12-15 10:00"):
        services.review_decide(review=review, decision="approve", by=governance_lead)
    review.refresh_from_db()
    scaled.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert (scaled.stage, scaled.status) == ("scale", "active")
    assert scaled.stage_entered_at == REACHED_SCALE  # no move
    # The approval restarts the clock: the next date is a year from it.
    assert recertification.due_date(scaled) == at(2027, 12, 15, 10, 0)
    assert scaled.pk not in due_ids(at(2027, 1, 2))
    assert not AuditEvent.objects.filter(action="pilot.transition", pilot_id=scaled.pk).exists()


def test_the_quorum_and_separation_of_duties_hold(
    scaled, owner, governance_lead, second_governance_lead
):
    Pilot.objects.filter(pk=scaled.pk).update(risk_tier="high")
    scaled.refresh_from_db()
    review = services.recertification_request(pilot=scaled, by=owner)
    assert review.approvals_needed == 2
    with pytest.raises(PermissionDenied):  # an owner never decides their own pilot's review
        services.review_decide(review=review, decision="approve", by=owner)
    services.review_decide(review=review, decision="approve", by=governance_lead)
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    with pytest.raises(Conflict):  # one lead, one vote: refused, not a second vote
        services.review_decide(review=review, decision="approve", by=governance_lead)
    services.review_decide(review=review, decision="approve", by=second_governance_lead)
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED


def test_a_lead_may_hold_the_pilot_instead(scaled, owner, governance_lead):
    review = services.recertification_request(pilot=scaled, by=owner)
    services.review_decide(
        review=review, decision="hold", by=governance_lead, rationale="Drift unexplained"
    )
    scaled.refresh_from_db()
    assert (scaled.stage, scaled.status) == ("scale", "on_hold")


@pytest.mark.parametrize("actor", ["outsider", "governance_lead", "executive"])
def test_only_owners_request_a_recertification(request, scaled, actor):
    with pytest.raises(PermissionDenied):
        services.recertification_request(pilot=scaled, by=request.getfixturevalue(actor))
    assert not Review.objects.exists()


def test_a_pilot_not_at_scale_is_not_recertified(ready_pilot, owner):
    with pytest.raises(Conflict):
        services.recertification_request(pilot=ready_pilot, by=owner)


def test_a_failing_scale_criterion_refuses_the_request(scaled, owner, technical_owner):
    PilotRole.objects.filter(pilot=scaled, user=technical_owner).delete()
    with pytest.raises(Conflict):
        services.recertification_request(pilot=scaled, by=owner)
    assert not Review.objects.exists()


def test_reminders_publish_once_when_due_and_once_when_overdue(scaled, owner, technical_owner):
    from notify.messages import compose
    from notify.recipients import for_event

    with freeze_time("2026-12-10"):
        assert daily_reminders.apply().get()["recertifications"] == 1
        daily_reminders.apply().get()  # a second run the same day: nothing new
    with freeze_time("2026-12-11"):
        assert daily_reminders.apply().get()["recertifications"] == 0
    with freeze_time("2027-01-03"):
        assert daily_reminders.apply().get()["recertifications"] == 1
    events = Event.objects.filter(type=EventType.RECERTIFICATION_DUE, pilot_id=scaled.pk)
    assert [(e.payload["due_on"], e.payload["overdue"]) for e in events.order_by("id")] == [
        ("2027-01-01", False),
        ("2027-01-01", True),
    ]
    # Each time, both owners hear of it (the notify app sends what it composes).
    for event in events:
        assert sorted(u.pk for u in for_event(event)) == sorted([owner.pk, technical_owner.pk])
    assert "overdue" in compose(events.order_by("id").last()).subject


def test_auto_hold_is_off_by_default(scaled):
    with freeze_time("2027-02-01"):
        assert daily_reminders.apply().get()["held_overdue"] == 0
    scaled.refresh_from_db()
    assert scaled.status == "active"


def test_auto_hold_puts_an_overdue_pilot_on_hold_as_the_system(settings, scaled, owner):
    settings.PILOTGATE_RECERTIFICATION_AUTO_HOLD = True
    with freeze_time("2026-12-20"):  # due, not overdue: left alone
        assert daily_reminders.apply().get()["held_overdue"] == 0
    with freeze_time("2027-02-01"):
        assert daily_reminders.apply().get()["held_overdue"] == 1
    scaled.refresh_from_db()
    assert scaled.status == "on_hold"
    event = AuditEvent.objects.filter(action="pilot.transition", pilot_id=scaled.pk).latest("id")
    assert event.actor_id is None
    assert event.after["reason"] == "Recertification overdue since 2027-01-01"


def test_auto_hold_leaves_a_pilot_whose_recertification_is_under_way(settings, scaled, owner):
    settings.PILOTGATE_RECERTIFICATION_AUTO_HOLD = True
    services.recertification_request(pilot=scaled, by=owner)
    with freeze_time("2027-02-01"):
        assert daily_reminders.apply().get()["held_overdue"] == 0


# --- pages ------------------------------------------------------------------------------


def test_request_page_for_the_owner_and_refusal_for_others(scaled, owner, outsider, client_for):
    url = reverse("gates:recertification_request", args=[scaled.pk])
    page = client_for(owner).get(url)
    assert page.status_code == 200
    assert "Live evaluation against the scale gate" in page.content.decode()
    assert client_for(outsider).get(url).status_code == 403
    response = client_for(owner).post(url, {"note": "Annual"})
    review = Review.objects.get(pilot=scaled)
    assert response.status_code == 302 and review.kind == ReviewKind.RECERTIFICATION
    detail = client_for(owner).get(reverse("gates:review_detail", args=[review.pk]))
    assert (
        "Recertification: " in detail.content.decode() and "· in Scale" in detail.content.decode()
    )


def test_policy_page_edit_by_a_lead_only(governance_lead, owner, client_for):
    url = reverse("gates:recertification_policy")
    assert "Governance leads change" in client_for(owner).get(url).content.decode()
    data = {"months_high": "4", "months_medium": "12", "months_low": "18"}
    assert client_for(owner).post(url, data).status_code == 403
    bad = client_for(governance_lead).post(url, {**data, "months_high": "0"})
    assert bad.status_code == 400
    assert "months_high" in bad.content.decode()
    assert client_for(governance_lead).post(url, data).status_code == 302
    assert recertification.policy_months()["high"] == 4


def test_pilot_page_and_my_work_show_the_due_recertification(
    scaled, owner, governance_lead, client_for
):
    with freeze_time("2027-01-05"):
        page = client_for(owner).get(scaled.get_absolute_url()).content.decode()
        assert "Recertification was due" in page
        mine = client_for(owner).get(reverse("mywork:home")).content.decode()
        assert "Request the recertification review" in mine
        lead = client_for(governance_lead).get(reverse("mywork:home")).content.decode()
        assert 'id="recertifications"' in lead and "Scaled pilot" in lead
