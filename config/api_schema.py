"""OpenAPI postprocessing: every operation documents the API's one error shape.

Rather than an `extend_schema(responses=...)` on each view (easy to forget on a new
endpoint), this hook adds the error responses to every operation of the schema, so the
contract stays complete as endpoints are added.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a message a person can act on, and field errors by name.",
    "properties": {
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field name (dotted for nested fields) -> messages; empty when "
            "the error is not about a field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["message", "errors"],
}

# For an operation that documents a status the hook would not add to it (a 409 on a GET).
ERROR_REF = {"$ref": "#/components/schemas/Error"}

_ALL = {
    "400": "Bad input: see `errors` for the fields.",
    "401": "No credentials, or a token that is invalid or revoked.",
    "404": "Not found, or not visible to you.",
    "405": "Method not allowed.",
    "406": "The Accept header asks for a format the API does not produce.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
}
# Every operation may be refused (403): even reads are refused where DRF permission classes
# or a role rule apply.
_ALL["403"] = "You may see this but not do that."
_WRITES = {
    "409": "The object changed state meanwhile (for example a pilot already moved stage).",
    "413": "The request body is too large.",
    "415": "Unsupported content type: send application/json.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}


# No text field or query value may hold a NUL character (PostgreSQL cannot store one; the
# API refuses it with 400): say so in the schema, so clients and fuzzers know.
NO_NUL = "^[^\\x00]*$"
# Text that must not be blank needs one character that is neither NUL nor one that
# Python's str.strip() removes (DRF trims input; \x1c-\x1f and \x85 count as space).
_PY_SPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NON_BLANK = f"^[^\\x00]*[^\\x00{_PY_SPACE}][^\\x00]*$"


def _forbid_nul(schema: dict, components: dict, seen: set) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen and name in components:
            seen.add(name)
            _forbid_nul(components[name], components, seen)
        return
    if schema.get("type") == "string" and not ({"enum", "format", "pattern"} & set(schema)):
        schema["pattern"] = NON_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            _forbid_nul(child, components, seen)
    for key in ("items", "additionalProperties"):
        _forbid_nul(schema.get(key), components, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in schema.get(key, []):
            _forbid_nul(child, components, seen)


def forbid_nul_characters(result, generator, request, public):
    components = result.get("components", {}).get("schemas", {})
    seen: set = set()
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _forbid_nul(parameter.get("schema"), components, seen)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _forbid_nul(media.get("schema"), components, seen)
    return result


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = dict(_ALL)
            if method != "get":
                codes.update(_WRITES)
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                if code in responses:
                    continue
                response = {"content": {"application/json": {"schema": ref}}}
                response["description"] = description
                if code == "429":
                    response["headers"] = _RETRY_AFTER
                responses[code] = response
            responses.setdefault(
                "414",
                {
                    "description": "The query string is over 4,096 bytes "
                    "(PILOTGATE_MAX_QUERY_BYTES), or the request line over 8,190.",
                    "content": {"application/json": {"schema": ref}},
                },
            )
    return result


# A key of the metric catalog. The catalog is a table (admins may add metrics), so the
# schema lists its keys as they are when the schema is served
# (`metrics.schema.metric_catalog_enums`).
METRIC_KEY_SCHEMA = {
    "type": "string",
    "pattern": "^[a-z][a-z0-9_]*$",
    "maxLength": 64,
    "x-metric-catalog": True,
}


def _walk(node, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def require_raw_bodies(result, generator, request, public):
    """drf-spectacular marks a body given as a raw schema optional; an operation that needs
    one says so with `extend_schema(extensions={"x-body-required": True})`."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and operation.pop("x-body-required", None):
                operation["requestBody"]["required"] = True
    return result


# OpenAPI links: what a client (and schemathesis' stateful phase) can do next with the
# object an operation answers. By operationId: response -> [(link, target, parameter)].
_PILOT_NEXT = [
    ("GetPilot", "pilots_retrieve", "id"),
    ("ChangePilot", "pilots_partial_update", "id"),
    ("EvaluatePilot", "pilots_evaluation_retrieve", "id"),
    ("PilotMetricSeries", "pilots_metrics_retrieve", "id"),
    ("PilotReviews", "pilots_reviews_list", "id"),
    ("RequestReview", "pilots_reviews_create", "id"),
    ("PilotWaivers", "pilots_waivers_list", "id"),
    ("ReadWorkbook", "pilots_workbooks_retrieve", "id"),
    ("ReplaceWorkbook", "pilots_workbooks_update", "id"),
    ("ChangeWorkbook", "pilots_workbooks_partial_update", "id"),
    ("PilotSources", "pilots_sources_list", "pilot_pk"),
    ("ConnectSource", "pilots_sources_create", "pilot_pk"),
]
_REVIEW_NEXT = [
    ("GetReview", "reviews_retrieve", "id"),
    ("DecideReview", "reviews_decisions_create", "id"),
    ("WithdrawReview", "reviews_withdraw_create", "id"),
]
_SOURCE_NEXT = [
    ("GetSource", "sources_retrieve", "id"),
    ("ChangeSource", "sources_partial_update", "id"),
    ("PullSource", "sources_pull_create", "id"),
    ("DeleteSource", "sources_destroy", "id"),
]
LINKS = {
    ("pilots_create", "201"): _PILOT_NEXT,
    ("pilots_retrieve", "200"): _PILOT_NEXT,
    ("pilots_partial_update", "200"): _PILOT_NEXT,
    ("pilots_reviews_create", "201"): _REVIEW_NEXT,
    ("reviews_retrieve", "200"): _REVIEW_NEXT,
    ("pilots_sources_create", "201"): _SOURCE_NEXT,
    ("sources_retrieve", "200"): _SOURCE_NEXT,
}


def add_links(result, generator, request, public):
    operations = {
        operation.get("operationId"): operation
        for path_item in result.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict)
    }
    for (operation_id, code), links in LINKS.items():
        response = operations.get(operation_id, {}).get("responses", {}).get(code)
        if response is None:
            continue
        response["links"] = {
            name: {"operationId": target, "parameters": {parameter: "$response.body#/id"}}
            for name, target, parameter in links
            if target in operations
        }
    return result
