"""Sections fed by metrics and workbooks: hand-computed on portfolio_facts (conftest.py)."""

from decimal import Decimal

import pytest

from dashboard import selectors
from dashboard.filters import DashboardFilters, parse_filters

pytestmark = pytest.mark.django_db


def summary_for(user, now, **filters):
    return selectors.portfolio_summary(user=user, filters=DashboardFilters(**filters), now=now)


def test_signal_matrix_counts_and_members(executive, portfolio_facts, frozen_now):
    rows = {r["signal"]: r for r in summary_for(executive, frozen_now)["signals"]["rows"]}
    assert {c: r["total"] for c, r in rows.items()} == {
        "scale": 1,
        "hold": 1,
        "redesign": 1,
        "stop": 2,
        "insufficient_data": 1,
    }
    assert rows["stop"]["by_stage"] == {"discovery": 0, "pilot": 1, "readiness": 1, "scale": 0}
    assert [p["name"] for p in rows["stop"]["pilots"]] == ["Charlie", "Secret"]
    assert [p["name"] for p in rows["insufficient_data"]["pilots"]] == ["Echo"]


def test_outsider_signal_matrix_leaves_out_the_confidential_pilot(
    outsider, portfolio_facts, frozen_now
):
    rows = {r["signal"]: r for r in summary_for(outsider, frozen_now)["signals"]["rows"]}
    assert rows["stop"]["total"] == 1
    assert [p["name"] for p in rows["stop"]["pilots"]] == ["Charlie"]


@pytest.mark.parametrize(
    ("signal", "names"),
    [("stop", {"Charlie", "Secret"}), ("insufficient_data", {"Echo"}), ("scale", {"Alpha"})],
)
def test_signal_filter(executive, portfolio_facts, frozen_now, signal, names):
    filters, _ = parse_filters({"signal": signal})
    pilots = selectors.dashboard_pilots(user=executive, filters=filters, now=frozen_now)
    assert set(pilots.values_list("name", flat=True)) == names


def test_pilots_at_risk(executive, portfolio_facts, frozen_now):
    at_risk = summary_for(executive, frozen_now)["at_risk"]
    # Alerts: Bravo (open + acknowledged; the resolved one does not count) and Delta.
    assert at_risk["counts"] == {"alerts": 2, "stop": 2, "degraded": 0, "stale": 2}
    assert at_risk["total"] == 4
    # Stop recommendations first (older in stage first), then the most open alerts.
    assert [p["name"] for p in at_risk["pilots"]] == ["Charlie", "Secret", "Bravo", "Delta"]
    assert [p["open_alerts"] for p in at_risk["pilots"]] == [0, 0, 2, 1]


@pytest.mark.parametrize(
    ("flag", "names"), [("alerts", {"Bravo", "Delta"}), ("stop", {"Charlie", "Secret"})]
)
def test_risk_flag_filter(executive, portfolio_facts, frozen_now, flag, names):
    filters, _ = parse_filters({"flag": flag})
    pilots = selectors.dashboard_pilots(user=executive, filters=filters, now=frozen_now)
    assert set(pilots.values_list("name", flat=True)) == names


def test_economics_planned_and_realized(executive, portfolio_facts, frozen_now):
    econ = summary_for(executive, frozen_now)["economics"]
    by_name = {p["name"]: p for p in econ["pilots"]}
    assert set(by_name) == {"Alpha", "Bravo", "Delta", "Echo", "Secret"}
    alpha = by_name["Alpha"]
    assert alpha["annual_cost"] == Decimal("17000.00")
    assert alpha["net_value"] == Decimal("83000.00")
    # (83,000 - 20,000) / (20,000 + 17,000) = 170.27 %
    assert alpha["planned_roi"] == Decimal("170.3")
    assert alpha["realized_roi"] == 120.0  # mean of 100 and 140
    assert alpha["realized_annual_cost"] == Decimal("12000.00")  # 1,000 a month
    assert by_name["Delta"]["planned_roi"] == Decimal("-80.0")
    assert by_name["Bravo"]["realized_roi"] is None
    # Costliest first.
    assert [p["name"] for p in econ["pilots"]][:2] == ["Delta", "Alpha"]
    totals = econ["totals"]
    assert totals["pilots"] == 5
    assert totals["annual_cost"] == Decimal("82000.00")
    assert totals["net_value"] == Decimal("1085000.00")
    assert totals["build_cost"] == Decimal("31000.00")
    assert totals["planned_roi"] == Decimal("932.7")  # 1,054,000 / 113,000
    assert totals["realized_annual_cost"] == Decimal("12000.00")
    assert totals["realized_roi_mean"] == 120.0 and totals["roi_reporting"] == 1


