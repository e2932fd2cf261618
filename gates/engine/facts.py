"""What the engine is told about a pilot: plain, immutable facts gathered by the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class WorkbookFacts:
    complete: bool
    fields: Mapping[str, Any]
    lists: Mapping[str, int]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricDaily:
    """Daily rollup of one metric. The engine never sees raw snapshots."""

    day: date
    count: int
    minimum: float
    maximum: float
    mean: float
    p95: float
    last: float
    last_at: datetime


@dataclass(frozen=True)
class PilotFacts:
    risk_tier: str
    workbooks: Mapping[str, WorkbookFacts]
    roles: Mapping[str, str | None]
    test_results: Mapping[str, str]
    metrics: Mapping[str, Sequence[MetricDaily]]
    metric_targets: Mapping[str, float]
    metric_thresholds: Mapping[str, float]
    open_alerts: int
    met_conditions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Waiver:
    """A time-boxed exemption: it counts from grant until it expires or is revoked."""

    criterion_key: str
    expires_at: datetime
    justification: str
    revoked_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        revoked = self.revoked_at is not None and self.revoked_at <= now
        return self.expires_at > now and not revoked
