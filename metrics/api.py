"""Metrics API: batch push of snapshots and the series of one metric of a pilot.

Push status codes (`POST /api/snapshots/`):
- 200: every row was stored or was already stored (duplicate);
- 207 Multi-Status: some rows were rejected, the others stored or duplicate;
- 400: the request itself is malformed (not a list of rows, more than 10,000 rows, bad
  source) or every row was rejected for a reason other than permission;
- 403: every row was refused for permission (visible pilots the token's user may not
  write metrics for; rows naming pilots they cannot see may be among them);
- 404: every row names a pilot that does not exist or that the user may not see.
Rows are judged one by one, so a mixed batch gets per-row codes in `rejected_rows`
(`invalid`, `forbidden`, `not_found`), and the good rows are stored whatever the status.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import METRIC_KEY_SCHEMA
from config.datetimes import as_utc
from config.money import metric_unit
from config.parsers import JSONParser
from metrics import selectors
from metrics.ingest import CODE_FORBIDDEN, CODE_INVALID, CODE_NOT_FOUND, SOURCE_MAX_LENGTH
from metrics.models import MetricDefinition
from metrics.services import MAX_ROWS_PER_BATCH, snapshots_ingest
from portfolio.selectors import pilot_get

MAX_SERIES_SPAN = timedelta(days=3 * 366)
DEFAULT_SERIES_SPAN = timedelta(days=7)


class SnapshotJSONParser(JSONParser):
    """Accepts NaN and Infinity literals so such a row is rejected alone, with a reason,
    instead of the whole batch failing to parse."""

    strict = False


# A row as the ingest service reads it (metrics/ingest.py). Rows are judged one by one and
# a bad row is reported in `rejected_rows` while the others are stored, so the request
# schema describes the envelope; this is what each row should be.
ROW_DOC = """Each row: `{"pilot": id, "metric": catalog key, "observed_at": RFC 3339 date-time
with a timezone, not after the server clock (plus a few minutes), "value": finite number
within the metric's catalog range}`."""
# Each row, exactly: what a row must be to be stored (the catalog range of each metric and
# "not in the future" are judged row by row, so a batch may still be a 207).
ROW_SCHEMA = {
    "type": "object",
    "description": ROW_DOC,
    "properties": {
        "pilot": {
            "type": "integer",
            "minimum": 1,
            "maximum": 2**63 - 1,
            "description": "The pilot's id.",
        },
        "metric": {**METRIC_KEY_SCHEMA, "description": "A key of the metric catalog."},
        "observed_at": {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339 with an offset (stored in UTC); not in the future.",
        },
        "value": {
            "type": "number",
            "description": "A finite number within the metric's catalog range.",
        },
    },
    "required": ["pilot", "metric", "observed_at", "value"],
}
_ENVELOPE = {
    "type": "object",
    "properties": {
        "source": {
            "type": "string",
            "minLength": 1,
            "maxLength": SOURCE_MAX_LENGTH,
            "description": "Where the numbers come from; defaults to push:<your username>.",
        },
        "rows": {
            "type": "array",
            "maxItems": MAX_ROWS_PER_BATCH,
            "items": ROW_SCHEMA,
            "description": "The rows, judged one by one.",
        },
    },
    "required": ["rows"],
    "additionalProperties": False,
}
BATCH_SCHEMA = {"oneOf": [_ENVELOPE["properties"]["rows"], _ENVELOPE]}
PUSH_RESULT = inline_serializer(
    "SnapshotPushResult",
    {
        "message": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        "source": serializers.CharField(),
        "received": serializers.IntegerField(),
        "stored": serializers.IntegerField(),
        "duplicate": serializers.IntegerField(),
        "rejected": serializers.IntegerField(),
        "rejected_rows": inline_serializer(
            "RejectedRow",
            {
                "index": serializers.IntegerField(),
                "code": serializers.ChoiceField(
                    choices=[CODE_INVALID, CODE_FORBIDDEN, CODE_NOT_FOUND]
                ),
                "errors": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
            many=True,
        ),
    },
)


def _status_for(result) -> int:
    if result.rejected == 0:
        return status.HTTP_200_OK
    if result.rejected < result.received:
        return status.HTTP_207_MULTI_STATUS
    codes = set(result.codes.values())
    if codes == {CODE_NOT_FOUND}:
        return status.HTTP_404_NOT_FOUND
    if codes <= {CODE_FORBIDDEN, CODE_NOT_FOUND}:
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


class SnapshotPushView(APIView):
    parser_classes = [SnapshotJSONParser]
    # API_RATE_SNAPSHOTS: pushes per user, on top of the token and user budgets.
    throttle_scope = "snapshots"

    @extend_schema(
        summary="Push a batch of metric snapshots (up to 10,000 rows)",
        description=__doc__,
        request={"application/json": BATCH_SCHEMA},
        extensions={"x-body-required": True},
        # 400/403/404 carry the same counts, on top of the error shape the hook documents.
        responses={200: PUSH_RESULT, 207: PUSH_RESULT},
    )
    def post(self, request):
        data = request.data
        source = None
        if isinstance(data, dict):
            source = data.get("source")
            rows = data.get("rows")
        else:
            rows = data
        unknown = sorted(set(data) - {"source", "rows"}) if isinstance(data, dict) else []
        if unknown:
            return _bad(
                "Send an object with 'rows' and optionally 'source', nothing else.",
                {name[:100]: ["Unknown field."] for name in unknown},
            )
        if not isinstance(rows, list):
            return _bad(
                "Send a JSON list of rows, or an object with a 'rows' list.",
                {"rows": ["Expected a list of rows."]},
            )
        if len(rows) > MAX_ROWS_PER_BATCH:
            return _bad(
                f"At most {MAX_ROWS_PER_BATCH:,} rows per request; this one has {len(rows):,}.",
                {"rows": [f"At most {MAX_ROWS_PER_BATCH:,} rows per request."]},
            )
        if "source" in (data if isinstance(data, dict) else {}) and not isinstance(source, str):
            return _bad("The source must be text.", {"source": ["Expected text."]})
        if source is not None:
            # Its length as sent (the schema's maxLength), then something besides spaces.
            field = serializers.CharField(max_length=SOURCE_MAX_LENGTH, trim_whitespace=False)
            try:
                source = field.run_validation(source).strip()
            except serializers.ValidationError as exc:
                return _bad("Invalid input: source.", {"source": [str(m) for m in exc.detail]})
            if not source:
                return _bad("Invalid input: source.", {"source": ["Give the source a name."]})
        source = source or f"push:{request.user.get_username()}"
        try:
            result = snapshots_ingest(rows=rows, source=source, by=request.user)
        except ValidationError as exc:
            errors = {k: list(v) for k, v in exc.message_dict.items()}
            return _bad("Invalid input: " + ", ".join(sorted(errors)) + ".", errors)
        rejected = result.rejected_rows()
        code = _status_for(result)
        message = (
            f"{result.stored:,} stored, {result.duplicate:,} already stored, "
            f"{result.rejected:,} rejected."
        )
        return Response(
            {
                "message": message,
                "errors": {
                    f"rows[{r.index}].{field}": messages
                    for r in rejected[:100]
                    for field, messages in r.errors.items()
                },
                "source": result.source,
                **result.counts(),
                "rejected_rows": [
                    {"index": r.index, "code": r.code, "errors": r.errors} for r in rejected
                ],
            },
            status=code,
        )


def _bad(message: str, errors: dict) -> Response:
    return Response({"message": message, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def _parse_time(raw: str | None, name: str, errors: dict) -> datetime | None:
    """An RFC 3339 date-time with any offset it allows (up to +/-23:59), as UTC."""
    if raw is None:
        return None
    text = raw.strip().upper().replace(" ", "T", 1)  # RFC 3339 allows t, z and a space
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    leap = ":60" in text[13:20]  # a leap second reads as the last instant of its minute
    if leap:
        text = text[:16] + ":59" + text[19:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = [
            f"Give an RFC 3339 date and time with an offset from -23:59 to +23:59 "
            f"(e.g. 2026-11-26T09:30:00Z), not {raw[:40]!r}."
        ]
        return None
    if moment.tzinfo is None:
        errors[name] = ["Add a timezone (e.g. a trailing Z for UTC)."]
        return None
    if leap:
        moment = moment.replace(microsecond=999_999)
    try:
        return as_utc(moment)
    except ValueError as exc:
        errors[name] = [f"{raw[:40]!r} {exc}."]
        return None


def _earlier(moment: datetime, span: timedelta) -> datetime:
    try:
        return moment - span
    except OverflowError:  # near year 1
        return datetime.min.replace(tzinfo=UTC)


_METRIC_PARAM = OpenApiParameter(
    "metric", METRIC_KEY_SCHEMA, required=True, description="A key of the metric catalog."
)


class MetricSeriesView(APIView):
    @extend_schema(
        summary="The series of one metric of a pilot",
        description=(
            "Raw snapshots for ranges up to two days, hourly rollups up to 31 days, daily "
            "rollups beyond. `since` defaults to seven days before `until`, `until` to now. "
            "A range longer than three years is cut to the three years before `until`, and "
            "an empty range (`since` not before `until`) has no points: the answer's "
            "`since` and `until` say which range was read."
        ),
        parameters=[
            _METRIC_PARAM,
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        pilot = pilot_get(user=request.user, pk=pk)
        errors: dict[str, list[str]] = {}
        key = request.query_params.get("metric")
        if not key:
            errors["metric"] = ["Name the metric, e.g. ?metric=error_rate."]
        elif not MetricDefinition.objects.filter(key=key).exists():
            errors["metric"] = [f"Unknown metric {key[:64]!r}."]
        until = _parse_time(request.query_params.get("until"), "until", errors)
        since = _parse_time(request.query_params.get("since"), "since", errors)
        if errors:
            return _bad("Invalid input: " + ", ".join(sorted(errors)) + ".", errors)
        until = until or timezone.now()
        since = since or _earlier(until, DEFAULT_SERIES_SPAN)
        since = max(since, _earlier(until, MAX_SERIES_SPAN))
        if since >= until:
            since = until  # an empty range: no points
        series = selectors.metric_series(pilot, key, since, until)
        return Response(
            {
                "pilot": pilot.pk,
                "metric": series.metric.key,
                "unit": metric_unit(series.metric.unit),
                "resolution": series.resolution,
                "since": since,
                "until": until,
                "points": [
                    {
                        "at": p.at,
                        "value": p.value,
                        "min": p.minimum,
                        "max": p.maximum,
                        "p95": p.p95,
                        "count": p.count,
                    }
                    for p in series.points
                ],
            }
        )


class PilotSignalView(APIView):
    @extend_schema(
        summary="The portfolio signal of a pilot, explained",
        description=(
            "Computed when asked, so it reflects the clock (data older than the window no "
            "longer counts; stop-condition by-dates). `explanation.cell` is the decision "
            "table's cell (value, reliability, economics), `explanation.table_signal` what "
            "the table alone says, `explanation.rule` the row applied and "
            "`explanation.rule_from_source` whether the source's table decides that cell; "
            "`code` is the recommendation, which a met stop condition can make more severe. "
            "`economics` holds the planned and the realised net annual value (amounts as "
            "strings) and which one the signal read (`basis`: realised, planned, cost "
            "metrics or none)."
        ),
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        pilot = pilot_get(user=request.user, pk=pk)
        return Response(selectors.pilot_signal_detail(pilot))
