"""Filtering for every API list: django-filter, with booleans checked strictly."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

_BOOLEANS = {"true", "false", "True", "False", "1", "0"}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter reads an unknown value of a boolean filter (`?mine=maybe`) as "no
    filter" and answers 200; the schema says boolean, so the API answers 400 instead."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for name, filter_ in filterset.filters.items():
            if not isinstance(filter_, django_filters.BooleanFilter):
                continue
            for raw in request.query_params.getlist(name):
                if raw not in _BOOLEANS:
                    errors[name] = ["Give true or false."]
        if errors:
            raise ValidationError(errors)
        return filterset
