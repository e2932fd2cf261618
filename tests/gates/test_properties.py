"""Random sequences of requests, decisions, waivers and role changes keep the invariants:

- a pilot's stage moves only by an approved review (one step forward) or a redesign
  decision (back), never otherwise;
- nobody decides a review of a pilot on which they hold a role, nor their own request;
- every high-risk approval has two distinct approvers;
- at most one pending review per pilot; every refused action is a 4xx and changes nothing.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from gates import services
from gates.models import APPROVING, Decision, Review, ReviewStatus
from portfolio import services as pilot_services
from portfolio.models import STAGE_ORDER, Pilot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSALS = (ValidationError, PermissionDenied, Conflict, Http404)
DECISIONS = [
    "approve",
    "approve",
    "approve",
    "approve",
    "approve_with_conditions",
    "reject",
    "hold",
    "redesign",
    "stop",
    "nope",
]

_actions = [
    st.tuples(
        st.just("request"),
        st.integers(0, 1),
        st.sampled_from([0, 1, 0, 1, 3]),
        st.sampled_from(["next", "next", *STAGE_ORDER]),
    ),
    st.tuples(
        st.just("decide"),
        st.integers(0, 1),
        st.sampled_from([0, 1, 2, 3, 4, 2, 3, 4]),
        st.sampled_from(DECISIONS),
    ),
    st.tuples(st.just("withdraw"), st.integers(0, 1), st.integers(0, 4), st.just("")),
    st.tuples(
        st.just("waive"),
        st.integers(0, 1),
        st.integers(0, 4),
        st.sampled_from(["technical_owner_named", "risk_lead_named", "bogus", "condition"]),
    ),
    st.tuples(
        st.just("role"),
        st.integers(0, 1),
        st.integers(0, 4),
        st.sampled_from(["risk_lead", "technical_owner", "clear_technical_owner"]),
    ),
    st.tuples(st.just("resume"), st.integers(0, 1), st.integers(2, 4), st.just("")),
]
# Requests and decisions twice as likely as the rest: they are what moves stages.
actions = st.one_of(*_actions, _actions[0], _actions[1], _actions[1])


@pytest.fixture
def cast(db, simple_gates):
    owner = UserFactory(username="p-owner", roles=["contributor", "governance_lead"])
    tech = UserFactory(username="p-tech", roles=["contributor"])
    leads = [UserFactory(username=f"p-lead{i}", roles=["governance_lead"]) for i in range(3)]
    # Index 0 is the owner (also a governance lead: the requester rule must hold for them).
    return [owner, tech, *leads]


def state(pilots):
    return [
        (p.stage, p.status)
        for p in Pilot.objects.filter(pk__in=[x.pk for x in pilots]).order_by("pk")
    ]


def run(action, pilots, users, now):
    kind, pilot_index, user_index, arg = action
    pilot = Pilot.objects.get(pk=pilots[pilot_index].pk)
    user = users[user_index]
    if kind == "request":
        if arg == "next":
            arg = STAGE_ORDER[min(STAGE_ORDER.index(pilot.stage) + 1, len(STAGE_ORDER) - 1)]
        services.review_request(pilot=pilot, to_stage=arg, by=user, now=now)
    elif kind == "decide":
        # Prefer a pending review of either pilot, so that random runs decide real reviews.
        review = (
            Review.objects.filter(pilot=pilot, status="pending").first()
            or Review.objects.filter(pilot__in=[p.pk for p in pilots], status="pending").first()
            or Review.objects.filter(pilot=pilot).order_by("-id").first()
        )
        if review is None:
            return
        event(f"decide on {review.status}")
        extra = {"rationale": "because"}
        if arg == "approve_with_conditions":
            extra["conditions"] = ["Keep the fallback"]
        if arg == "redesign":
            extra["scope_note"] = "Narrower"
        services.review_decide(review=review, decision=arg, by=user, now=now, **extra)
    elif kind == "withdraw":
        review = Review.objects.filter(pilot=pilot).order_by("-id").first()
        if review is not None:
            services.review_withdraw(review=review, by=user, now=now)
    elif kind == "waive":
        services.waiver_grant(
            pilot=pilot,
            criterion_key=arg,
            justification="j",
            by=user,
            expires_at=now + timedelta(days=1),
            now=now,
        )
    elif kind == "role":
        owner = users[0]
        if arg == "clear_technical_owner":
            pilot_services.pilot_role_assign(
                pilot=pilot, role="technical_owner", user=None, by=owner
            )
        else:
            pilot_services.pilot_role_assign(pilot=pilot, role=arg, user=user, by=owner)
    elif kind == "resume":
        services.pilot_resume(pilot=pilot, by=user, reason="go on")


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(actions, min_size=1, max_size=20))
@example(sequence=[("request", 0, 0, "next"), ("decide", 0, 2, "approve")])
@example(
    sequence=[
        ("request", 1, 1, "next"),
        ("decide", 1, 2, "approve"),
        ("decide", 1, 2, "approve"),
        ("decide", 1, 3, "approve_with_conditions"),
        ("request", 1, 0, "next"),
        ("waive", 1, 4, "condition"),
        ("decide", 1, 4, "redesign"),
    ]
)
@example(
    sequence=[
        ("role", 0, 2, "risk_lead"),
        ("request", 0, 0, "next"),
        ("decide", 0, 2, "approve"),
        ("decide", 0, 0, "approve"),
        ("decide", 0, 3, "hold"),
        ("resume", 0, 4, ""),
        ("request", 0, 1, "next"),
        ("withdraw", 0, 1, ""),
        ("decide", 0, 4, "stop"),
    ]
)
def test_random_gate_activity_keeps_the_invariants(cast, sequence):
    users = cast
    with transaction.atomic():
        pilots = []
        for risk in ("medium", "high"):
            pilot = pilot_services.pilot_create(
                by=users[0], name=f"Prop {risk}", business_unit="Lab", risk_tier=risk
            )
            PilotRole.objects.create(pilot=pilot, role="technical_owner", user=users[1])
            pilots.append(pilot)
        now = timezone.now()
        for step, action in enumerate(sequence):
            now += timedelta(hours=step)
            before = state(pilots)
            decisions_before = Decision.objects.count()
            roles_before = {
                p.pk: set(PilotRole.objects.filter(pilot=p).values_list("user_id", flat=True))
                for p in pilots
            }
            audit_before = AuditEvent.objects.count()
            try:
                with transaction.atomic():
                    run(action, pilots, users, now)
            except REFUSALS as exc:
                event(f"refused {action[0]} u{action[2]} {type(exc).__name__} {str(exc)[:40]}")
                assert state(pilots) == before, action
                assert AuditEvent.objects.count() == audit_before, action
                continue
            event(f"ok {action[0]}")
            after = state(pilots)
            new_decisions = Decision.objects.select_related("review").order_by("id")[
                decisions_before:
            ]
            for decision in new_decisions:
                review = decision.review
                assert decision.decided_by_id not in roles_before[review.pilot_id], action
                assert decision.decided_by_id != review.requested_by_id, action
            for index, ((stage_before, _), (stage_after, _)) in enumerate(
                zip(before, after, strict=True)
            ):
                if stage_before == stage_after:
                    continue
                event("stage moved")
                review = Review.objects.filter(pilot=pilots[index]).order_by("-id").first()
                moved = STAGE_ORDER.index(stage_after) - STAGE_ORDER.index(stage_before)
                if review.status in (ReviewStatus.APPROVED, ReviewStatus.APPROVED_WITH_CONDITIONS):
                    assert moved == 1 and review.to_stage == stage_after, action
                else:
                    assert review.status == ReviewStatus.REDESIGN and moved < 0, action
            for pilot in pilots:
                assert Review.objects.filter(pilot=pilot, status="pending").count() <= 1
        for review in Review.objects.filter(
            status__in=[ReviewStatus.APPROVED, ReviewStatus.APPROVED_WITH_CONDITIONS],
            pilot__risk_tier="high",
        ):
            approvers = set(
                review.decisions.filter(decision__in=APPROVING).values_list("decided_by", flat=True)
            )
            assert len(approvers) >= 2
        transaction.set_rollback(True)
