"""The planner marks each candidate's value as measured or estimated, can rank on measured
value only and counts the estimates; the economics table shows realised net value beside
the plan (issue 12 "money you can trust", issue 14 item 2)."""

from decimal import Decimal

import pytest

from dashboard import selectors
from dashboard.filters import DashboardFilters, parse_filters
from metrics.models import PilotSignal
from portfolio.models import StrategyWorkbook
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db


def candidate(name: str, benefit: int, realised: str | None = None):
    pilot = PilotFactory(name=name, stage="pilot", status="active")
    StrategyWorkbook.objects.create(
        pilot=pilot, expected_annual_benefit=Decimal(benefit), one_time_build_cost=100
    )
    if realised is not None:
        PilotSignal.objects.create(
            pilot=pilot, code="scale", label="Scale carefully", realized_net_value=Decimal(realised)
        )
    return pilot


@pytest.fixture
def candidates(db):
    # The newcomer's owner estimates the most; the measured pilots earn less than planned.
    return [
        candidate("Newcomer", 900_000),
        candidate("Measured high", 500_000, realised="400000.00"),
        candidate("Measured low", 800_000, realised="-5000.00"),
    ]


def plan(user, now, **filters):
    return selectors.portfolio_summary(user=user, filters=DashboardFilters(**filters), now=now)[
        "planner"
    ]


def test_measured_value_ranks_beside_estimates_and_estimates_are_counted(
    executive, candidates, frozen_now
):
    planner = plan(executive, frozen_now)
    rows = [(r["name"], r["net_value"], r["value_basis"]) for r in planner["rows"]]
    assert rows == [
        ("Newcomer", Decimal("900000.00"), "estimated"),
        ("Measured high", Decimal("400000.00"), "measured"),
        ("Measured low", Decimal("-5000.00"), "measured"),
    ]
    assert (planner["candidates"], planner["estimated"]) == (3, 1)


def test_ranking_on_measured_value_only_leaves_the_estimates_out(executive, candidates, frozen_now):
    planner = plan(executive, frozen_now, measured_only=True, budget=Decimal(1000))
    assert [r["name"] for r in planner["rows"]] == ["Measured high", "Measured low"]
    assert (planner["candidates"], planner["estimated"], planner["funded"]) == (2, 0, 1)


def test_the_measured_only_filter_is_read_from_the_query_string():
    filters, _ = parse_filters({"measured_only": "on"})
    assert filters.measured_only is True
    assert filters.with_(stage="pilot")["measured_only"] == "true"
    assert parse_filters({})[0].measured_only is False


def test_dashboard_page_shows_realised_beside_planned_net_value_and_the_basis(
    executive, candidates, client_for
):
    html = client_for(executive).get("/portfolio/").content.decode()
    assert "Realized net annual value</th>" in html
    assert "€400,000" in html
    assert '<span class="badge">estimated</span>' in html
    assert "1 of them is an estimate" in html


@pytest.mark.django_db
def test_the_summary_api_takes_measured_only_as_a_boolean_and_refuses_anything_else(
    executive, api_for
):
    """The schema says boolean: `null` or `on` is a 400 naming the parameter, not a yes."""
    api = api_for(executive)
    for good in ("true", "false"):
        assert api.get("/api/portfolio/summary/", {"measured_only": good}).status_code == 200
    for bad in ("null", "on", "", "1"):
        response = api.get("/api/portfolio/summary/", {"measured_only": bad})
        assert response.status_code == 400, bad
        assert response.json()["errors"]["measured_only"] == ["Give true or false."]
