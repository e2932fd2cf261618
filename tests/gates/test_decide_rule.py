"""Who may decide a review is one rule (accounts.rules.decide_refusal): the service, the
queue and the review page agree for every actor, the wrong ones included."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import rules
from accounts.models import GlobalRole, PilotRole
from config.errors import Conflict
from gates import selectors, services
from gates.models import Decision, ReviewStatus
from gates.services.transitions import pilot_transition
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db


def _surfaces(client_for, user, review) -> dict:
    """What the rule, the queue and the page say about `user` deciding `review`."""
    fresh = (
        selectors.review_get(user=user, pk=review.pk)
        if rules.can_view_pilot(user, review.pilot)
        else None
    )
    client = client_for(user)
    queue = client.get("/gates/reviews/")
    page = client.get(f"/gates/reviews/{review.pk}/")
    return {
        "rule": fresh is not None and rules.can_decide(user, fresh),
        "queue": queue.status_code == 200 and "Can decide" in queue.content.decode(),
        "page": page.status_code == 200 and 'id="decision-form"' in page.content.decode(),
    }


def _decide(review, user):
    return services.review_decide(review=review, decision="reject", rationale="No", by=user)


def test_an_independent_lead_can_decide_on_every_surface(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert _surfaces(client_for, governance_lead, review) == dict.fromkeys(
        ("rule", "queue", "page"), True
    )
    assert _decide(review, governance_lead).status == ReviewStatus.REJECTED


def test_the_pilots_owner_cannot_decide_anywhere(client_for, ready_pilot, owner):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert not any(_surfaces(client_for, owner, review).values())
    with pytest.raises(PermissionDenied):
        _decide(review, owner)
    assert (
        client_for(owner)
        .post(f"/gates/reviews/{review.pk}/decide/", {"decision": "reject", "rationale": "x"})
        .status_code
        == 403
    )


def test_a_lead_holding_a_role_on_the_pilot_is_not_independent(
    client_for, ready_pilot, owner, governance_lead
):
    PilotRole.objects.create(pilot=ready_pilot, role="risk_lead", user=governance_lead)
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert not any(_surfaces(client_for, governance_lead, review).values())
    html = client_for(governance_lead).get("/gates/reviews/").content.decode()
    assert "You hold a role on this pilot" in html
    with pytest.raises(PermissionDenied):
        _decide(review, governance_lead)


def test_the_lead_who_requested_never_decides(client_for, owner, technical_owner, simple_gates):
    lead_owner = UserFactory(username="leadowner", roles=["governance_lead"])
    pilot = PilotFactory(owner=owner)
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    review = services.review_request(pilot=pilot, to_stage="pilot", by=owner)
    # The requester loses their role afterwards: still not theirs to decide.
    review.requested_by = lead_owner
    review.save(update_fields=["requested_by"])
    assert not any(_surfaces(client_for, lead_owner, review).values())
    with pytest.raises(PermissionDenied, match="requested this review"):
        _decide(review, lead_owner)


def test_the_lead_who_already_approved_sees_it_and_cannot_decide_again(
    client_for, high_risk_pilot, owner, governance_lead
):
    review = services.review_request(pilot=high_risk_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve", by=governance_lead)
    assert not any(_surfaces(client_for, governance_lead, review).values())
    queue = client_for(governance_lead).get("/gates/reviews/").content.decode()
    assert "You approved on" in queue and "waiting for a second lead" in queue
    with pytest.raises(Conflict, match="already decided"):
        _decide(selectors.review_get(user=governance_lead, pk=review.pk), governance_lead)
    assert Decision.objects.filter(review=review).count() == 1


def test_a_lead_who_cannot_see_a_confidential_pilot_cannot_decide(
    client_for, owner, technical_owner, governance_lead, simple_gates, monkeypatch
):
    # Leads see confidential pilots today; if that changes (roles from SSO groups), the
    # rule must still hold: nothing about the review exists for them.
    monkeypatch.setattr(
        rules, "_SEES_CONFIDENTIAL", frozenset({GlobalRole.ADMIN, GlobalRole.EXECUTIVE})
    )
    pilot = PilotFactory(owner=owner, confidential=True)
    PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
    review = services.review_request(pilot=pilot, to_stage="pilot", by=owner)
    assert not any(_surfaces(client_for, governance_lead, review).values())
    assert client_for(governance_lead).get(f"/gates/reviews/{review.pk}/").status_code == 404
    with pytest.raises(Http404):
        _decide(review, governance_lead)


@pytest.mark.parametrize("who", ["executive", "outsider", "technical_owner"])
def test_people_who_are_not_leads_cannot_decide(request, client_for, ready_pilot, owner, who):
    user = request.getfixturevalue(who)
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    assert not any(_surfaces(client_for, user, review).values())
    with pytest.raises(PermissionDenied):
        _decide(review, user)


def test_a_review_of_a_pilot_moved_meanwhile_is_not_decidable(
    client_for, ready_pilot, owner, governance_lead, admin_user
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    pilot_transition(pilot=ready_pilot, by=admin_user, to_status="on_hold", reason="Audit")
    assert not any(_surfaces(client_for, governance_lead, review).values())
    queue = client_for(governance_lead).get("/gates/reviews/").content.decode()
    assert "no longer applies" in queue
    with pytest.raises(Conflict, match="no longer applies"):
        _decide(selectors.review_get(user=governance_lead, pk=review.pk), governance_lead)


def _decided_reviews(owner, technical_owner, lead, count):
    for _ in range(count):
        pilot = PilotFactory(owner=owner, risk_tier="high")
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
        review = services.review_request(pilot=pilot, to_stage="pilot", by=owner)
        services.review_decide(review=review, decision="approve", by=lead)


def test_queue_query_count_is_constant_as_decided_reviews_grow(
    client_for, owner, technical_owner, governance_lead, simple_gates
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(governance_lead)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/gates/reviews/").content.decode()
        assert "waiting for a second lead" in html
        return len(ctx.captured_queries)

    _decided_reviews(owner, technical_owner, governance_lead, 2)
    small = queries()
    _decided_reviews(owner, technical_owner, governance_lead, 5)
    assert queries() == small
