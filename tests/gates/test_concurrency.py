"""Races on real concurrent PostgreSQL connections: exactly one outcome, the loser gets 409."""

import threading

import pytest
from django.db import connection, connections

from accounts.models import AuditEvent, PilotRole
from config.errors import Conflict
from gates import services
from gates.models import CriteriaVersion, Decision, Gate, Review, ReviewStatus
from tests.factories import PilotFactory, UserFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CRITERIA = [
    {
        "key": "technical_owner_named",
        "kind": "roles_named",
        "label": "Technical owner named",
        "params": {"roles": ["technical_owner"]},
        "mandatory": True,
        "risk_tiers": [],
    },
]


def run_at_once(*calls):
    """Run each call in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def setup():
    require_postgres()
    for gate in Gate.objects.all():
        CriteriaVersion.objects.create(
            gate=gate, number=gate.versions.count() + 1, criteria=CRITERIA
        )
    owner = UserFactory(username="race-owner", roles=["contributor"])
    tech = UserFactory(username="race-tech", roles=["contributor"])
    leads = [UserFactory(username=f"race-lead{i}", roles=["governance_lead"]) for i in range(2)]

    def pending_review(risk_tier="medium"):
        pilot = PilotFactory(owner=owner, risk_tier=risk_tier)
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=tech)
        return services.review_request(pilot=pilot, to_stage="pilot", by=owner)

    return owner, leads, pending_review


def decide(review_id, user, decision="approve", rationale=""):
    def call():
        review = Review.objects.select_related("pilot").get(pk=review_id)
        return services.review_decide(
            review=review, decision=decision, by=user, rationale=rationale
        )

    return call


def withdraw(review_id, user):
    def call():
        review = Review.objects.select_related("pilot").get(pk=review_id)
        return services.review_withdraw(review=review, by=user)

    return call


def transitions(pilot_id):
    return AuditEvent.objects.filter(action="pilot.transition", pilot_id=pilot_id).count()


@pytest.mark.parametrize("round_", range(3))
def test_two_leads_deciding_at_once_yield_one_outcome(setup, round_):
    assert connection.vendor == "postgresql"
    owner, (lead_a, lead_b), pending_review = setup
    review = pending_review()
    outcomes = run_at_once(
        decide(review.pk, lead_a, "approve"), decide(review.pk, lead_b, "stop", "Kill it")
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, Conflict) and "already closed" in loser.message
    review.refresh_from_db()
    pilot = review.pilot
    pilot.refresh_from_db()
    assert Decision.objects.filter(review=review).count() == 1
    winner = Decision.objects.get(review=review).decision
    if winner == "approve":
        assert (pilot.stage, pilot.status, review.status) == ("pilot", "active", "approved")
    else:
        assert (pilot.stage, pilot.status, review.status) == ("discovery", "stopped", "stopped")
    assert transitions(pilot.pk) == 1


@pytest.mark.parametrize("round_", range(3))
def test_decision_racing_a_withdrawal_yields_one_outcome(setup, round_):
    owner, (lead_a, _), pending_review = setup
    review = pending_review()
    outcomes = run_at_once(decide(review.pk, lead_a, "approve"), withdraw(review.pk, owner))
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    assert all(isinstance(v, Conflict) for k, v in outcomes if k == "error")
    review.refresh_from_db()
    pilot = review.pilot
    pilot.refresh_from_db()
    if review.status == ReviewStatus.WITHDRAWN:
        assert pilot.stage == "discovery" and transitions(pilot.pk) == 0
        assert not Decision.objects.filter(review=review).exists()
    else:
        assert review.status == ReviewStatus.APPROVED
        assert pilot.stage == "pilot" and transitions(pilot.pk) == 1


def test_two_approvals_of_a_high_risk_review_at_once_move_it_exactly_once(setup):
    owner, (lead_a, lead_b), pending_review = setup
    review = pending_review("high")
    outcomes = run_at_once(decide(review.pk, lead_a), decide(review.pk, lead_b))
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    review.refresh_from_db()
    pilot = review.pilot
    pilot.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED and pilot.stage == "pilot"
    assert Decision.objects.filter(review=review).count() == 2
    assert transitions(pilot.pk) == 1


def test_two_owners_requesting_at_once_make_one_pending_review(setup):
    owner, _, pending_review = setup
    first = pending_review()
    pilot = first.pilot
    services.review_withdraw(review=first, by=owner)

    def request():
        return services.review_request(pilot=pilot, to_stage="pilot", by=owner)

    outcomes = run_at_once(request, request)
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    assert Review.objects.filter(pilot=pilot, status=ReviewStatus.PENDING).count() == 1


def test_two_leads_revoking_one_waiver_at_once_make_one_revocation(setup):
    from datetime import timedelta

    from django.utils import timezone

    from gates.models import Waiver

    owner, leads, _ = setup
    pilot = PilotFactory(owner=owner)
    waiver = services.waiver_grant(
        pilot=pilot,
        criterion_key="technical_owner_named",
        justification="Hiring",
        expires_at=timezone.now() + timedelta(days=3),
        by=leads[0],
    )

    def revoke(user, reason):
        def call():
            loaded = Waiver.objects.select_related("pilot").get(pk=waiver.pk)
            return services.waiver_revoke(waiver=loaded, reason=reason, by=user)

        return call

    outcomes = run_at_once(revoke(leads[0], "first"), revoke(leads[1], "second"))
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, Conflict)
    waiver.refresh_from_db()
    winner = next(value for kind, value in outcomes if kind == "ok")
    assert waiver.revoke_reason == winner.revoke_reason
    assert AuditEvent.objects.filter(action="waiver.revoke").count() == 1
