"""Filtering for every API list: django-filter, with booleans checked strictly."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

_BOOLEANS = {"true", "false", "True", "False", "1", "0"}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter reads an unknown boolean (`?mine=maybe`) or an empty choice
    (`?status=`) as "no filter" and answers 200; the schema says boolean or one of the
    choices, so the API answers 400 instead."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for name, filter_ in filterset.filters.items():
            values = request.query_params.getlist(name)
            if isinstance(filter_, django_filters.BooleanFilter):
                if any(raw not in _BOOLEANS for raw in values):
                    errors[name] = ["Give true or false."]
            elif isinstance(filter_, django_filters.ChoiceFilter):
                # An empty value reads as "no filter" in a form; in the API it is a mistake.
                allowed = {str(value) for value, _ in filter_.extra.get("choices", ())}
                if allowed and any(raw not in allowed for raw in values):
                    errors[name] = [f"Choose one of: {', '.join(sorted(allowed))}."]
        if errors:
            raise ValidationError(errors)
        return filterset
