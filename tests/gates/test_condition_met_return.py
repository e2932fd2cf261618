"""Marking a condition met returns to the page it was marked on (My work), when that page
is one of ours; otherwise to the pilot."""

import pytest

from accounts.models import AuditEvent
from gates import services
from gates.models import Condition

pytestmark = pytest.mark.django_db


@pytest.fixture
def condition(ready_pilot, owner, governance_lead):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(
        review=review,
        decision="approve_with_conditions",
        by=governance_lead,
        rationale="Good, but",
        conditions=["Add a fallback queue"],
    )
    return Condition.objects.get()


def _mark(client, condition, **data):
    return client.post(f"/gates/conditions/{condition.pk}/met/", data)


def test_mark_met_from_my_work_returns_to_my_work(client_for, condition, second_governance_lead):
    client = client_for(second_governance_lead)
    page = client.get("/my-work/").content.decode()
    assert f'action="/gates/conditions/{condition.pk}/met/"' in page
    assert '<input type="hidden" name="next" value="/my-work/">' in page
    response = _mark(client, condition, next="/my-work/?page=2")
    assert response.status_code == 302 and response.url == "/my-work/?page=2"
    condition.refresh_from_db()
    assert condition.met_at is not None and condition.met_by == second_governance_lead
    assert AuditEvent.objects.filter(action="condition.met").exists()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_an_unsafe_or_missing_next_returns_to_the_pilot(
    client_for, condition, second_governance_lead, target
):
    response = _mark(client_for(second_governance_lead), condition, next=target)
    assert response.status_code == 302
    assert response.url == condition.pilot.get_absolute_url()


def test_the_wrong_actor_cannot_mark_met_whatever_next_says(client_for, condition, owner):
    response = _mark(client_for(owner), condition, next="/my-work/")
    assert response.status_code == 403  # the owner is not an independent governance lead
    condition.refresh_from_db()
    assert condition.met_at is None
