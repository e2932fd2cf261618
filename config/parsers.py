"""JSON with a depth limit, for every JSON the product reads: API bodies, form fields that
hold JSON, and documents fetched by the metric connectors.

Python's decoder recurses once per nested array or object, so about a thousand levels
(2 KB of brackets) end in a RecursionError, which no caller expects: a 500 on the API, a
crashed pull in a worker. Anything that does parse that deep would also be walked
recursively later on (validation, the audit trail's JSON). No document the product reads
needs more than a handful of levels, so a document deeper than the limit is refused as bad
input before anyone looks inside it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONTooDeep(ValueError):
    """The document nests arrays and objects deeper than allowed."""

    def __init__(self, limit: int):
        super().__init__(f"nested too deeply: at most {limit} levels of arrays and objects")
        self.limit = limit


def max_depth() -> int:
    return settings.PILOTGATE_JSON_MAX_DEPTH


def exceeds_depth(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and dicts more than `limit` levels (iteratively, so the
    check itself cannot run out of stack)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str | bytes, *, limit: int | None = None, **kwargs) -> Any:
    """`json.loads` that raises `JSONTooDeep` (a ValueError) past `limit` levels."""
    limit = max_depth() if limit is None else limit
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JSONTooDeep(limit) from None
    if exceeds_depth(value, limit):
        raise JSONTooDeep(limit)
    return value


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the depth limit; the API's default. `strict = False` lets a
    view accept NaN and Infinity literals, to refuse them per field with a clear message."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            constant = _reject_constant if self.strict else None
            return loads(text, parse_constant=constant)
        except JSONTooDeep as exc:
            raise ParseError(f"The JSON body is {exc}.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None
