"""GET /api/portfolio/summary/: what the dashboard shows, as data, with the same filters."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.dashboard import selectors
from portfolio.dashboard.filters import DashboardFilterForm, parse_filters

_PARAMS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=str(field.label or name))
    for name, field in DashboardFilterForm.base_fields.items()
]


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
        filters, form = parse_filters(request.query_params)
        if form.errors:
            # Unlike the page, which shows the message and ignores the filter, a machine
            # asking for a filter it spelled wrong must not get unfiltered numbers.
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        summary = selectors.portfolio_summary(user=request.user, filters=filters)
        return Response(_jsonable(summary))
