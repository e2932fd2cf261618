from django import template
from django.utils.text import capfirst

register = template.Library()


@register.filter
def field_label(name: str, spec) -> str:
    """`annual_volume` -> "Annual volume at production" (the field's own label)."""
    base = name.removesuffix("_upload")
    try:
        return capfirst(str(spec.model._meta.get_field(base).verbose_name))
    except Exception:  # noqa: BLE001 - not a model field (e.g. an upload): show the name
        return base.replace("_", " ").capitalize()
