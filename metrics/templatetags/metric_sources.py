from django import template

from accounts import rules
from metrics.sources.selectors import pilot_sources

register = template.Library()


@register.inclusion_tag("metrics/sources/section.html", takes_context=True)
def sources_section(context, pilot):
    """The pilot page's summary of its metric sources and their health."""
    user = context["request"].user
    return {
        "pilot": pilot,
        "sources": list(pilot_sources(pilot=pilot)),
        "can_manage": rules.can_manage_sources(user, pilot),
    }
