"""What the engine is told about a pilot: plain, immutable facts gathered by the caller."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
class ChecklistSection:
    """One section of a scored checklist and the points each answered item earned.

    Points are 0 (not in place), 0.5 (done by hand, documented) or 1 (automated); an item
    without an answer is absent from `points` and counts 0.
    """

    title: str
    items: tuple[str, ...]
    points: Mapping[str, float]

    @property
    def score(self) -> float:
        """The sum of the section's item points."""
        return math.fsum(float(self.points.get(item, 0.0)) for item in self.items)

    @property
    def answered(self) -> int:
        return sum(1 for item in self.items if item in self.points)


@dataclass(frozen=True)
class ChecklistFacts:
    """A checklist scored as the ML Test Score is: its overall score is its lowest section."""

    title: str
    sections: tuple[ChecklistSection, ...]

    @property
    def max_section(self) -> int:
        """The most a section can score (every item automated), so the most a minimum can be."""
        return max((len(s.items) for s in self.sections), default=0)

    @property
    def score(self) -> float:
        return min((s.score for s in self.sections), default=0.0)

    @property
    def weakest(self) -> tuple[ChecklistSection, ...]:
        """Every section at the lowest score (ties are all named)."""
        low = self.score
        return tuple(s for s in self.sections if s.score == low)


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
    # Checklist slug -> its answers, for the checklists scored in points (ML Test Score).
    checklists: Mapping[str, ChecklistFacts] = field(default_factory=dict)


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
