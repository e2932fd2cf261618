"""OpenAPI postprocessing hook of the metrics app (wired in settings.SPECTACULAR_SETTINGS)."""

from django.db import DatabaseError

from config.api_schema import _walk
from metrics.models import MetricDefinition


def metric_catalog_enums(result, generator, request, public):
    try:
        keys = sorted(MetricDefinition.objects.values_list("key", flat=True))
    except DatabaseError:  # no database (schema exported offline): the pattern stays
        keys = []

    def visit(schema: dict) -> None:
        if schema.pop("x-metric-catalog", None) and keys:
            schema["enum"] = keys

    _walk(result, visit)
    return result
