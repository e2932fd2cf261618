"""Template helpers for the dashboard and the pilot page's metric and signal sections."""

from django import template
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from portfolio.dashboard.filters import AGE_BUCKETS
from portfolio.models import Stage

register = template.Library()


@register.filter
def lookup(mapping, key):
    """`{{ mapping|lookup:key }}`: a dict item by a variable key ('' when absent)."""
    if mapping is None:
        return ""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def money(value):
    """1234567.5 -> '1,234,567.50' ('—' for None). Cheaper than floatformat:"2g" in long
    tables; amounts are shown without a currency, as the workbooks enter them."""
    if value is None or value == "":
        return "—"
    try:
        return f"{value:,.2f}"
    except (TypeError, ValueError):
        return str(value)


@register.inclusion_tag("portfolio/dashboard/_pilot_signal.html")
def pilot_signal_header(pilot):
    """Stage, status and signal with its reasons, for the top of the pilot page."""
    from portfolio.dashboard.pilot import pilot_signal

    return {"pilot": pilot, "signal": pilot_signal(pilot)}


@register.inclusion_tag("portfolio/dashboard/_pilot_metrics.html")
def pilot_metric_charts(pilot):
    """Each monitored metric charted against its target and thresholds, alerts marked."""
    from portfolio.dashboard import charts
    from portfolio.dashboard.pilot import pilot_metric_series

    data = pilot_metric_series(pilot)
    url = pilot.get_absolute_url()
    for index, entry in enumerate(data["metrics"]):
        entry["figure_id"] = f"fig-metric-{index}"
        entry["figure"] = charts.metric_figure(entry, url)
    return {"pilot": pilot, "data": data}


# The dashboard's table rows, written here rather than cell by cell in its template: the
# page has about 1,500 cells, and each {{ }} or {% %} node costs the template engine a few
# microseconds, most of the page's render time. Every value goes through format_html, so it
# is escaped as {{ value }} would escape it, after _shown has written it as the page does.

_AS_IS = frozenset({str, int})  # written by str() alike by the template and by format_html
_CUTOFF = mark_safe(' class="cutoff"')  # noqa: S308 (a constant)


def _shown(value):
    """`value` as `{{ value }}` writes it inside the page's {% localize off %}."""
    if value.__class__ in _AS_IS:
        return value
    return localize(template_localtime(value), use_l10n=False)


def _rows(row_html: str, rows) -> SafeString:
    """One `row_html` per row (a tuple of cell values), each value shown and escaped."""
    return format_html_join("\n", row_html, (map(_shown, row) for row in rows))


def _yes_no(value) -> str:
    return "Yes" if value else "No"


@register.filter
def options(choices, selected):
    """`<option>`s for (value, label) pairs (or plain values, each its own label), the one
    equal to `selected` selected. Values are ids or text, written with str() as {{ value }}
    writes them outside {% localize off %} too (USE_THOUSAND_SEPARATOR is off)."""
    pairs = (c if isinstance(c, tuple) else (c, c) for c in choices)
    return format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in pairs),
    )


@register.filter
def funnel_rows(funnel, links):
    """Rows of the stage x status table; `links` maps stage -> status (or "all") -> URL."""
    return format_html_join(
        "\n",
        '<tr><th scope="row">{}</th>{}<td><a href="{}">{}</a></td></tr>',
        (
            (
                row["label"],
                _rows(
                    '<td><a href="{}">{}</a></td>',
                    ((links[row["stage"]][status], n) for status, n in row["by_status"].items()),
                ),
                links[row["stage"]]["all"],
                _shown(row["total"]),
            )
            for row in funnel
        ),
    )


@register.filter
def signal_rows(rows, links):
    """Rows of the signal x stage table with each signal's first pilots; `links` maps
    signal -> stage (or "all") -> URL."""
    stages = Stage.values
    return format_html_join(
        "\n",
        '<tr><th scope="row">{}</th>{}<td><a href="{}">{}</a></td><td>{}{}</td></tr>',
        (
            (
                row["label"],
                _rows(
                    '<td><a href="{}">{}</a></td>',
                    ((links[row["signal"]][s], row["by_stage"].get(s, "")) for s in stages),
                ),
                links[row["signal"]]["all"],
                _shown(row["total"]),
                format_html_join(
                    ", ", '<a href="{}">{}</a>', ((p["url"], p["name"]) for p in row["pilots"])
                ),
                format_html(' and <a href="{}">{} in all</a>', links[row["signal"]]["all"], row["total"])
                if row["total"] > len(row["pilots"])
                else "",
            )
            for row in rows
        ),
    )


@register.filter
def economics_rows(rows):
    """Rows of the economics table (the view's _economics_table)."""
    return _rows(
        '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                p["url"],
                p["name"],
                p["planned_roi"],
                p["realized_roi"],
                p["annual_cost"],
                p["realized_annual_cost"],
                p["net_value"],
            )
            for p in rows
        ),
    )


@register.filter
def reliability_rows(rows):
    """Rows of the reliability table (the view's _reliability_table): a day, then its cells."""
    if not rows:
        return ""
    row_html = '<tr><th scope="row">{}</th>' + "<td>{}</td>" * len(rows[0]["cells"]) + "</tr>"
    return _rows(row_html, ((row["day"], *row["cells"]) for row in rows))


@register.filter
def age_rows(rows, links):
    """Rows of the time-in-stage table; `links` maps stage -> age bucket -> URL."""
    keys = [key for key, *_ in AGE_BUCKETS]
    return format_html_join(
        "\n",
        '<tr><th scope="row">{}</th>{}<td>{}</td><td>{}</td></tr>',
        (
            (
                row["label"],
                _rows(
                    '<td><a href="{}">{}</a></td>',
                    ((links[row["stage"]][key], row["buckets"].get(key, "")) for key in keys),
                ),
                format_html(
                    '{} <span class="help">(over {} days)</span>',
                    _shown(row["over_expected"]),
                    _shown(row["expected_days"]),
                )
                if row["expected_days"]
                else "—",
                "—" if row["longest_days"] is None else _shown(row["longest_days"]),
            )
            for row in rows
        ),
    )


@register.filter
def planner_rows(rows):
    """Rows of the planner table (the view's _planner_table), the budget cut-off marked."""
    return format_html_join(
        "\n",
        '<tr{}><td>{}</td><th scope="row"><a href="{}">{}</a></th><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            map(
                _shown,
                (
                    _CUTOFF if r["cutoff"] else "",
                    r["rank"],
                    r["url"],
                    r["name"],
                    r["stage"],
                    r["net_value"],
                    r["first_year_cost"],
                    r["cumulative_cost"],
                    r["funded"],
                ),
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
                p["stage"],
                p["signal_label"],
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
                p["stage"],
                p["status"],
                p["signal_label"],
                p["owner"] or "—",
                p["days_in_stage"],
                p["open_alerts"],
            )
            for p in pilots
        ),
    )