def test_economics_match_the_pure_economic_case(executive, portfolio_facts, frozen_now):
    from portfolio.workbooks.selectors import economic_case_for

    econ = summary_for(executive, frozen_now)["economics"]
    for row in econ["pilots"]:
        case = economic_case_for(portfolio_facts[row["name"].lower()])
        assert row["net_value"] == case.net_annual_value
        assert row["annual_cost"] == case.total_annual_cost
        assert row["planned_roi"] == case.roi_pct


def test_listed_pilots_economics_match_the_sql_formulas(portfolio_facts, frozen_now):
    """facts_by_id (at-risk list, page of pilots) works the case out in Python; the CSV
    export computes it in SQL: both give every pilot the same figures."""
    from dashboard.selectors.columns import facts_by_id
    from portfolio.models import Pilot

    ids = [p.pk for p in portfolio_facts.values()]
    listed = facts_by_id(ids, now=frozen_now)
    exported = {row["id"]: row for row in selectors.pilot_rows(Pilot.objects.all(), now=frozen_now)}
    keys = ("has_case", "benefit", "build_cost", "annual_cost", "net_value", "planned_roi")
    assert any(listed[pk]["has_case"] for pk in ids) and not all(
        listed[pk]["has_case"] for pk in ids
    )
    for pk in ids:
        assert {k: listed[pk][k] for k in keys} == {k: exported[pk][k] for k in keys}
    alpha = listed[portfolio_facts["alpha"].pk]
    assert alpha["net_value"] == Decimal("83000.00") and alpha["planned_roi"] is not None


def test_outsider_economics_totals_leave_out_the_confidential_pilot(
    outsider, portfolio_facts, frozen_now
):
    totals = summary_for(outsider, frozen_now)["economics"]["totals"]
    assert totals["pilots"] == 4
    assert totals["net_value"] == Decimal("1078000.00")
    assert totals["planned_roi"] == Decimal("935.7")  # 1,048,000 / 112,000


def test_reliability_trends_weight_rates_by_observations(executive, portfolio_facts, frozen_now):
    reliability = summary_for(executive, frozen_now)["reliability"]
    halluc = reliability["series"]["hallucination_rate"]
    # (0.2 + 0.3 + 5.0) / (4 + 2 + 5); the 90-day-old rollup is outside the window.
    assert [p["value"] for p in halluc] == [0.5]
    assert halluc[0]["pilots"] == 3
    latency = reliability["series"]["p95_latency_ms"]
    assert [p["value"] for p in latency] == [500.0]  # mean of the daily p95s 400 and 600


def test_outsider_reliability_leaves_out_the_confidential_pilot(
    outsider, portfolio_facts, frozen_now
):
    halluc = summary_for(outsider, frozen_now)["reliability"]["series"]["hallucination_rate"]
    assert [p["value"] for p in halluc] == [round(0.5 / 6, 4)]


@pytest.mark.parametrize("budget", [None, "0", "15000", "37000", "52000", "52000.01", "1e9"])
def test_planner_in_sql_plans_like_plan_portfolio(budget, executive, portfolio_facts, frozen_now):
    from dashboard.selectors.economics import planner_candidates
    from portfolio.models import StrategyWorkbook
    from tests.factories import PilotFactory

    # More candidates, with ties on net value (ranked by name, then id) and a loss.
    for index, (name, benefit, build) in enumerate(
        [("Kilo", 30000, 100), ("Juliet", 30000, 100), ("Juliet", 30000, 200), ("Lima", 10, 999)]
    ):
        extra = PilotFactory(name=name, stage="pilot", status="active")
        StrategyWorkbook.objects.create(
            pilot=extra, expected_annual_benefit=Decimal(benefit), one_time_build_cost=build + index
        )
    budget = None if budget is None else Decimal(budget)
    pilots = selectors.dashboard_pilots(
        user=executive, filters=DashboardFilters(budget=budget), now=frozen_now
    )
    expected = selectors.plan_portfolio(list(planner_candidates(pilots)), budget)
    planned = summary_for(executive, frozen_now, budget=budget)["planner"]
    assert planned == {"available": True, **expected}


