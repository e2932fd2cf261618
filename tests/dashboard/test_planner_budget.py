"""The planner budget works from 0 up to the largest amount the filter accepts.

From 21,474,837 upward a whole-number budget reached PostgreSQL as an integer literal and
`budget * 100` overflowed a 32-bit integer: the dashboard answered 500, the API 400.
"""

from decimal import Decimal

import pytest

from config.bounds import BUDGET_MAX
from portfolio.models import StrategyWorkbook
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db
PAGE = "/portfolio/"
API = "/api/portfolio/summary/"


@pytest.fixture
def candidates(db):
    """Two pilots worth funding: first-year costs 21,474,837 and then 3,000,000 more."""
    for name, benefit, build in [
        ("Big claims bot", Decimal(90_000_000), Decimal(21_474_837)),
        ("Small intake bot", Decimal(9_000_000), Decimal(3_000_000)),
    ]:
        pilot = PilotFactory(name=name, stage="pilot", status="active")
        StrategyWorkbook.objects.create(
            pilot=pilot, expected_annual_benefit=benefit, one_time_build_cost=build
        )


@pytest.mark.parametrize(
    ("budget", "funded"),
    [
        ("21474836.99", 0),
        ("21474837", 1),
        ("21474837.00", 1),
        ("24474836", 1),
        ("24474837", 2),
        ("2147483648", 2),
        ("92233720368547758", None),  # past the filter's 16 digits: refused below
        (str(BUDGET_MAX), 2),
    ],
)
def test_budgets_up_to_the_filters_maximum_plan_on_page_and_api(
    candidates, executive, client_for, api_for, budget, funded
):
    page = client_for(executive).get(PAGE, {"budget": budget})
    assert page.status_code == 200
    api = api_for(executive).get(API, {"budget": budget})
    if funded is None:
        assert api.status_code == 400 and "budget" in api.json()["errors"]
        return
    assert api.status_code == 200, api.content
    plan = api.json()["planner"]
    assert plan["funded"] == funded
    assert Decimal(plan["budget"]) == Decimal(budget)
    shown = page.context["summary"]["planner"]
    assert shown["funded"] == funded


def test_zero_budget_funds_nothing_and_the_maximum_funds_every_positive_case(
    candidates, executive, api_for
):
    none = api_for(executive).get(API, {"budget": "0"}).json()["planner"]
    every = api_for(executive).get(API, {"budget": str(BUDGET_MAX)}).json()["planner"]
    assert (none["funded"], every["funded"]) == (0, 2)
    assert Decimal(every["funded_cost"]) == Decimal(24_474_837)


def test_the_schema_describes_the_budget_as_an_amount_not_an_integer(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    params = schema["paths"]["/api/portfolio/summary/"]["get"]["parameters"]
    budget = next(p for p in params if p["name"] == "budget")["schema"]
    assert budget["type"] == "string" and "pattern" in budget
