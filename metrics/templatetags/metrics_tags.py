from django import template

from metrics.selectors import pilot_metrics_section

register = template.Library()


@register.inclusion_tag("metrics/pilot_section.html", takes_context=True)
def metrics_section(context, pilot):
    """Signal, metrics against thresholds, alerts and incidents for the pilot page."""
    section = pilot_metrics_section(pilot, user=context["request"].user)
    section["request"] = context["request"]
    section["csrf_token"] = context.get("csrf_token")
    return section


@register.filter
def number(value, digits: int = 2) -> str:
    """A compact number: 1234.5 -> '1,234.5', None -> '—'."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"
