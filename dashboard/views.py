"""Dashboard pages: the portfolio page (full page or htmx fragment), its board pack (the same
page as a PDF) and the CSV export."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.views.decorators.http import require_GET

from accounts import rules
from config.htmx import clean_url
from config.money import with_currency
from config.pdf import pdf_response
from dashboard import charts, selectors
from dashboard.filters import AGE_BUCKETS, FILTER_FIELDS, RISK_FLAGS, parse_filters
from dashboard.selectors.attention import attention_counts
from dashboard.templatetags.dashboard import money
from metrics.signal import SIGNAL_CODES, SIGNAL_LABELS
from portfolio.models import Pilot, Stage

PAGE_SIZE = 25
RELIABILITY_LABELS = {
    "hallucination_rate": "Hallucination rate",
    "tool_call_success_rate": "Tool-call success rate",
    "p95_latency_ms": "p95 latency (ms)",
    "uptime_pct": "Uptime %",
}


class _CountedPaginator(Paginator):
    """A paginator told its count (the summary's total) instead of asking the database."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def _linker(filters):
    """link(**changes) -> the dashboard URL with these filters changed. The charts and the
    tables ask for the same links many times; each is built once per request."""
    base = reverse("dashboard:home")
    built: dict[tuple, str] = {}

    def link(**changes) -> str:
        key = tuple(changes.items())
        url = built.get(key)
        if url is None:
            query = urlencode(filters.with_(**changes))
            url = built[key] = f"{base}?{query}#pilots" if query else f"{base}#pilots"
        return url

    return link


def _pilot_link(pk: int) -> str:
    return selectors.pilot_url(pk)


@login_required
@require_GET
def dashboard(request):
    fragment = request.htmx and not request.htmx.boosted
    context = _dashboard_context(request, fragment=fragment)
    template = "portfolio/dashboard/dashboard.html"
    if fragment:  # htmx swaps the results in; the filter form stays as it is
        template += "#results"
    response = render(request, template, context)
    # The same URL answers a full page or an htmx fragment: caches must keep them apart,
    # or browser Back after a filter could show a bare fragment.
    patch_vary_headers(response, ("HX-Request",))
    if fragment:
        response["HX-Push-Url"] = clean_url(request)
    return response


@login_required
@require_GET
def board_pack(request):
    """The dashboard as a PDF: the same page, laid out for print (static/css/print.css)."""
    context = _dashboard_context(request, fragment=False)
    stamp = context["generated_at"].strftime("%Y%m%d-%H%M")
    return pdf_response(
        request,
        "portfolio/dashboard/dashboard.html",
        context,
        filename=f"board-pack-{stamp}.pdf",
    )


def _dashboard_context(request, *, fragment: bool) -> dict:
    now = timezone.now()
    filters, form = parse_filters(request.GET)
    pagination = {}

    def page_of(ids, total: int) -> list[int]:
        # The page's ids are chosen on the pilot table alone (ids sorted by name, sliced
        # by the paginator); the summary then fetches their facts (owner, signal,
        # economics) with the at-risk pilots' facts.
        pagination["page"] = _CountedPaginator(ids, PAGE_SIZE, total).get_page(
            request.GET.get("page")
        )
        return list(pagination["page"].object_list)

    summary = selectors.portfolio_summary(user=request.user, filters=filters, now=now, page=page_of)
    link = _linker(filters)
    stages = list(Stage.choices)
    figures = {
        "funnel": charts.funnel_figure(summary, link),
        "signals": charts.signal_figure(summary["signals"], stages, link),
        "at_risk": charts.at_risk_figure(summary["at_risk"], link),
        "time_in_stage": charts.time_in_stage_figure(summary, link),
    }
    if summary["economics"]["available"] and summary["economics"]["pilots"]:
        figures.update(charts.economics_figures(summary["economics"], _pilot_link))
    if summary["reliability"]["available"]:
        figures["reliability"] = charts.reliability_figure(
            summary["reliability"], RELIABILITY_LABELS, link
        )
    if summary["reviews"]["available"]:
        figures["reviews"] = charts.review_cycle_figure(summary["reviews"], link)
    if summary["planner"]["available"] and summary["planner"]["candidates"]:
        figures["planner"] = charts.planner_figure(summary["planner"], _pilot_link)

    page, page_rows = pagination["page"], summary.pop("page_rows")
    choices = None if fragment else selectors.filter_choices(user=request.user)
    context = {
        "form": form,
        "filters": filters,
        "choices": choices,
        "summary": summary,
        "figures": figures,
        "page": page,
        "page_rows": page_rows,
        "query": urlencode(filters.with_()),
        "stages": stages,
        "age_buckets": AGE_BUCKETS,
        "signal_choices": [(c, SIGNAL_LABELS[c]) for c in SIGNAL_CODES],
        "reliability_labels": RELIABILITY_LABELS,
        "reliability_rows": _reliability_table(summary["reliability"]),
        "economics_rows": _economics_table(summary["economics"]),
        "realized_net": has_realized_net(summary["economics"]),
        "planner_rows": _planner_table(summary["planner"]),
        "links": _section_links(summary, link, stages),
        "generated_at": now,
        "filters_in_use": _filters_in_use(
            form, filters, dict(choices["owners"]) if choices else {}
        ),
    }
    if not fragment:
        # Across every pilot the reader may see, whatever the filters: the headline.
        context["attention"] = attention_counts(
            rules.visible_pilots(request.user, Pilot.objects.all()), now
        )
    return context


def _filters_in_use(form, filters, owners: dict) -> list[tuple[str, str]]:
    """(label, value shown) for each filter in use, for the printed page's heading. Owner
    names come from the owners the reader may see (the filter's choices); an htmx swap,
    which skips those choices, says "one owner"."""
    shown = []
    for name in (*FILTER_FIELDS, "budget"):
        value = getattr(filters, name)
        if value in (None, ""):
            continue
        field = form.fields[name]
        if name == "owner":
            text = owners.get(value, "one owner")
        elif name == "budget":
            text = money(value)
        else:
            text = str(dict(getattr(field, "choices", ())).get(value, value))
        shown.append((str(field.label or capfirst(name.replace("_", " "))), text))
    return shown


def _reliability_table(reliability: dict) -> list[dict]:
    """One row per day, one cell per metric in RELIABILITY_LABELS' order (the chart's
    numbers as a table): "—" for no value, "" for a metric not reported at all."""
    days: dict[str, dict] = {}
    for key, points in reliability.get("series", {}).items():
        for p in points:
            days.setdefault(p["day"], {})[key] = p["value"]
    return [
        {
            "day": day,
            "cells": [
                "—" if (value := days[day].get(key, "")) is None else value
                for key in RELIABILITY_LABELS
            ],
        }
        for day in sorted(days)
    ]


def _or_dash(value):
    return "—" if value is None else value


def _economics_table(economics: dict) -> list[dict]:
    """The economics table's cells, formatted once here rather than by filters per cell:
    each planned figure beside its realized one. `realized_net_value` is shown when the
    selector measures it (see has_realized_net)."""
    return [
        {
            "url": p["url"],
            "name": p["name"],
            "planned_roi": _or_dash(p["planned_roi"]),
            "realized_roi": _or_dash(p["realized_roi"]),
            "annual_cost": money(p["annual_cost"]),
            "realized_annual_cost": money(p["realized_annual_cost"]),
            "net_value": money(p["net_value"]),
            "realized_net_value": money(p.get("realized_net_value")),
        }
        for p in economics.get("pilots", ())
    ]


def has_realized_net(economics: dict) -> bool:
    """Whether any pilot in the table (or the total) has a measured net annual value."""
    totals = economics.get("totals") or {}
    return totals.get("realized_net_value") is not None or any(
        p.get("realized_net_value") is not None for p in economics.get("pilots", ())
    )


def _planner_table(plan: dict) -> list[dict]:
    """The planner table's cells; `cutoff` marks the last funded row when there is a budget."""
    cut = plan.get("cut_after_rank") if plan.get("budget") is not None else None
    return [
        {
            "rank": r["rank"],
            "url": r["url"],
            "name": r["name"],
            "stage": r["stage"],
            "cutoff": cut is not None and r["rank"] == cut,
            "net_value": money(r["net_value"]),
            "value_basis": r.get("value_basis", "estimated"),
            "first_year_cost": money(r["first_year_cost"]),
            "cumulative_cost": money(r["cumulative_cost"]),
            "funded": "Yes" if r["funded"] else "No",
        }
        for r in plan.get("rows", ())
    ]


def _section_links(summary: dict, link, stages) -> dict:
    """Drill-down links for the tables, precomputed so templates stay simple."""
    return {
        "funnel": {
            row["stage"]: {st: link(stage=row["stage"], status=st) for st in row["by_status"]}
            | {"all": link(stage=row["stage"])}
            for row in summary["funnel"]
        },
        "signals": {
            row["signal"]: {s: link(signal=row["signal"], stage=s) for s, _ in stages}
            | {"all": link(signal=row["signal"])}
            for row in summary["signals"]["rows"]
        },
        "age": {
            row["stage"]: {key: link(stage=row["stage"], age=key) for key, *_ in AGE_BUCKETS}
            for row in summary["time_in_stage"]
        },
        "flags": {flag: link(flag=flag) for flag in RISK_FLAGS},
        "gates": {s: link(stage=s) for s, _ in stages},
    }


# (row key, header). Headers are for the people who open the file; amounts stay bare
# numbers so a spreadsheet can sum them, and their headers name the currency (csv_headers).
CSV_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("business_unit", "Business unit"),
    ("stage", "Stage"),
    ("status", "Status"),
    ("risk_tier", "Risk tier"),
    ("owner", "Business owner"),
    ("signal_code", "Signal"),
    ("days_in_stage", "Days in stage"),
    ("open_alerts", "Open alerts"),
    ("degraded_sources", "Degraded sources"),
    ("stop_recommended", "Stop recommended"),
    ("stale", "Stale"),
    ("benefit", "Expected annual benefit"),
    ("build_cost", "One-time build cost"),
    ("annual_cost", "Planned annual cost"),
    ("net_value", "Planned net annual value"),
    ("planned_roi", "Planned first-year ROI (%)"),
    ("realized_roi", "Realized ROI (%)"),
    ("realized_monthly_cost", "Realized monthly run cost"),
]
CSV_MONEY = {"benefit", "build_cost", "annual_cost", "net_value", "realized_monthly_cost"}


def csv_headers() -> list[str]:
    """The export's header row: 'Planned net annual value (EUR)' for every amount."""
    return [with_currency(h) if key in CSV_MONEY else h for key, h in CSV_COLUMNS]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    # A spreadsheet would run a name like "=HYPERLINK(...)" as a formula; numbers stay numbers.
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


@login_required
@require_GET
def export_csv(request):
    now = timezone.now()
    filters, _form = parse_filters(request.GET)
    pilots = selectors.dashboard_pilots(user=request.user, filters=filters, now=now)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(csv_headers())
        for row in selectors.pilot_rows(pilots, now=now):
            yield writer.writerow([_cell(row.get(key)) for key, _ in CSV_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = now.strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.csv"'
    return response
