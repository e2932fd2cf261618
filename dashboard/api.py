"""GET /api/portfolio/summary/: what the dashboard shows, as data, with the same filters."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.functional import lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.money import currency_code, with_currency_lazy
from dashboard import selectors
from dashboard.filters import DashboardFilterForm, parse_filters

_INT_MAX = 2**31 - 1
_BUDGET = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"


def _param(name: str, field) -> OpenApiParameter:
    """The query parameter as the form reads it, so the schema says what is accepted."""
    label = str(field.label or name)
    if isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _ in field.choices if value != ""]
        return OpenApiParameter(name, OpenApiTypes.STR, enum=values, description=label)
    # DecimalField before IntegerField: Django's DecimalField is an IntegerField subclass.
    if isinstance(field, forms.DecimalField):
        schema = {"type": "string", "pattern": _BUDGET}
        help_text = field.help_text
        description = lazy(lambda: f"{label}, in {currency_code()}: {help_text}", str)()
        return OpenApiParameter(name, schema, description=description)
    if isinstance(field, forms.IntegerField):
        schema = {"type": "integer", "minimum": 1, "maximum": _INT_MAX}
        return OpenApiParameter(name, schema, description=label)
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
        # DecimalField is a subclass of IntegerField: ask for it first, or every budget
        # with cents or above 2,147,483,647 was refused as "not a whole number".
        if isinstance(field, forms.DecimalField):
            if not re.fullmatch(_BUDGET, raw):
                errors[name] = [
                    "Give an amount from 0 to 99,999,999,999,999.99, like 250000 or 250000.50."
                ]
        elif isinstance(field, forms.IntegerField) and not (
            re.fullmatch(r"[0-9]{1,10}", raw) and 1 <= int(raw) <= _INT_MAX
        ):
            errors[name] = ["Give a whole number of at least 1."]
        elif isinstance(field, forms.BooleanField) and raw not in ("true", "false"):
            errors[name] = ["Give true or false."]
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


def _summary_description() -> str:
    code = currency_code()
    return (
        "What the dashboard shows, with the same filters. Amounts of money (costs, benefits, "
        f"net values, the planner's budget and cumulative costs) are decimal strings in {code}, "
        "the installation's currency (PILOTGATE_CURRENCY), also given as `currency`; ROI "
        "figures are percentages."
    )


class PortfolioSummaryView(APIView):
    @extend_schema(
        summary="Portfolio summary (the dashboard's numbers)",
        description=lazy(_summary_description, str)(),
        parameters=_PARAMS,
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=with_currency_lazy("The summary; amounts are decimal strings"),
            )
        },
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
        return Response(_jsonable({**summary, "currency": currency_code()}))
