"""The dashboard's "needs attention" headline: each count is right, respects who may see
what, and links to the pilot list filtered to exactly the pilots counted."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from dashboard.selectors.attention import KEYS
from gates.models import CriteriaVersion, Gate, Review
from metrics.models import PilotSignal
from portfolio.models import Pilot
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:home")
LIST = reverse("portfolio:pilot_list")


def _review(pilot, requested_days_ago, by):
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    version = CriteriaVersion.objects.create(
        gate=gate, number=gate.versions.count() + 1, criteria=[], note="test"
    )
    return Review.objects.create(
        pilot=pilot,
        from_stage=pilot.stage,
        to_stage="pilot",
        criteria_version=version,
        requested_by=by,
        requested_at=timezone.now() - timedelta(days=requested_days_ago),
    )


@pytest.fixture
def attention_portfolio(portfolio_facts, small_portfolio, owner, settings):
    """On top of portfolio_facts (Charlie: stop signal, on hold; Secret: stop but stopped;
    Bravo and Delta: stale with open alerts):

    - Charlie has been on hold 40 days (no transition in the audit trail: its last update);
    - Alpha's review has waited 6 days, Echo's 2 (the reminder threshold is 5);
    - a confidential active pilot with a stop signal that the outsider may not see;
    - Foxtrot, at scale for 13 months at medium risk (recertified every 12): overdue.
    """
    settings.PILOTGATE_HOLD_ATTENTION_DAYS = 30
    settings.PILOTGATE_REVIEW_REMINDER_DAYS = 5
    p = small_portfolio
    Pilot.objects.filter(pk=p["charlie"].pk).update(updated_at=timezone.now() - timedelta(days=40))
    _review(p["alpha"], 6, owner)
    _review(p["echo"], 2, owner)
    hidden = PilotFactory(name="Hidden stop", owner=owner, confidential=True)
    PilotSignal.objects.create(pilot=hidden, code="stop", label="Stop", stop_recommended=True)
    foxtrot = PilotFactory(name="Foxtrot", owner=owner, stage="scale", risk_tier="medium")
    Pilot.objects.filter(pk=foxtrot.pk).update(
        stage_entered_at=timezone.now() - timedelta(days=400)
    )
    return p


def _counts(response) -> dict[str, int]:
    return {item["key"]: item["count"] for item in response.context["attention"]}


def _listed(client, kind) -> set[str]:
    response = client.get(LIST, {"attention": kind})
    assert response.status_code == 200
    return {pilot.name for pilot in response.context["page"].object_list}


def test_each_attention_count_is_the_pilots_the_filtered_list_shows(
    attention_portfolio, executive, client_for
):
    client = client_for(executive)
    response = client.get(URL)
    expected = {
        "stop": {"Charlie", "Hidden stop"},  # Secret is stopped already: nothing to decide
        "held": {"Charlie"},
        "review_waiting": {"Alpha"},  # Echo's review is 2 days old
        "stale": {"Bravo", "Delta"},
        "alerts": {"Bravo", "Delta"},
        "recertification": {"Foxtrot"},
    }
    assert _counts(response) == {kind: len(names) for kind, names in expected.items()}
    for kind, names in expected.items():
        assert _listed(client, kind) == names, kind
    html = response.content.decode()
    for kind in KEYS:
        assert f'href="{LIST}?attention={kind}"' in html


def test_outsider_counts_and_lists_only_the_pilots_they_may_see(
    attention_portfolio, outsider, client_for
):
    client = client_for(outsider)
    counts = _counts(client.get(URL))
    assert "Hidden stop" not in _listed(client, "stop")
    assert counts["stop"] == len(_listed(client, "stop"))
    assert counts["stop"] < 2


def test_a_hold_counts_from_the_transition_to_on_hold_in_the_audit_trail(
    attention_portfolio, executive, governance_lead, client_for
):
    charlie = attention_portfolio["charlie"]
    # Put on hold 3 days ago (long after its last update 40 days ago): not a long hold.
    with mock.patch("accounts.audit.timezone.now", return_value=timezone.now() - timedelta(days=3)):
        audit_record(
            actor=governance_lead,
            action="pilot.transition",
            obj=charlie,
            pilot_id=charlie.pk,
            before={"stage": "pilot", "status": "active"},
            after={"stage": "pilot", "status": "on_hold", "reason": "harden"},
        )
    client = client_for(executive)
    assert _counts(client.get(URL))["held"] == 0
    assert _listed(client, "held") == set()


def test_unknown_attention_kind_is_reported_not_a_crash(executive, client_for):
    response = client_for(executive).get(LIST, {"attention": "everything"})
    assert response.status_code == 200
    assert "attention" in response.context["filter"].errors


@pytest.mark.parametrize("params", [{"attention": k} for k in KEYS] + [{"signal": "stop"}])
def test_pilot_list_filters_query_count_does_not_grow_with_pilots(
    params, executive, many_pilots, client_for
):
    client = client_for(executive)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST, params)
        assert response.status_code == 200
        assert len(response.context["page"].object_list) > 0
        return len(ctx.captured_queries)

    def add(n):
        # Every pilot meets every condition it can, so each list is full at both sizes.
        pilots = many_pilots(n)
        PilotSignal.objects.bulk_create(
            PilotSignal(pilot=p, code="stop", label="Stop", open_alerts=1) for p in pilots
        )
        Pilot.objects.filter(pk__in=[p.pk for p in pilots]).update(
            updated_at=timezone.now() - timedelta(days=400),
            stage_entered_at=timezone.now() - timedelta(days=400),
        )
        for pilot in pilots[-2:]:
            _review(pilot, 30, executive)

    add(6)
    small = count()
    add(60)
    assert count() == small


def test_signal_filter_lists_the_pilots_with_that_signal(portfolio_facts, executive, client_for):
    client = client_for(executive)
    assert _listed_signal(client, "stop") == {"Charlie", "Secret"}
    # No stored signal counts as insufficient data, as on the dashboard.
    assert _listed_signal(client, "insufficient_data") == {"Echo"}


def _listed_signal(client, code) -> set[str]:
    response = client.get(LIST, {"signal": code})
    assert response.status_code == 200
    return {pilot.name for pilot in response.context["page"].object_list}


def test_the_dashboard_varies_on_hx_request(executive, client_for):
    """The same URL is a full page or an htmx fragment: a cache (the browser's, on Back)
    must not hand one out for the other."""
    response = client_for(executive).get(URL, {"stage": "pilot"})
    assert "HX-Request" in response["Vary"]
    response = client_for(executive).get(LIST, {"stage": "pilot"})
    assert "HX-Request" in response["Vary"]
