"""Template helpers for the dashboard and the pilot page's metric and signal sections."""

import html

from django import template
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from dashboard.filters import AGE_BUCKETS, RISK_FLAGS
from dashboard.pilot import pilot_economics as economics
from dashboard.pilot import pilot_metric_series, pilot_signal
from metrics.signal import SIGNAL_LABELS
from portfolio.models import Stage, Status
from portfolio.templatetags.money import money

register = template.Library()


# The same filter as the builtin library's (portfolio/templatetags/money.py): one format
# for every amount. Re-registered here so pages that {% load dashboard %} keep it.
register.filter("money", money)


@register.inclusion_tag("portfolio/dashboard/_pilot_signal.html")
def pilot_signal_header(pilot):
    """Stage, status and signal with its reasons, for the top of the pilot page."""
    return {"pilot": pilot, "signal": pilot_signal(pilot)}


@register.inclusion_tag("portfolio/dashboard/_pilot_economics.html")
def pilot_economics(pilot):
    """Planned versus realized ROI, run cost and net value, side by side."""
    return {"pilot": pilot, "econ": economics(pilot)}


@register.inclusion_tag("portfolio/dashboard/_pilot_metrics.html")
def pilot_metric_charts(pilot):
    """Each monitored metric charted against its target and thresholds, alerts marked."""
    from dashboard import charts

    data = pilot_metric_series(pilot)
    url = pilot.get_absolute_url()
    for index, entry in enumerate(data["metrics"]):
        entry["figure_id"] = f"fig-metric-{index}"
        entry["figure"] = charts.metric_figure(entry, url)
    return {"pilot": pilot, "data": data}


# The dashboard's table rows, written here rather than cell by cell in its template: the
# page has about 1,500 cells, and each {{ }} or {% %} node costs the template engine a few
# microseconds, most of the page's render time. format_html would cost nearly as much (its
# conditional_escape and mark_safe go through Django's lazy-string wrappers, about 1.5 µs a
# cell), so _rows formats the cells itself, each written and escaped by _cell exactly as
# {{ value }} writes and escapes it in the page's {% localize off %}.

_CUTOFF = mark_safe(' class="cutoff"')  # noqa: S308 (a constant)


def _badges(kind: str, labels) -> dict[str, SafeString]:
    """code -> its badge with the human label, built once: a table cell is a dict lookup."""
    return {
        code: mark_safe(f'<span class="{kind} {kind}-{code}">{escape(label)}</span>')  # noqa: S308
        for code, label in labels
    }


STAGE_BADGES = _badges("stage", Stage.choices)
STATUS_BADGES = _badges("status", Status.choices)
SIGNAL_BADGES = _badges("signal", SIGNAL_LABELS.items())


def _cell(value) -> str:
    """`value` as the page's {{ value }} writes it: text escaped with html.escape (what
    django.utils.html.escape calls), safe HTML kept, numbers and dates localized with
    {% localize off %}'s settings first."""
    cls = value.__class__
    if cls is str:
        return html.escape(value)
    if cls is int:
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(localize(template_localtime(value), use_l10n=False)))


def _fill(html_format: str, *values) -> SafeString:
    """`html_format` (our markup, a {} per value) filled with the values, each by _cell."""
    return mark_safe(html_format.format(*map(_cell, values)))  # noqa: S308 (values by _cell)


def _rows(row_format: str, rows, sep: str = "\n") -> SafeString:
    """`row_format` (our markup, a {} per cell) once per row, each cell by _cell."""
    text = sep.join([row_format.format(*map(_cell, row)) for row in rows])
    return mark_safe(text)  # noqa: S308 (every cell went through _cell)


def _yes_no(value) -> str:
    return "Yes" if value else "No"


@register.filter
def options(choices, selected):
    """`<option>`s for (value, label) pairs (or plain values, each its own label), the one
    equal to `selected` selected. Values are ids or text: {{ value }} outside the
    {% localize off %} writes ids as str() does too (USE_THOUSAND_SEPARATOR is off)."""
    pairs = (c if isinstance(c, tuple) else (c, c) for c in choices)
    return _rows(
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in pairs),
    )


def _linked_counts(links: dict, counts: dict, keys) -> SafeString:
    """`<td>`s of counts, each a link to the pilots counted."""
    return _rows('<td><a href="{}">{}</a></td>', ((links[k], counts.get(k, "")) for k in keys), "")


def _labelled_counts(links: dict, counts: dict, choices) -> SafeString:
    """`_linked_counts` with each cell's column label in `data-label`, which a table that
    stacks at phone width (`table.stack-narrow`) writes before the count."""
    return _rows(
        '<td data-label="{}"><a href="{}">{}</a></td>',
        ((label, links[k], counts.get(k, "")) for k, label in choices),
        "",
    )


@register.filter
def funnel_rows(funnel, links):
    """Rows of the stage x status table; `links` maps stage -> status (or "all") -> URL."""
    return _rows(
        '<tr><th scope="row">{}</th>{}<td><a href="{}">{}</a></td></tr>',
        (
            (
                row["label"],
                _linked_counts(links[row["stage"]], row["by_status"], row["by_status"]),
                links[row["stage"]]["all"],
                row["total"],
            )
            for row in funnel
        ),
    )


