"""Numbers the product accepts are numbers it can store, aggregate and show.

A property test drives every numeric input to the largest or the smallest value its edge
accepts (workbook fields and list rows through the workbook API, metric values through
the push API, the planner budget through the query string), then renders every page and
export that combines them. None may answer 5xx: before, accepted economic inputs at
their column limits made the dashboard and the summary API answer 500 for every user.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from config.bounds import BUDGET_MAX, METRIC_VALUE_LIMIT, WORKBOOK_FIELD_BOUNDS
from dashboard.aggregates import aggregates_rebuild
from metrics.ingest import metric_bounds
from metrics.models import MetricDefinition
from metrics.services import snapshots_process

pytestmark = pytest.mark.django_db


def ends(low, high):
    return st.sampled_from([low, high])


def money(name):
    low, high = WORKBOOK_FIELD_BOUNDS[name]
    return ends(str(low), str(high))


STRATEGY = {
    name: money(name)
    for name in (
        "expected_annual_benefit",
        "annual_volume",
        "cost_per_transaction",
        "minutes_per_review",
        "loaded_hourly_cost",
        "failure_handling_cost",
        "one_time_build_cost",
    )
} | {"human_review_rate_pct": ends("0", "100")}
DEPLOYMENT = {
    "latency_budget_ms": ends(0, 3_600_000),
    "expected_concurrency": ends(0, 10_000_000),
    "first_traffic_slice_pct": ends("0", "100"),
}
LIMIT = METRIC_VALUE_LIMIT
# Metric-valued list fields, in a metric with no narrower catalog range of its own, and
# every catalog metric at either end of its range.
EXTREMES = st.fixed_dictionaries(
    {
        "strategy": st.fixed_dictionaries(STRATEGY),
        "deployment": st.fixed_dictionaries(DEPLOYMENT),
        "minutes_per_week": money("minutes_per_week"),
        "traffic_pct": ends("0", "100"),
        "threshold": ends(-LIMIT, LIMIT),
        "metric_end": st.sampled_from([0, 1]),
        "budget": ends("0", str(BUDGET_MAX)),
    }
)
ALL_MAX = {
    "strategy": {k: str(WORKBOOK_FIELD_BOUNDS.get(k, (0, 100))[1]) for k in STRATEGY},
    "deployment": {"latency_budget_ms": 3_600_000, "expected_concurrency": 10_000_000}
    | {"first_traffic_slice_pct": "100"},
    "minutes_per_week": str(WORKBOOK_FIELD_BOUNDS["minutes_per_week"][1]),
    "traffic_pct": "100",
    "threshold": LIMIT,
    "metric_end": 1,
    "budget": str(BUDGET_MAX),
}
ALL_MIN = {
    "strategy": dict.fromkeys(STRATEGY, "0"),
    "deployment": {"latency_budget_ms": 0, "expected_concurrency": 0}
    | {"first_traffic_slice_pct": "0"},
    "minutes_per_week": "0",
    "traffic_pct": "0",
    "threshold": -LIMIT,
    "metric_end": 0,
    "budget": "0",
}


def workbooks(pilot, owner, x) -> dict[str, dict]:
    people = {"business_owner": owner.username, "delivery_lead": owner.username}
    return {
        "strategy": {
            **x["strategy"],
            **people,
            "kpi": "Claims closed per day",
            "success_metrics": [
                {"metric": "realized_benefit", "baseline": -LIMIT, "target": LIMIT, "unit": "USD"}
            ],
            "stop_conditions": [
                {
                    "metric": "realized_benefit",
                    "threshold": x["threshold"],
                    "by_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
                    "action": "end",
                }
            ],
        },
        "data": {
            "manual_steps": [{"description": "Rekey", "minutes_per_week": x["minutes_per_week"]}]
        },
        "deployment": {
            **x["deployment"],
            "rollout_steps": [{"description": "First slice", "traffic_pct": x["traffic_pct"]}],
            "rollback_triggers": [
                {
                    "metric": "realized_benefit",
                    "threshold": x["threshold"],
                    "action": "disable_ai",
                    "decision_owner": owner.username,
                }
            ],
        },
        "monitoring": {
            "monitored_metrics": [
                {"metric": "realized_benefit", "source": "push", "threshold": x["threshold"]}
            ]
        },
    }


_moment = itertools.count(1)


def push_every_metric_at_an_end(api, pilot, end: int) -> None:
    now = timezone.now()
    rows, spans = [], []
    for metric in MetricDefinition.objects.all():
        at = now - timedelta(seconds=next(_moment))
        rows.append(
            {
                "pilot": pilot.pk,
                "metric": metric.key,
                "observed_at": at.isoformat(),
                "value": metric_bounds(metric)[end],
            }
        )
        spans.append((pilot.pk, metric.pk, at, at))
    response = api.post("/api/snapshots/", rows, format="json")
    assert response.status_code == 200, response.json()
    snapshots_process(spans=spans)


@pytest.fixture
def pages(pilot, owner, executive, client_for, api_for):
    writer, reader, page_reader = api_for(owner), api_for(executive), client_for(executive)
    owner_pages = client_for(owner)

    def check(x):
        for phase, body in workbooks(pilot, owner, x).items():
            response = writer.patch(
                f"/api/pilots/{pilot.pk}/workbooks/{phase}/", body, format="json"
            )
            assert response.status_code == 200, (phase, response.json())
        push_every_metric_at_an_end(writer, pilot, x["metric_end"])
        aggregates_rebuild()
        budget = {"budget": x["budget"]}
        answers = {
            "dashboard": page_reader.get("/portfolio/", budget),
            "summary API": reader.get("/api/portfolio/summary/", budget),
            "CSV export": page_reader.get("/portfolio/export.csv", budget),
            "memo": owner_pages.get(f"/pilots/{pilot.pk}/memo/"),
            "memo Markdown": owner_pages.get(f"/pilots/{pilot.pk}/memo.md"),
            "memo PDF": owner_pages.get(f"/pilots/{pilot.pk}/memo.pdf"),
            "pilot page": page_reader.get(f"/pilots/{pilot.pk}/"),
            "strategy workbook": owner_pages.get(f"/pilots/{pilot.pk}/workbooks/strategy/"),
        }
        failed = {name: r.status_code for name, r in answers.items() if r.status_code != 200}
        assert failed == {}
        plan = answers["summary API"].json()["planner"]
        assert Decimal(plan["budget"]) == Decimal(x["budget"])

    return check


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(x=EXTREMES)
@example(x=ALL_MAX)
@example(x=ALL_MIN)
def test_every_numeric_input_at_its_bounds_renders_everywhere(pages, x):
    pages(x)


@pytest.mark.parametrize(
    ("field", "too_big"),
    [(name, str(high + Decimal("0.01"))) for name, (_low, high) in WORKBOOK_FIELD_BOUNDS.items()],
)
def test_a_workbook_amount_past_its_bound_is_refused_naming_the_field(
    pilot, owner, api_for, field, too_big
):
    phase = "data" if field == "minutes_per_week" else "strategy"
    body = (
        {"manual_steps": [{"description": "Rekey", "minutes_per_week": too_big}]}
        if field == "minutes_per_week"
        else {field: too_big}
    )
    response = api_for(owner).patch(
        f"/api/pilots/{pilot.pk}/workbooks/{phase}/", body, format="json"
    )
    assert response.status_code == 400
    key = "manual_steps[0].minutes_per_week" if field == "minutes_per_week" else field
    assert key in response.json()["errors"], response.json()
    assert "at most" in response.json()["errors"][key][0]


@pytest.mark.parametrize("value", [1e13, -1e13, 1.7e308])
def test_a_metric_valued_row_past_the_limit_is_refused(pilot, owner, api_for, value):
    response = api_for(owner).patch(
        f"/api/pilots/{pilot.pk}/workbooks/monitoring/",
        {"monitored_metrics": [{"metric": "realized_benefit", "source": "x", "threshold": value}]},
        format="json",
    )
    assert response.status_code == 400
    assert "monitored_metrics[0].threshold" in response.json()["errors"]


def test_amounts_stored_before_the_bounds_existed_still_render(
    pilot, owner, executive, client_for, api_for
):
    """The columns' own limits (a volume of 99,999,999,999,999, review minutes of
    999,999.99, an hourly cost of 999,999,999,999.99): rounding the portfolio's sums ran
    out of decimal digits and every dashboard answered 500."""
    from portfolio.workbooks.models import StrategyWorkbook

    StrategyWorkbook.objects.create(
        pilot=pilot,
        expected_annual_benefit=Decimal("999999999999.99"),
        annual_volume=Decimal("99999999999999"),
        cost_per_transaction=Decimal("99999999.9999"),
        human_review_rate_pct=Decimal(100),
        minutes_per_review=Decimal("999999.99"),
        loaded_hourly_cost=Decimal("999999999999.99"),
        failure_handling_cost=Decimal("999999999999.99"),
        one_time_build_cost=Decimal("999999999999.99"),
    )
    reader, owner_pages = client_for(executive), client_for(owner)
    answers = [
        reader.get("/portfolio/", {"budget": str(BUDGET_MAX)}),
        api_for(executive).get("/api/portfolio/summary/"),
        reader.get("/portfolio/export.csv"),
        reader.get(f"/pilots/{pilot.pk}/"),
        owner_pages.get(f"/pilots/{pilot.pk}/memo/"),
        owner_pages.get(f"/pilots/{pilot.pk}/memo.md"),
        owner_pages.get(f"/pilots/{pilot.pk}/memo.pdf"),
    ]
    assert [r.status_code for r in answers] == [200] * len(answers)
