"""GET /api/portfolio/summary/: what the dashboard shows, as data, with the same filters."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.dashboard import selectors
from portfolio.dashboard.filters import DashboardFilterForm, parse_filters

_INT_MAX = 2**31 - 1
_BUDGET = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"


def _param(name: str, field) -> OpenApiParameter:
    """The query parameter as the form reads it, so the schema says what is accepted."""
    label = str(field.label or name)
    if isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _ in field.choices if value != ""]
        return OpenApiParameter(name, OpenApiTypes.STR, enum=values, description=label)
    if isinstance(field, forms.IntegerField):
        schema = {"type": "integer", "minimum": 1, "maximum": _INT_MAX}
        return OpenApiParameter(name, schema, description=label)
    if isinstance(field, forms.DecimalField):
        schema = {"type": "string", "pattern": _BUDGET}
        return OpenApiParameter(name, schema, description=f"{label}: {field.help_text}")
    if isinstance(field, forms.BooleanField):
        return OpenApiParameter(name, OpenApiTypes.BOOL, description=f"{label}: {field.help_text}")
    schema = {"type": "string", "maxLength": field.max_length}
    return OpenApiParameter(name, schema, description=label)


_FIELDS = DashboardFilterForm.base_fields
_PARAMS = [_param(name, field) for name, field in _FIELDS.items()]


def _strict_errors(query) -> dict[str, list[str]]:
    """What the page forgives and the API refuses: an empty choice or number (the schema
    says a value), and numbers with spaces or signs the form would strip or read."""
    errors = {}
    for name, field in _FIELDS.items():
        raw = query.get(name)
        if raw is None or isinstance(field, forms.CharField):
            continue
        if isinstance(field, forms.IntegerField) and not (
            re.fullmatch(r"[0-9]{1,10}", raw) and 1 <= int(raw) <= _INT_MAX
        ):
            errors[name] = ["Give a whole number of at least 1."]
        elif isinstance(field, forms.DecimalField) and not re.fullmatch(_BUDGET, raw):
            errors[name] = ["Give an amount like 250000 or 250000.50."]
        elif raw == "":
            errors[name] = ["Give a value or leave the parameter out."]
    return errors


def _jsonable(value):
    """Money stays exact as a string; dates become ISO strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class PortfolioSummaryView(APIView):
    @extend_schema(
        summary="Portfolio summary (the dashboard's numbers)",
        parameters=_PARAMS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        strict = _strict_errors(request.query_params)
        if strict:
            raise ValidationError(strict)
        filters, form = parse_filters(request.query_params)
        if form.errors:
            # Unlike the page, which shows the message and ignores the filter, a machine
            # asking for a filter it spelled wrong must not get unfiltered numbers.
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        summary = selectors.portfolio_summary(user=request.user, filters=filters)
        return Response(_jsonable(summary))
