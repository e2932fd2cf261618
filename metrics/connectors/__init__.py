"""Fetchers that turn a monitoring system's answer into metric points.

Each connector is plain Python around one outbound HTTP call (or an uploaded file): it
knows nothing about the ORM, pilots or permissions. It returns a `FetchResult` whose
`points` go to `metrics.services.snapshots_ingest` and whose `problems` explain the
items it had to skip. Failures raise `ConnectorError`; `transient` tells the caller
whether retrying later can help (timeouts, 5xx) or not (bad config, unsafe URL).

Messages in errors and problems are safe to show and store: they never contain a
secret header value, URL credentials or a query string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class Point(NamedTuple):
    metric: str
    observed_at: datetime  # timezone-aware
    value: float


@dataclass
class FetchResult:
    points: list[Point] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class ConnectorError(Exception):
    """A pull that failed as a whole; `message` is safe to show to the source's owners."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.message = message
        self.transient = transient
