"""Template helpers for the dashboard and the pilot page's metric and signal sections."""

from django import template

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