@register.filter
def signal_rows(rows, links):
    """Rows of the signal x stage table, with each signal's first pilots; `links` maps
    signal -> stage (or "all") -> URL."""

    def cells(row) -> tuple:
        row_links = links[row["signal"]]
        named = ((p["url"], p["name"]) for p in row["pilots"])
        more = ""
        if row["total"] > len(row["pilots"]):
            more = _fill(' and <a href="{}">{} in all</a>', row_links["all"], row["total"])
        return (
            row["label"],
            _labelled_counts(row_links, row["by_stage"], Stage.choices),
            row_links["all"],
            row["total"],
            _rows('<a href="{}">{}</a>', named, ", "),
            more,
        )

    return _rows(
        '<tr><th scope="row">{}</th>{}<td data-label="Total"><a href="{}">{}</a></td>'
        '<td class="names">{}{}</td></tr>',
        map(cells, rows),
    )


@register.filter
def age_rows(rows, links):
    """Rows of the time-in-stage table; `links` maps stage -> age bucket -> URL."""
    keys = [key for key, *_ in AGE_BUCKETS]

    def cells(row) -> tuple:
        over = "—"
        if row["expected_days"]:
            over = _fill(
                '{} <span class="help">(over {} days)</span>',
                row["over_expected"],
                row["expected_days"],
            )
        return (
            row["label"],
            _linked_counts(links[row["stage"]], row["buckets"], keys),
            over,
            "—" if row["longest_days"] is None else row["longest_days"],
        )

    return _rows('<tr><th scope="row">{}</th>{}<td>{}</td><td>{}</td></tr>', map(cells, rows))


@register.filter
def risk_rows(at_risk, links):
    """Rows of the risk-flag counts; `links` maps flag -> URL."""
    return _rows(
        '<tr><th scope="row">{}</th><td>{}</td></tr>',
        (
            (
                label,
                _fill('<a href="{}">{}</a>', links[flag], at_risk["counts"].get(flag, ""))
                if at_risk["available"].get(flag)
                else "No data yet",
            )
            for flag, label in RISK_FLAGS.items()
        ),
    )


@register.filter
def gate_rows(gates, links):
    """Rows of the review cycle table; `links` maps a gate's first stage -> URL."""
    return _rows(
        '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                links[g["from_stage"]],
                g["label"],
                g["reviews"],
                "—" if g["mean_days"] is None else g["mean_days"],
                "—" if g["longest_days"] is None else g["longest_days"],
            )
            for g in gates
        ),
    )


@register.filter
def economics_rows(rows, realized_net=False):
    """Rows of the economics table (the view's _economics_table); the realized net value
    column only when something measures it."""
    keys = ["planned_roi", "realized_roi", "annual_cost", "realized_annual_cost", "net_value"]
    if realized_net:
        keys.append("realized_net_value")
    return _rows(
        '<tr><th scope="row"><a href="{}">{}</a></th>' + "<td>{}</td>" * len(keys) + "</tr>",
        ((p["url"], p["name"], *(p[k] for k in keys)) for p in rows),
    )


@register.filter
def reliability_rows(rows):
    """Rows of the reliability table (the view's _reliability_table): a day, then its cells."""
    if not rows:
        return ""
    row_format = '<tr><th scope="row">{}</th>' + "<td>{}</td>" * len(rows[0]["cells"]) + "</tr>"
    return _rows(row_format, ((row["day"], *row["cells"]) for row in rows))


@register.filter
def planner_rows(rows):
    """Rows of the planner table (the view's _planner_table), the budget cut-off marked."""
    return _rows(
        '<tr{}><td>{}</td><th scope="row"><a href="{}">{}</a></th><td>{}</td>'
        '<td>{} <span class="badge">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                _CUTOFF if r["cutoff"] else "",
                r["rank"],
                r["url"],
                r["name"],
                STAGE_BADGES.get(r["stage"], r["stage"]),
                r["net_value"],
                r.get("value_basis", "estimated"),
                r["first_year_cost"],
                r["cumulative_cost"],
                r["funded"],
            )
            for r in rows
        ),
    )


@register.filter
def at_risk_rows(pilots):
    """Rows of the at-risk pilots table."""
    return _rows(
        '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                p["url"],
                p["name"],
                STAGE_BADGES.get(p["stage"], p["stage"]),
                SIGNAL_BADGES.get(p["signal_code"], p["signal_label"]),
                p["open_alerts"],
                _yes_no(p["stop_recommended"]),
                p["degraded_sources"],
                _yes_no(p["stale"]),
                p["days_in_stage"],
            )
            for p in pilots
        ),
    )


@register.filter
def pilot_rows(pilots):
    """Rows of the table of pilots behind the numbers (one page)."""
    return _rows(
        '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                p["url"],
                p["name"],
                p["business_unit"],
                STAGE_BADGES.get(p["stage"], p["stage"]),
                STATUS_BADGES.get(p["status"], p["status"]),
                SIGNAL_BADGES.get(p["signal_code"], p["signal_label"]),
                p["owner"] or "—",
                p["days_in_stage"],
                p["open_alerts"],
            )
            for p in pilots
        ),
    )
