"""The dashboard's numbers on a small portfolio, worked out by hand (see conftest.py)."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard import selectors
from dashboard.filters import DashboardFilters, parse_filters
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db

URL = "/portfolio/"


def summary_for(user, now, **filters):
    return selectors.portfolio_summary(user=user, filters=DashboardFilters(**filters), now=now)


def funnel_cells(summary):
    return {
        (row["stage"], status): n
        for row in summary["funnel"]
        for status, n in row["by_status"].items()
        if n
    }


def test_funnel_counts_every_visible_pilot_by_stage_and_status(
    executive, small_portfolio, frozen_now
):
    summary = summary_for(executive, frozen_now)
    assert summary["total"] == 6
    assert funnel_cells(summary) == {
        ("discovery", "active"): 2,
        ("pilot", "on_hold"): 1,
        ("pilot", "active"): 1,
        ("readiness", "stopped"): 1,
        ("scale", "active"): 1,
    }
    assert [row["total"] for row in summary["funnel"]] == [2, 2, 1, 1]


def test_time_in_stage_buckets_and_past_expected(executive, small_portfolio, frozen_now):
    rows = {r["stage"]: r for r in summary_for(executive, frozen_now)["time_in_stage"]}
    assert rows["discovery"]["buckets"] == {"0-30": 1, "31-90": 1, "91-180": 0, "181+": 0}
    assert rows["pilot"]["buckets"] == {"0-30": 0, "31-90": 0, "91-180": 1, "181+": 1}
    assert rows["readiness"]["buckets"] == {"0-30": 0, "31-90": 1, "91-180": 0, "181+": 0}
    assert rows["scale"]["buckets"] == {"0-30": 0, "31-90": 0, "91-180": 0, "181+": 1}
    # Expected days: discovery 45, pilot 90, readiness 60, scale none.
    assert [rows[s]["over_expected"] for s in ("discovery", "pilot", "readiness", "scale")] == [
        1,
        2,
        0,
        0,
    ]
    assert [rows[s]["longest_days"] for s in ("discovery", "pilot", "readiness", "scale")] == [
        50,
        200,
        31,
        400,
    ]


def test_stale_pilots_are_active_and_past_their_stage_duration(
    executive, small_portfolio, frozen_now
):
    at_risk = summary_for(executive, frozen_now)["at_risk"]
    # Bravo (50 > 45 days) and Delta (200 > 90); Charlie is on hold, Echo is at scale.
    assert at_risk["counts"]["stale"] == 2
    assert sorted(p["name"] for p in at_risk["pilots"] if p["stale"]) == ["Bravo", "Delta"]


def test_signal_matrix_lists_pilots_in_each_signal(executive, small_portfolio, frozen_now):
    rows = {r["signal"]: r for r in summary_for(executive, frozen_now)["signals"]["rows"]}
    assert set(rows) == {"scale", "hold", "redesign", "stop", "insufficient_data"}
    assert sum(r["total"] for r in rows.values()) == 6
    for row in rows.values():
        assert row["total"] == sum(row["by_stage"].values())
        assert len(row["pilots"]) == min(row["total"], selectors.MEMBERS_PER_SIGNAL)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"business_unit": "Claims"}, {"Alpha", "Bravo", "Secret"}),
        ({"stage": "pilot"}, {"Charlie", "Delta"}),
        ({"status": "active"}, {"Alpha", "Bravo", "Delta", "Echo"}),
        ({"risk_tier": "low"}, {"Alpha", "Echo"}),
        ({"age": "181+"}, {"Delta", "Echo"}),
        ({"age": "31-90"}, {"Bravo", "Secret"}),
        ({"flag": "stale"}, {"Bravo", "Delta"}),
        ({"business_unit": "Finance", "status": "active"}, {"Delta"}),
    ],
)
def test_filters_narrow_the_portfolio(executive, small_portfolio, frozen_now, params, expected):
    filters, form = parse_filters(params)
    assert not form.errors
    pilots = selectors.dashboard_pilots(user=executive, filters=filters, now=frozen_now)
    assert set(pilots.values_list("name", flat=True)) == expected
    assert selectors.portfolio_summary(user=executive, filters=filters, now=frozen_now)[
        "total"
    ] == len(expected)


def test_owner_filter_uses_the_business_owner(
    executive, technical_owner, small_portfolio, frozen_now
):
    filters, _ = parse_filters({"owner": str(technical_owner.pk)})
    pilots = selectors.dashboard_pilots(user=executive, filters=filters, now=frozen_now)
    assert set(pilots.values_list("name", flat=True)) == {"Charlie", "Delta"}


def test_filters_apply_on_the_page_without_javascript(executive, small_portfolio, client_for):
    response = client_for(executive).get(URL, {"business_unit": "Finance", "stage": "pilot"})
    assert response.status_code == 200
    assert response.context["summary"]["total"] == 2
    html = response.content.decode()
    assert '<form method="get" action="/portfolio/"' in html
    assert '<option value="Finance" selected>' in html
    # Drill-down links keep the filters that are in force.
    assert "business_unit=Finance&amp;stage=pilot&amp;status=active#pilots" in html


def test_htmx_request_gets_only_the_results_fragment(executive, small_portfolio, client_for):
    client = client_for(executive)
    with CaptureQueriesContext(connection) as full:
        client.get(URL, {"stage": "scale"})
    with CaptureQueriesContext(connection) as partial:
        response = client.get(URL, {"stage": "scale"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and "Echo" in html and "Alpha" not in html
    # The filter form is not swapped, so its choices (units, owners) are not read, nor is
    # the "needs attention" headline above it, nor the navigation's My work count (each
    # also reads the recertification intervals of pilots at scale).
    assert len(partial.captured_queries) == len(full.captured_queries) - 6


def test_bad_filter_is_reported_and_ignored(executive, small_portfolio, client_for):
    response = client_for(executive).get(URL, {"stage": "orbit", "budget": "lots"})
    assert response.status_code == 200
    assert response.context["summary"]["total"] == 6
    html = response.content.decode()
    assert "Some filters were ignored" in html and "Stage:" in html and "Budget" in html


def test_home_page_is_the_dashboard(executive, client_for):
    response = client_for(executive).get("/")
    assert response.status_code == 302 and response["Location"] == URL


def test_anonymous_user_is_sent_to_login(client):
    for url in (URL, reverse("dashboard:export_csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- permissions: the confidential rule in every aggregate and export --------------------


def test_outsider_never_sees_a_confidential_pilot_in_any_number(
    outsider, small_portfolio, frozen_now, client_for
):
    summary = summary_for(outsider, frozen_now)
    assert summary["total"] == 5
    assert funnel_cells(summary).get(("readiness", "stopped")) is None
    readiness = next(r for r in summary["time_in_stage"] if r["stage"] == "readiness")
    assert readiness["buckets"]["31-90"] == 0
    assert sum(r["total"] for r in summary["signals"]["rows"]) == 5

    client = client_for(outsider)
    for params in ({}, {"business_unit": "Claims"}, {"stage": "readiness"}, {"flag": "stale"}):
        html = client.get(URL, params).content.decode()
        assert "Secret" not in html
        csv_text = b"".join(client.get(reverse("dashboard:export_csv"), params)).decode()
        assert "Secret" not in csv_text
        api = client.get("/api/portfolio/summary/", params).json()
        assert "Secret" not in str(api)


def test_executive_and_role_holder_see_the_confidential_pilot(
    executive, owner, small_portfolio, frozen_now
):
    assert summary_for(executive, frozen_now)["total"] == 6
    assert summary_for(owner, frozen_now)["total"] == 6


def test_filter_choices_hide_confidential_units_and_owners(outsider, owner, client_for):
    PilotFactory(name="Hidden", business_unit="Mergers", confidential=True, owner=owner)
    PilotFactory(name="Open", business_unit="Claims")
    choices = selectors.filter_choices(user=outsider)
    assert choices["business_units"] == ["Claims"]
    assert choices["owners"] == []


# --- CSV export --------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_has_the_filtered_portfolio(executive, small_portfolio, client_for):
    rows = read_csv(
        client_for(executive).get(reverse("dashboard:export_csv"), {"business_unit": "Claims"})
    )
    assert [r["Name"] for r in rows] == ["Alpha", "Bravo", "Secret"]
    bravo = rows[1]
    assert bravo["Stage"] == "discovery" and bravo["Status"] == "active"
    assert bravo["Days in stage"] == "50" and bravo["Stale"] == "yes"
    assert bravo["Business owner"] == str(small_portfolio["bravo"].roles.get().user)
    assert bravo["Signal"] == "insufficient_data"


def test_csv_export_neutralises_spreadsheet_formulas(executive, client_for):
    PilotFactory(name='=HYPERLINK("http://evil")', business_unit="@Ops")
    rows = read_csv(client_for(executive).get(reverse("dashboard:export_csv")))
    assert rows[0]["Name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["Business unit"] == "'@Ops"


def test_html_in_pilot_names_is_escaped(executive, client_for):
    PilotFactory(name="<script>alert(1)</script>")
    html = client_for(executive).get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the summary API ---------------------------------------------------------------------


def test_summary_api_applies_the_same_filters(executive, small_portfolio, api_for):
    data = api_for(executive).get("/api/portfolio/summary/", {"business_unit": "Claims"}).json()
    assert data["total"] == 3
    assert data["filters"] == {"business_unit": "Claims"}
    discovery = next(r for r in data["funnel"] if r["stage"] == "discovery")
    assert discovery["by_status"]["active"] == 2


def test_summary_api_rejects_a_bad_filter_with_the_field_named(executive, api_for):
    response = api_for(executive).get("/api/portfolio/summary/", {"stage": "orbit"})
    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


def test_summary_api_needs_authentication(api_for):
    assert api_for(None).get("/api/portfolio/summary/").status_code in (401, 403)


# --- the planner -------------------------------------------------------------------------


def cand(pk, net, cost):
    return selectors.Candidate(
        id=pk, name=f"P{pk}", stage="pilot", net_value=Decimal(net), first_year_cost=Decimal(cost)
    )


CANDIDATES = [cand(1, 100, 50), cand(2, 300, 200), cand(3, 200, 100), cand(4, -10, 5)]


def test_planner_ranks_by_net_value_and_cuts_at_the_budget():
    plan = selectors.plan_portfolio(CANDIDATES, Decimal(320))
    assert [r["id"] for r in plan["rows"]] == [2, 3, 1, 4]
    assert [r["cumulative_cost"] for r in plan["rows"]] == [200, 300, 350, 355]
    assert [r["funded"] for r in plan["rows"]] == [True, True, False, False]
    assert plan["funded"] == 2 and plan["cut_after_rank"] == 2
    assert plan["funded_cost"] == 300 and plan["funded_net_value"] == 500


def test_planner_line_is_a_line_nothing_below_it_is_funded():
    # After P2 (200) only 50 is left; P3 (100) does not fit, so P1 (50) is not funded either.
    plan = selectors.plan_portfolio(CANDIDATES, Decimal(250))
    assert [r["funded"] for r in plan["rows"]] == [True, False, False, False]
    assert plan["cut_after_rank"] == 1


def test_planner_never_funds_a_pilot_without_net_value():
    plan = selectors.plan_portfolio(CANDIDATES, Decimal(10_000))
    assert [r["funded"] for r in plan["rows"]] == [True, True, True, False]
    assert plan["cut_after_rank"] == 3


def test_planner_without_budget_only_ranks():
    plan = selectors.plan_portfolio(CANDIDATES, None)
    assert plan["funded"] == 0 and plan["cut_after_rank"] is None
    assert plan["rows"][0]["id"] == 2


def test_planner_with_zero_budget_funds_nothing():
    plan = selectors.plan_portfolio(CANDIDATES, Decimal(0))
    assert plan["funded"] == 0 and plan["cut_after_rank"] == 0


def test_pages_show_human_labels_never_codes(executive, portfolio_facts, client_for):
    """Stages, statuses and signals read as words on the dashboard and the pilot list."""
    import re

    client = client_for(executive)
    for url in (URL, "/pilots/"):
        html = client.get(url).content.decode()
        # Codes may sit in attributes (URLs, classes, option values) and in the charts' JSON
        # (drill-down URLs), never in the text a person reads.
        text = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        for code in ("on_hold", "insufficient_data", "readiness", "discovery"):
            assert code not in text, (url, code)
    html = client.get(URL).content.decode()
    assert '<span class="status status-on_hold">On hold</span>' in html
    assert '<span class="signal signal-stop">Stop</span>' in html
