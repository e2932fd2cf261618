"""Every amount on the dashboard, the pilot page, the workbook, the memo, the CSV export and
the API schema carries the installation's currency (PILOTGATE_CURRENCY)."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboard.views import CSV_COLUMNS, CSV_MONEY
from tests.dashboard.conftest import add_alert
from tests.money_scan import bare_amounts, money_cells, money_pattern, section

URL = "/portfolio/"


def test_the_money_scan_finds_a_bare_amount():
    html = (
        "<table><tr><th>Pilot</th><th>Planned annual cost</th><th>ROI %</th></tr>"
        "<tr><th>A</th><td>17,000.00</td><td>12.5</td></tr>"
        "<tr><th>B</th><td>€17,000</td><td>—</td></tr></table>"
        "<dl><dt>Net annual value</dt><dd>-5,000</dd><dt>Pilots</dt><dd>4</dd></dl>"
    )
    assert bare_amounts(html) == [
        ("Planned annual cost", "17,000.00"),
        ("Net annual value", "-5,000"),
    ]
    assert money_cells(html) == 3


def test_dashboard_money_sections_show_every_amount_with_the_currency(
    executive, portfolio_facts, client_for
):
    html = client_for(executive).get(URL, {"budget": "40000"}).content.decode()
    econ, plan = (
        section(html, 'aria-labelledby="h-econ"'),
        section(html, 'aria-labelledby="h-plan"'),
    )
    assert bare_amounts(econ) == [] and bare_amounts(plan) == []
    # Planned and realized costs and values of five pilots and the total; the planner's rows.
    assert money_cells(econ) >= 20 and money_cells(plan) >= 9
    assert "€1,085,000" in econ  # the planned net annual value of the five
    assert "-€40,000" in econ  # Delta loses money
    assert "€12,000" in econ  # Alpha's realized run cost, 1,000 a month
    assert "A budget of <strong>€40,000</strong>" in plan
    assert "Planner budget (EUR)" in html


def test_dashboard_shows_what_to_do_when_nothing_is_realized(
    executive, small_portfolio, client_for
):
    from portfolio.models import StrategyWorkbook

    StrategyWorkbook.objects.create(
        pilot=small_portfolio["alpha"], expected_annual_benefit=100000, one_time_build_cost=20000
    )
    html = client_for(executive).get(URL).content.decode()
    econ = section(html, 'aria-labelledby="h-econ"')
    assert "No data yet" in econ and "monthly run cost metric" in econ
    assert bare_amounts(econ) == []


def test_money_charts_name_the_currency(executive, portfolio_facts, client_for):
    response = client_for(executive).get(URL, {"budget": "40000"})
    figures = response.context["figures"]
    # The cost chart's bars lie horizontally (amounts on x); the planner's stand (on y). The
    # cost chart names the currency in its title: beside the pilot names, a phone leaves no
    # room for an axis title under its bars.
    assert figures["cost"]["layout"]["title"]["text"].endswith("(EUR)")
    assert figures["planner"]["layout"]["yaxis"]["title"]["text"].endswith("(EUR)")
    for name, axis in (("cost", "x"), ("planner", "y")):
        layout = figures[name]["layout"]
        assert layout[f"{axis}axis"]["tickprefix"] == "€"
        hover = f"€%{{{axis}:,.0f}}"
        assert all(hover in trace["hovertemplate"] for trace in figures[name]["data"])


def test_another_currency_is_shown_everywhere(executive, portfolio_facts, client_for, settings):
    settings.PILOTGATE_CURRENCY = "GBP"
    html = client_for(executive).get(URL, {"budget": "40000"}).content.decode()
    econ = section(html, 'aria-labelledby="h-econ"')
    assert bare_amounts(econ, symbol="£") == [] and "€" not in econ
    assert "£1,085,000" in econ and "Planner budget (GBP)" in html
    csv_text = b"".join(client_for(executive).get(reverse("dashboard:export_csv"))).decode()
    assert "Planned net annual value (GBP)" in csv_text.splitlines()[0]


def test_realized_net_value_appears_beside_the_plan_once_measured(
    executive, portfolio_facts, client_for, monkeypatch
):
    """The realized economics plug in by adding realized_net_value to the selector's rows
    and totals; the page then shows the column beside the planned one."""
    from dashboard import selectors

    real = selectors.portfolio_summary

    def measured(**kwargs):
        summary = real(**kwargs)
        for pilot in summary["economics"]["pilots"]:
            pilot["realized_net_value"] = Decimal("-1234.40") if pilot["name"] == "Alpha" else None
        summary["economics"]["totals"]["realized_net_value"] = Decimal("-1234.40")
        return summary

    html = client_for(executive).get(URL).content.decode()
    assert "Realized net annual value" not in html
    monkeypatch.setattr(selectors, "portfolio_summary", measured)
    html = client_for(executive).get(URL).content.decode()
    econ = section(html, 'aria-labelledby="h-econ"')
    assert '<th scope="col">Realized net annual value</th>' in econ
    assert econ.count("-€1,234") >= 2  # Alpha's row, the total and the facts
    assert bare_amounts(econ) == []


# --- the pilot page ----------------------------------------------------------------------


def test_pilot_page_shows_planned_beside_realized_with_the_currency(
    owner, portfolio_facts, client_for
):
    alpha = portfolio_facts["alpha"]
    html = client_for(owner).get(alpha.get_absolute_url()).content.decode()
    econ = section(html, 'id="economics"')
    assert bare_amounts(econ) == [] and money_cells(econ) == 4
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]+)</td>', econ))
    assert rows["Annual run cost"] == "€17,000"
    assert rows["Net annual value"] == "€83,000"
    assert "€12,000" in econ  # realized: 1,000 a month
    assert "120.0 %" in econ  # realized ROI
    # The realized net annual value is the signal's own figure, shown in both blocks.
    realized_net = re.search(
        r"Net annual value</th>\s*<td>[^<]+</td>\s*<td>([^<]+)</td>", econ
    ).group(1)
    assert money_pattern().match(realized_net)
    signal_block = html[: html.index('id="economics"')]
    assert realized_net in signal_block.split("Realized (last", 1)[1]


def test_pilot_page_without_a_case_says_how_to_get_one(owner, small_portfolio, client_for):
    charlie = small_portfolio["charlie"]
    html = client_for(owner).get(charlie.get_absolute_url()).content.decode()
    econ = section(html, 'id="economics"')
    assert "No economic case yet" in econ and "strategy workbook" in econ


def test_money_metrics_on_the_pilot_page_carry_the_currency(owner, portfolio_facts, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from metrics import rollups
    from metrics.models import MetricDefinition
    from metrics.services import snapshots_ingest

    alpha = portfolio_facts["alpha"]
    at = timezone.now() - timedelta(hours=1)
    row = {"pilot": alpha.pk, "metric": "cost_per_transaction", "observed_at": at, "value": 0.07}
    snapshots_ingest(rows=[row], source="test", process=False)
    metric = MetricDefinition.objects.get(key="cost_per_transaction")
    rollups.refresh([(alpha.pk, metric.pk, at - timedelta(days=1), timezone.now())])
    add_alert(alpha, "cost_per_transaction", "monitor", value=0.62)
    html = client_for(owner).get(alpha.get_absolute_url()).content.decode()
    assert "USD" not in html
    # The alert: observed value, then its limit.
    assert '<td>€0.62 <span class="count">(&gt;&nbsp;€0.50)</span></td>' in html
    metrics = section(html, 'id="metrics"')
    label = "Cost per transaction</th>"
    row = re.search(re.escape(label) + r"\s*<td>([^<]+)", metrics)
    assert row and row.group(1).strip() == "€0.07"
    charts = section(html, 'id="metric-charts"')
    assert "Monthly run cost (EUR)" in charts and "€1,000.00" in charts


# --- CSV and API -------------------------------------------------------------------------


def test_csv_headers_name_the_currency_and_amounts_stay_numbers(
    executive, portfolio_facts, client_for
):
    response = client_for(executive).get(reverse("dashboard:export_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    assert "Planned net annual value (EUR)" in header
    assert "Expected annual benefit (EUR)" in header
    assert "Realized monthly run cost (EUR)" in header
    assert "Planned first-year ROI (%)" in header and "Name" in header
    money_headers = [h for h in header if h.endswith("(EUR)")]
    assert len(money_headers) == len(CSV_MONEY) == 5
    assert {key for key, _ in CSV_COLUMNS} >= CSV_MONEY
    alpha = next(r for r in rows[1:] if r[header.index("Name")] == "Alpha")
    assert alpha[header.index("Planned net annual value (EUR)")] == "83000.00"
    assert alpha[header.index("Realized monthly run cost (EUR)")] == "1000"


def test_schema_descriptions_name_the_currency(client, settings, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    summary = schema["paths"]["/api/portfolio/summary/"]["get"]
    budget = next(p for p in summary["parameters"] if p["name"] == "budget")
    assert "EUR" in budget["description"]
    assert budget["schema"] == {"type": "string", "pattern": r"^[0-9]{1,14}(\.[0-9]{1,2})?$"}
    assert "in EUR" in summary["description"]
    assert "EUR" in summary["responses"]["200"]["description"]
    workbook = schema["paths"]["/api/pilots/{id}/workbooks/{phase}/"]["put"]
    assert "are in EUR" in workbook["description"]
    settings.PILOTGATE_CURRENCY = "CHF"
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    summary = schema["paths"]["/api/portfolio/summary/"]["get"]
    assert "in CHF" in summary["description"]


def test_summary_api_accepts_a_budget_with_cents_and_names_the_currency(
    executive, portfolio_facts, api_for
):
    # Failed before: DecimalField is an IntegerField subclass, so "40000.50" was refused as
    # "Give a whole number" and the schema documented the budget as an integer.
    response = api_for(executive).get("/api/portfolio/summary/", {"budget": "40000.50"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["currency"] == "EUR" and data["planner"]["budget"] == "40000.50"
    bad = api_for(executive).get("/api/portfolio/summary/", {"budget": "40,000"})
    assert bad.status_code == 400 and "budget" in bad.json()["errors"]


@pytest.mark.parametrize("budget", ["-1", "1e5", " 5"])
def test_summary_api_refuses_a_malformed_budget_with_the_field_named(executive, api_for, budget):
    response = api_for(executive).get("/api/portfolio/summary/", {"budget": budget})
    assert response.status_code == 400
    assert response.json()["errors"]["budget"] == [
        "Give an amount from 0 to 99,999,999,999,999.99, like 250000 or 250000.50."
    ]
