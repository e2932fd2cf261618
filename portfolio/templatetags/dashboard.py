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
