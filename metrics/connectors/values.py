"""Parsing of times and numbers shared by the connectors (JSON, Prometheus, CSV)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from config.datetimes import as_utc

# Unix times above this are taken as milliseconds: in seconds it would be year 5138.
_MILLISECONDS_FROM = 1e11


class ValueProblem(ValueError):
    """One item that cannot become a point; the message names what is wrong."""


def parse_time(raw) -> datetime:
    """Unix seconds (or milliseconds), or ISO 8601 text with a time zone -> aware UTC."""
    if isinstance(raw, bool) or raw is None:
        raise ValueProblem(f"time {raw!r} is not a time")
    if isinstance(raw, str):
        text = raw.strip()
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError as exc:
                raise ValueProblem(
                    f"time {text[:40]!r} is not ISO 8601 (2026-01-31T12:00:00Z) or Unix seconds"
                ) from exc
            if parsed.tzinfo is None:
                raise ValueProblem(
                    f"time {text[:40]!r} has no time zone; add Z or an offset like +01:00"
                )
            try:
                return as_utc(parsed)
            except ValueError as exc:
                raise ValueProblem(f"time {text[:40]!r} {exc}") from None
        raw = number
    if isinstance(raw, int | float):
        seconds = float(raw)
        if not math.isfinite(seconds):
            raise ValueProblem(f"time {raw!r} is not a finite number")
        if abs(seconds) >= _MILLISECONDS_FROM:
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueProblem(f"time {raw!r} is out of range") from exc
    raise ValueProblem(f"time of type {type(raw).__name__} is not a time")


def parse_value(raw) -> float:
    """A finite number, given as a JSON number or as text."""
    if isinstance(raw, bool) or raw is None:
        raise ValueProblem(f"value {raw!r} is not a number")
    if isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError as exc:
            raise ValueProblem(f"value {raw[:40]!r} is not a number") from exc
    elif isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer of hundreds of digits
            value = math.inf
    else:
        raise ValueProblem(f"value of type {type(raw).__name__} is not a number")
    if not math.isfinite(value):
        raise ValueProblem(f"value {raw!r} is not a finite number")
    return value