def test_planner_ranks_the_candidates_and_cuts_at_the_budget(
    executive, portfolio_facts, frozen_now
):
    plan = summary_for(executive, frozen_now, budget=Decimal(40000))["planner"]
    # Candidates: active, not at scale, with a case: Alpha, Bravo, Delta.
    assert [r["name"] for r in plan["rows"]] == ["Alpha", "Bravo", "Delta"]
    assert [r["first_year_cost"] for r in plan["rows"]] == [37000, 15000, 50000]
    assert [r["funded"] for r in plan["rows"]] == [True, False, False]
    assert plan["cut_after_rank"] == 1
    plan = summary_for(executive, frozen_now, budget=Decimal(60000))["planner"]
    assert plan["funded"] == 2 and plan["funded_net_value"] == 128000


def test_page_shows_signal_economics_and_planner(executive, portfolio_facts, client_for):
    html = client_for(executive).get("/portfolio/", {"budget": "40000"}).content.decode()
    assert 'id="fig-planner"' in html and 'id="fig-roi"' in html and 'id="fig-reliability"' in html
    assert "€83,000" in html and "funds the top <strong>1</strong>" in html


def test_review_cycle_time_per_gate(executive, reviews_and_sources, frozen_now):
    reviews = summary_for(executive, frozen_now)["reviews"]
    gates = {g["to_stage"]: g for g in reviews["gates"]}
    assert (gates["pilot"]["reviews"], gates["pilot"]["mean_days"]) == (2, 8.0)  # 6 and 10
    assert gates["pilot"]["longest_days"] == 10.0
    assert (gates["readiness"]["reviews"], gates["readiness"]["mean_days"]) == (1, 3.0)
    assert (gates["scale"]["reviews"], gates["scale"]["mean_days"]) == (1, 2.0)
    assert reviews["pending"] == 1 and reviews["oldest_pending_days"] == 5


def test_outsider_review_cycle_leaves_out_the_confidential_pilot(
    outsider, reviews_and_sources, frozen_now
):
    gates = {g["to_stage"]: g for g in summary_for(outsider, frozen_now)["reviews"]["gates"]}
    assert (gates["scale"]["reviews"], gates["scale"]["mean_days"]) == (0, None)


def test_degraded_sources_and_pending_reviews_in_risk_flags(
    executive, reviews_and_sources, frozen_now
):
    at_risk = summary_for(executive, frozen_now)["at_risk"]
    # Delta's source is degraded; its pending review means it is no longer stale.
    assert at_risk["counts"] == {"alerts": 2, "stop": 2, "degraded": 1, "stale": 1}
    delta = next(p for p in at_risk["pilots"] if p["name"] == "Delta")
    assert delta["degraded_sources"] == 1 and delta["stale"] is False
    filters, _ = parse_filters({"flag": "degraded"})
    pilots = selectors.dashboard_pilots(user=executive, filters=filters, now=frozen_now)
    assert list(pilots.values_list("name", flat=True)) == ["Delta"]


def test_pilot_page_shows_signal_reasons_and_metric_lines(owner, portfolio_facts, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from portfolio.models import MonitoredMetric
    from tests.dashboard.conftest import add_alert

    alpha = portfolio_facts["alpha"]
    MonitoredMetric.objects.create(
        pilot=alpha, metric_id="hallucination_rate", source="Monitoring", threshold=0.08
    )
    add_alert(alpha, "hallucination_rate", "monitor", value=0.09, at=timezone.now() - timedelta(1))
    response = client_for(owner).get(alpha.get_absolute_url())
    html = response.content.decode()
    # The signal is computed as of now (not the stored row's reasons), shown once: the
    # header, not again in the metrics section.
    assert "Recommendation: <span" in html and "Reason for alpha" not in html
    assert html.count('class="signal signal-') == 1 and html.count("How it was decided") == 1
    metrics = {m["key"]: m for m in response.context["data"]["metrics"]}
    halluc = metrics["hallucination_rate"]
    assert halluc["lines"] == [{"label": "Alert threshold", "value": 0.08, "op": ">"}]
    assert [a["value"] for a in halluc["alerts"]] == [0.09]
    assert halluc["latest"] == 0.05  # 0.2 over 4 observations yesterday
    figure = halluc["figure"]
    assert [t["name"] for t in figure["data"]] == ["Daily mean", "Alert threshold", "Alerts"]
    assert 'id="fig-metric-' in html
