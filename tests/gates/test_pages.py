"""Gate pages: request, queue, review, decision form, waiver form, pilot timeline."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import PilotRole
from gates import services
from gates.models import Review, ReviewStatus, Waiver
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def make_pending(owner, technical_owner, n, *, days_ago=0):
    reviews = []
    for i in range(n):
        pilot = PilotFactory(name=f"Queue pilot {i}", owner=owner)
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
        review = services.review_request(pilot=pilot, to_stage="pilot", by=owner)
        Review.objects.filter(pk=review.pk).update(
            requested_at=timezone.now() - timedelta(days=days_ago + n - i)
        )
        reviews.append(review)
    return reviews


def test_owner_requests_a_review_through_the_page(client_for, ready_pilot, owner):
    url = f"/gates/pilots/{ready_pilot.pk}/request/"
    page = client_for(owner).get(url)
    assert page.status_code == 200 and "Technical owner named" in page.content.decode()
    response = client_for(owner).post(url, {"note": "<script>x</script>", "evidence_links": ""})
    review = Review.objects.get()
    assert response.status_code == 302 and response.url == f"/gates/reviews/{review.pk}/"
    assert review.note == "<script>x</script>"
    detail = client_for(owner).get(response.url).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in detail and "<script>x" not in detail


def test_refused_request_page_lists_failing_criteria_with_409(client_for, owner, simple_gates):
    pilot = PilotFactory(owner=owner)
    response = client_for(owner).post(f"/gates/pilots/{pilot.pk}/request/", {"note": ""})
    assert response.status_code == 409
    assert "Roles not named: technical owner" in response.content.decode()
    assert not Review.objects.exists()


def test_request_page_forbidden_for_non_owner_and_hidden_for_outsider(
    client_for, ready_pilot, executive, outsider, owner
):
    assert client_for(executive).get(f"/gates/pilots/{ready_pilot.pk}/request/").status_code == 403
    secret = PilotFactory(owner=owner, confidential=True)
    assert client_for(outsider).get(f"/gates/pilots/{secret.pk}/request/").status_code == 404


def test_queue_shows_oldest_first_with_age(
    client_for, owner, technical_owner, governance_lead, simple_gates
):
    make_pending(owner, technical_owner, 2, days_ago=3)
    html = client_for(governance_lead).get("/gates/reviews/").content.decode()
    assert html.index("Queue pilot 0") < html.index("Queue pilot 1")
    assert "5 days" in html and "4 days" in html


def test_queue_is_for_governance_leads_only(client_for, owner, executive):
    assert client_for(owner).get("/gates/reviews/").status_code == 403
    assert client_for(executive).get("/gates/reviews/").status_code == 403


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_reviews(
    client_for, owner, technical_owner, governance_lead, simple_gates
):
    client = client_for(governance_lead)
    make_pending(owner, technical_owner, 2)
    small = count_queries(client, "/gates/reviews/")
    make_pending(owner, technical_owner, 6)
    assert count_queries(client, "/gates/reviews/") == small


def test_review_page_query_count_does_not_grow(
    client_for, ready_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    client = client_for(governance_lead)
    services.comment_add(review=review, by=owner, body="one")
    small = count_queries(client, f"/gates/reviews/{review.pk}/")
    for i in range(5):
        services.comment_add(review=review, by=second_governance_lead, body=f"c{i}")
    assert count_queries(client, f"/gates/reviews/{review.pk}/") == small


def test_pilot_page_query_count_does_not_grow_with_history(
    client_for, ready_pilot, owner, governance_lead, executive
):
    client = client_for(executive)
    url = f"/pilots/{ready_pilot.pk}/"
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="reject", by=governance_lead, rationale="r1")
    small = count_queries(client, url)
    for i in range(3):
        review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
        services.review_decide(
            review=review, decision="reject", by=governance_lead, rationale=f"r{i}"
        )
        services.waiver_grant(
            pilot=ready_pilot,
            criterion_key="risk_lead_named",
            by=governance_lead,
            justification="j",
            expires_at=timezone.now() + timedelta(days=3),
        )
    assert count_queries(client, url) == small


def test_review_page_shows_frozen_beside_live_and_evidence(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(
        pilot=ready_pilot, to_stage="pilot", by=owner, evidence_links=["https://docs.test/memo"]
    )
    # After the request the technical owner leaves: frozen says pass, live says fail.
    PilotRole.objects.filter(pilot=ready_pilot, role="technical_owner").delete()
    html = client_for(governance_lead).get(f"/gates/reviews/{review.pk}/").content.decode()
    assert 'href="https://docs.test/memo"' in html
    assert "All 1 roles named" in html and "Roles not named: technical owner" in html
    assert 'id="decision-form"' in html


def test_decision_form_records_a_decision_and_409_when_closed(
    client_for, ready_pilot, owner, governance_lead, second_governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    url = f"/gates/reviews/{review.pk}/decide/"
    missing = client_for(governance_lead).post(url, {"decision": "reject", "rationale": ""})
    assert missing.status_code == 400 and "Give the reasons" in missing.content.decode()
    assert client_for(owner).post(url, {"decision": "approve"}).status_code == 403
    done = client_for(governance_lead).post(url, {"decision": "approve"})
    assert done.status_code == 302
    late = client_for(second_governance_lead).post(url, {"decision": "approve"})
    assert late.status_code == 409 and "already closed" in late.content.decode()
    ready_pilot.refresh_from_db()
    assert ready_pilot.stage == "pilot"


def test_withdraw_and_comment_through_the_page(client_for, ready_pilot, owner, governance_lead):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    comment = client_for(governance_lead).post(
        f"/gates/reviews/{review.pk}/comments/", {"body": "Question"}
    )
    assert comment.status_code == 302
    assert (
        client_for(governance_lead).post(f"/gates/reviews/{review.pk}/withdraw/").status_code == 403
    )
    assert client_for(owner).post(f"/gates/reviews/{review.pk}/withdraw/").status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.WITHDRAWN


def test_waiver_form(client_for, ready_pilot, governance_lead, owner):
    url = f"/gates/pilots/{ready_pilot.pk}/waivers/new/"
    assert client_for(owner).get(url).status_code == 403
    past = client_for(governance_lead).post(
        url,
        {
            "criterion_keys": ["risk_lead_named"],
            "justification": "x",
            "expires_at": "2001-01-01T10:00",
        },
    )
    assert past.status_code == 400 and "must be in the future" in past.content.decode()
    future = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    ok = client_for(governance_lead).post(
        url,
        {"criterion_keys": ["risk_lead_named"], "justification": "Hiring", "expires_at": future},
    )
    assert ok.status_code == 302
    assert Waiver.objects.get().justification == "Hiring"


def test_pilot_page_timeline_shows_reviews_decisions_and_waivers(
    client_for, ready_pilot, owner, governance_lead
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    services.review_decide(
        review=review,
        decision="approve_with_conditions",
        by=governance_lead,
        rationale="Fine <i>mostly</i>",
        conditions=["Name a risk lead"],
    )
    html = client_for(owner).get(f"/pilots/{ready_pilot.pk}/").content.decode()
    assert "Stage timeline" in html
    assert "Review requested: Discovery → Pilot" in html
    assert "Approve with conditions (Discovery → Pilot)" in html
    assert "Fine &lt;i&gt;mostly&lt;/i&gt;" in html
    assert "Name a risk lead" in html


def test_governance_lead_sees_queue_link_and_others_do_not(client_for, governance_lead, owner):
    assert "/gates/reviews/" in client_for(governance_lead).get("/pilots/").content.decode()
    assert "/gates/reviews/" not in client_for(owner).get("/pilots/").content.decode()
