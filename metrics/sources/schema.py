"""The API's description of a metric source body, and the check that holds input to it.

One JSON schema per kind of `config`, used both in the OpenAPI document and to validate
API input (`config_problems`), so the two cannot drift apart. The pull service still
validates everything the pages send (metrics/pulls/sources.py); these shapes are what it accepts,
stated precisely: unknown keys and wrong types are refused rather than stored.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator

from config.api_schema import METRIC_KEY_SCHEMA, NO_NUL, NON_BLANK
from metrics.connectors.prometheus import MAX_STEP_SECONDS, MIN_STEP_SECONDS
from metrics.models import SourceKind
from metrics.pulls.sources import _FORBIDDEN_HEADERS, MAX_INTERVAL, MIN_INTERVAL

# http(s) with a host name (IP literals and private addresses are refused by the SSRF
# checks when the URL is saved or pulled; a name is resolved and checked at pull time).
# Printable ASCII only (percent-encode the rest); no `\s`, whose meaning differs between
# Python and the ECMA regexes OpenAPI tools use.
URL = {
    "type": "string",
    "maxLength": 2000,
    "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)*"
    r"(:[1-9][0-9]{0,3})?([/?#][!-~]*)?$",
}
# The path language of metrics/connectors/jsonpath.py.
_STEP = (
    r'(\.?[A-Za-z_][A-Za-z0-9_\-]*|\[-?[0-9]+\]|\["([^"\\\x00-\x1f]|\\["\\/bfnrt]'
    r'|\\u[0-9A-Fa-f]{4})*"\])'
)
PATH = {"type": "string", "maxLength": 500, "pattern": rf"^(\$|\$?{_STEP}+)$"}
KEY = {"type": "string", "maxLength": 200, "pattern": NO_NUL}


def _case_insensitive(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_FORBIDDEN = "|".join(_case_insensitive(name) for name in sorted(_FORBIDDEN_HEADERS))
HEADER_NAME = {
    "type": "string",
    "pattern": rf"^(?!({_FORBIDDEN})$)[A-Za-z0-9][A-Za-z0-9\-]{{0,99}}$",
    "description": "Letters, digits and dashes, like X-Api-Key or Authorization.",
}

HTTP_JSON_CONFIG = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url", "metrics"],
    "properties": {
        "url": URL,
        "metrics": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["metric", "path"],
                "properties": {
                    "metric": METRIC_KEY_SCHEMA,
                    "path": PATH,
                    "time_path": PATH,
                    "time_key": KEY,
                    "value_key": KEY,
                },
            },
        },
    },
}
PROMETHEUS_CONFIG = {
    "type": "object",
    "additionalProperties": False,
    "required": ["base_url", "queries"],
    "properties": {
        "base_url": URL,
        "step_seconds": {
            "type": "integer",
            "minimum": MIN_STEP_SECONDS,
            "maximum": MAX_STEP_SECONDS,
        },
        "queries": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["metric", "query"],
                "properties": {
                    "metric": METRIC_KEY_SCHEMA,
                    "query": {"type": "string", "maxLength": 4000, "pattern": NON_BLANK},
                },
            },
        },
    },
}
CONFIGS = {SourceKind.HTTP_JSON: HTTP_JSON_CONFIG, SourceKind.PROMETHEUS: PROMETHEUS_CONFIG}

_COMMON = {
    "name": {"type": "string", "maxLength": 120, "pattern": NON_BLANK},
    "interval_minutes": {"type": "integer", "minimum": MIN_INTERVAL, "maximum": MAX_INTERVAL},
    "enabled": {"type": "boolean"},
    "secret_header_name": {
        "type": "string",
        "pattern": rf"^$|{HEADER_NAME['pattern']}",
        "description": HEADER_NAME["description"],
    },
    "secret_header_value": {
        "type": "string",
        "maxLength": 4000,
        "pattern": r"^[^\r\n\x00]*$",
        "writeOnly": True,
        "description": "Write-only; sent with the header name. On PATCH, omit it (or send "
        "it empty) to keep the stored secret.",
    },
}
# A secret goes with the name of the header it is sent in.
_SECRET_RULE = {
    "anyOf": [
        {"properties": {"secret_header_value": {"maxLength": 0}}},
        {
            "required": ["secret_header_name", "secret_header_value"],
            "properties": {"secret_header_name": HEADER_NAME},
        },
    ]
}


def _kind(kind: str) -> dict:
    return {
        "required": ["kind", "config"],
        "properties": {"kind": {"type": "string", "enum": [kind]}, "config": CONFIGS[kind]},
    }


def source_create_schema() -> dict:
    return {
        "type": "object",
        "required": ["name", "kind", "config"],
        "properties": {
            **_COMMON,
            "kind": {"type": "string", "enum": SourceKind.values},
            "config": {"type": "object"},
        },
        "allOf": [{"oneOf": [_kind(kind) for kind in SourceKind.values]}, _SECRET_RULE],
    }


def source_update_schema() -> dict:
    neither = {"not": {"anyOf": [{"required": ["kind"]}, {"required": ["config"]}]}}
    return {
        "type": "object",
        "description": "Send `kind` and `config` together or not at all. To remove the "
        "secret and its header, send `clear_secret: true`.",
        "properties": {
            **_COMMON,
            "secret_header_name": HEADER_NAME,
            "kind": {"type": "string", "enum": SourceKind.values},
            "config": {"type": "object"},
            "clear_secret": {"type": "boolean", "description": "Remove the stored secret."},
        },
        "allOf": [{"oneOf": [neither, *(_kind(kind) for kind in SourceKind.values)]}, _SECRET_RULE],
    }


def _strip_markers(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_markers(v) for k, v in node.items() if not k.startswith("x-")}
    if isinstance(node, list):
        return [_strip_markers(v) for v in node]
    return node


def _validator(schema: dict) -> Draft4Validator:
    return Draft4Validator(_strip_markers(schema))


_TOP = {
    True: _validator({k: v for k, v in source_create_schema().items() if k != "allOf"}),
    False: _validator({k: v for k, v in source_update_schema().items() if k != "allOf"}),
}
_CONFIG = {kind: _validator(schema) for kind, schema in CONFIGS.items()}
_HEADER = _validator(HEADER_NAME)

# What to tell a person, by the keyword a value failed; the validator's own message
# otherwise.
_HINTS = {
    id(URL): "Give an http or https URL with a host name (not an IP address).",
    id(PATH): 'Give a path like $.latency.p95, data[0].value or $["p95 latency"].',
    id(HEADER_NAME): HEADER_NAME["description"] + " Not Host, Cookie or the like.",
}


def _errors(validator: Draft4Validator, body: Any, prefix: str, out: dict) -> None:
    for error in validator.iter_errors(body):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        field = (prefix + path).lstrip(".") or "non_field_errors"
        message = error.message[:200]
        if error.validator in {"pattern", "maxLength"}:
            for schema, hint in ((URL, _HINTS[id(URL)]), (PATH, _HINTS[id(PATH)])):
                if error.schema.get("pattern") == schema["pattern"]:
                    message = hint
        out.setdefault(field, []).append(message)


def body_problems(body: Any, *, create: bool) -> dict[str, list[str]]:
    """Field -> messages for a source body outside the schema (empty when it fits)."""
    problems: dict[str, list[str]] = {}
    _errors(_TOP[create], body, "", problems)
    if not isinstance(body, dict):
        return problems
    kind, config = body.get("kind"), body.get("config")
    if ("kind" in body) != ("config" in body):
        problems.setdefault("config" if "kind" in body else "kind", []).append(
            "Send kind and config together."
        )
    elif isinstance(kind, str) and kind in _CONFIG and isinstance(config, dict):
        _errors(_CONFIG[kind], config, "config", problems)
    secret = body.get("secret_header_value")
    if isinstance(secret, str) and secret and "secret_header_name" not in problems:
        name = body.get("secret_header_name")
        if not isinstance(name, str) or not _HEADER.is_valid(name):
            problems.setdefault("secret_header_name", []).append(
                "Name the header the secret goes in. " + _HINTS[id(HEADER_NAME)]
            )
    return problems
