from django import template
from django.utils.text import capfirst

from portfolio.workbooks.provides import progress, workbook_facts
from portfolio.workbooks.spec import SPECS

register = template.Library()


@register.filter
def field_label(name: str, spec) -> str:
    """`annual_volume` -> "Annual volume at production" (the field's own label)."""
    base = name.removesuffix("_upload")
    try:
        return capfirst(str(spec.model._meta.get_field(base).verbose_name))
    except Exception:  # noqa: BLE001 - not a model field (e.g. an upload): show the name
        return base.replace("_", " ").capitalize()


@register.inclusion_tag("portfolio/workbooks/pilot_section.html")
def workbook_summary(pilot):
    """The five workbooks' completeness, for the pilot page (one query)."""
    facts = workbook_facts(pilot)
    return {
        "pilot": pilot,
        "rows": [
            (spec.phase, spec.title, progress(facts[spec.phase], spec.phase), facts[spec.phase])
            for spec in SPECS.values()
        ],
    }
