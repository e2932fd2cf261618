"""My work's page, the home redirect and the count in the navigation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import PilotRole
from gates import services
from gates.models import Review
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/my-work/"


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize(
    ("actor", "lands_on"),
    [
        ("owner", "/my-work/"),
        ("governance_lead", "/my-work/"),
        ("executive", "/portfolio/"),
        ("outsider", "/portfolio/"),
    ],
)
def test_home_sends_owners_and_leads_to_my_work_and_executives_to_the_dashboard(
    request, actor, lands_on, pilot, client_for
):
    response = client_for(request.getfixturevalue(actor)).get("/")
    assert response.status_code == 302 and response.url == lands_on


def test_an_executive_who_is_also_a_lead_keeps_the_dashboard(client_for):
    both = UserFactory(username="both", roles=["executive", "governance_lead"])
    assert client_for(both).get("/").url == "/portfolio/"


def test_login_lands_an_owner_on_my_work(client, owner, pilot):
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/my-work/"


def test_executive_gets_a_link_to_my_work_in_the_navigation(client_for, executive):
    html = client_for(executive).get("/portfolio/").content.decode()
    assert 'href="/my-work/"' in html


def test_owner_sees_their_pilot_with_links_to_the_fields_that_fix_it(client_for, owner, pilot):
    html = client_for(owner).get(URL).content.decode()
    assert "Claims triage" in html
    assert f'href="/pilots/{pilot.pk}/workbooks/strategy/#field-kpi"' in html
    assert "Finish the workbook “Strategy and success definition”" in html
    assert "As a governance lead" not in html


def test_an_outsider_sees_no_one_elses_pilots_and_is_told_what_to_do(
    client_for, outsider, owner, confidential_pilot, pilot
):
    html = client_for(outsider).get(URL).content.decode()
    assert "Claims triage" not in html and "Secret merger assistant" not in html
    assert "You hold no role on an active pilot" in html and "Register a pilot" in html


def test_an_owner_gets_no_lead_section_even_when_asking_for_its_pages(client_for, owner, pilot):
    html = client_for(owner).get(URL + "?reviews=2&stale=3").content.decode()
    assert "Reviews you can decide" not in html


def test_lead_sees_a_decidable_review_with_its_age_against_the_reminder_threshold(
    client_for, ready_pilot, owner, governance_lead, settings
):
    settings.PILOTGATE_REVIEW_REMINDER_DAYS = 5
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    Review.objects.filter(pk=review.pk).update(requested_at=timezone.now() - timedelta(days=7))
    html = client_for(governance_lead).get(URL).content.decode()
    assert f'href="/gates/reviews/{review.pk}/"' in html
    assert "7 days" in html and "Overdue" in html and "waiting 5 days or more is overdue" in html
    assert "No review waits for your decision" not in html


def test_lead_who_decided_is_told_nothing_waits_for_them(
    client_for, high_risk_pilot, owner, governance_lead
):
    review = services.review_request(pilot=high_risk_pilot, to_stage="pilot", by=owner)
    services.review_decide(review=review, decision="approve", by=governance_lead, rationale="")
    html = client_for(governance_lead).get(URL).content.decode()
    assert "No review waits for your decision" in html


def test_the_navigation_counts_what_waits(client_for, ready_pilot, owner, governance_lead):
    services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    lead_nav = client_for(governance_lead).get("/pilots/").content.decode()
    assert 'My work <span class="badge badge-count">1<' in lead_nav
    owner_nav = client_for(owner).get("/pilots/").content.decode()
    assert "My work</a>" in owner_nav  # the owner waits for the leads: no count


def test_bad_page_numbers_fall_back_to_a_page_that_exists(client_for, owner):
    for n in range(7):
        PilotFactory(name=f"P{n}", owner=owner)
    client = client_for(owner)
    assert client.get(URL + "?pilots=abc").status_code == 200
    last = client.get(URL + "?pilots=99").content.decode()
    assert "Page 2 of 2" in last and "P6" in last and "P0" not in last


def _owned(owner, n, start):
    for i in range(start, start + n):
        PilotFactory(name=f"Owned {i:03}", owner=owner)


def test_owner_page_query_count_does_not_grow_with_pilots(client_for, owner):
    client = client_for(owner)
    _owned(owner, 6, 0)
    small = count_queries(client, URL)
    _owned(owner, 20, 100)
    assert count_queries(client, URL) == small
    assert count_queries(client, URL + "?pilots=3") == small


def _pending(owner, technical_owner, n, start):
    for i in range(start, start + n):
        pilot = PilotFactory(name=f"Queue {i:03}", owner=owner)
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=technical_owner)
        services.review_request(pilot=pilot, to_stage="pilot", by=owner)
        stale = PilotFactory(
            name=f"Stale {i:03}", stage_entered_at=timezone.now() - timedelta(days=400)
        )
        PilotRole.objects.create(pilot=stale, role="business_owner", user=technical_owner)


def test_lead_page_and_navigation_query_counts_do_not_grow(
    client_for, owner, technical_owner, governance_lead, simple_gates
):
    client = client_for(governance_lead)
    _pending(owner, technical_owner, 2, 0)
    small = (count_queries(client, URL), count_queries(client, "/pilots/"))
    _pending(owner, technical_owner, 25, 100)
    assert (count_queries(client, URL), count_queries(client, "/pilots/")) == small


def test_the_lead_lists_paginate_oldest_review_first(
    client_for, owner, technical_owner, governance_lead, simple_gates
):
    _pending(owner, technical_owner, 12, 0)
    client = client_for(governance_lead)
    first = client.get(URL).content.decode()
    assert "Page 1 of 2" in first and "Queue 000" in first and "Queue 011" not in first
    second = client.get(URL + "?reviews=2").content.decode()
    assert "Queue 011" in second and "Queue 000" not in second.split('id="reviews"')[1]
