"""A small, documented path language to find numbers in a JSON document.

Syntax (a subset of JSONPath, no wildcards or filters):

    $                    the whole document (the leading `$` may be left out)
    .name  or  name      a key of an object (letters, digits, `_` and `-`)
    ["any key"]          a key with dots, spaces or other characters
    [0]  [-1]            an item of a list by position (negative counts from the end)

Examples: `$.latency.p95`, `data.series[0].points`, `$["p95 latency"]`, `$[-1].value`.

Why not a JSONPath library (decided for issue 15, against jsonpath-ng 1.8 and
python-jsonpath): a metric's path must name exactly one value, and when it finds nothing
the source's owner is told which step failed ("$.data.series has no item [3]"). The
libraries evaluate full JSONPath to a list of matches and answer a miss with an empty
list, so this walk (and a check that refuses wildcards, filters and slices) would stay
on top of them, with a second grammar to keep in step with these messages. The subset is
these ~60 lines, tested in tests/metrics/test_connector_http_json.py. Should sources ever
need wildcards or filters, use python-jsonpath (RFC 9535) and keep `resolve`'s messages.
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(
    r"""
    \.?(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)      # .name or name
  | \[(?P<index>-?\d+)\]                       # [3]
  | \[(?P<quoted>"(?:[^"\\]|\\.)*")\]          # ["any key"]
    """,
    re.VERBOSE,
)


class PathError(ValueError):
    pass


def parse_path(path: str) -> list[str | int]:
    """Split a path into keys and indexes; PathError names the bad position."""
    text = (path or "").strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise PathError(
                f"path {path!r} cannot be read at position {position + 1}; "
                'use $.key, ["key"] or [index]'
            )
        if match.group("name") is not None:
            steps.append(match.group("name"))
        elif match.group("index") is not None:
            steps.append(int(match.group("index")))
        else:
            try:
                steps.append(json.loads(match.group("quoted")))
            except ValueError:  # a bad escape such as "\q"
                raise PathError(
                    f"path {path!r} has a quoted key that is not a JSON string at position "
                    f"{position + 1}"
                ) from None
        position = match.end()
    return steps


def resolve(document, path: str):
    """The value at `path`; PathError says which step found nothing."""
    current = document
    walked = "$"
    for step in parse_path(path):
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                raise PathError(f"{walked} has no item [{step}]")
            current = current[step]
            walked += f"[{step}]"
        else:
            if not isinstance(current, dict) or step not in current:
                raise PathError(f"{walked} has no key {step!r}")
            current = current[step]
            walked += f".{step}"
    return current
