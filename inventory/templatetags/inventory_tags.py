from django import template

from accounts import rules
from inventory import selectors

register = template.Library()


@register.inclusion_tag("inventory/_pilot_section.html", takes_context=True)
def pilot_assets(context, pilot):
    """What the pilot uses, its changes and end-of-life alerts (portfolio does not import
    inventory: the pilot page loads this tag)."""
    user = context["request"].user
    return {
        "pilot": pilot,
        "links": selectors.pilot_links(pilot=pilot),
        "changes": selectors.pilot_changes(pilot=pilot, limit=10),
        "eol_alerts": selectors.pilot_end_of_life_alerts(pilot=pilot),
        "can_change": rules.can_change_pilot_assets(user, pilot),
    }
