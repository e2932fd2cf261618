"""The business units in the API schema: a managed list (admins add and retire units), so
the schema lists the names as they are when it is served, like the metric catalog's keys.

Request bodies may name only a unit in use; answers may carry a retired unit a pilot kept.
"""

from django.db import DatabaseError

from portfolio.models import BusinessUnit


def business_unit_enums(result, generator, request, public):
    try:
        units = list(BusinessUnit.objects.values_list("name", "active"))
    except DatabaseError:  # no database (schema exported offline): a plain string stays
        return result
    in_use = sorted(name for name, active in units if active)
    every = sorted(name for name, _ in units)
    for component, schema in result.get("components", {}).get("schemas", {}).items():
        field = schema.get("properties", {}).get("business_unit")
        if not field or field.get("type") != "string":
            continue
        names = in_use if component.endswith("Request") else every
        if names:
            field["enum"] = names
    return result
