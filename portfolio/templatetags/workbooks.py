from django import template
from django.utils.text import capfirst

from portfolio.workbooks.provides import workbook_facts
from portfolio.workbooks.tasklist import task_list

register = template.Library()


@register.filter
def field_label(name: str, spec) -> str:
    """`annual_volume` -> "Annual volume at production" (the field's own label)."""
    base = name.removesuffix("_upload")
    try:
        return capfirst(str(spec.model._meta.get_field(base).verbose_name))
    except Exception:  # noqa: BLE001 - not a model field (e.g. an upload): show the name
        return base.replace("_", " ").capitalize()


@register.inclusion_tag("portfolio/workbooks/pilot_section.html", takes_context=True)
def workbook_summary(context, pilot):
    """The five workbooks as a task list, and the review request once the workbooks the
    next gate reads are complete (the workbook facts are read once per page)."""
    from gates.offer import review_offer

    offer = review_offer(pilot=pilot, user=context["request"].user)
    return {
        "pilot": pilot,
        "tasks": task_list(pilot, workbook_facts(pilot), offer.needed),
        "offer": offer,
        "csrf_token": context.get("csrf_token"),
    }
