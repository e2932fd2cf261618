"""Drift score: how far a metric's recent days moved from its baseline days.

Score of one metric = |mean of the recent window's daily means - mean of the baseline
window's daily means| / standard deviation of the baseline's daily means (a
standardized mean shift, in "typical day-to-day swings"). Windows, from daily rollups:
recent = the last 7 days, baseline = the 28 days before that. The standard deviation
has a floor of 1% of the baseline mean's magnitude (and of 1e-9), so a metric that never
moved does not turn a tiny change into an infinite score. A metric needs at least
3 recent and 7 baseline days to be scored.

The pilot's `drift_score` is the largest score among its metrics (the one that drifted
most), stored as one snapshot per hour at most (a re-run within the hour is a duplicate).
Rough reading: below 1 is normal variation, 2 or more deserves a look, 3+ is drift.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

RECENT_DAYS = 7
BASELINE_DAYS = 28
MIN_RECENT = 3
MIN_BASELINE = 7
EXCLUDED_KEYS = frozenset({"drift_score", "rollback_mttr_minutes"})


@dataclass(frozen=True)
class DriftResult:
    score: float | None
    by_metric: Mapping[str, float] = field(default_factory=dict)
    stored: int = 0


def shift_score(baseline: Sequence[float], recent: Sequence[float]) -> float | None:
    if len(baseline) < MIN_BASELINE or len(recent) < MIN_RECENT:
        return None
    base_mean = statistics.fmean(baseline)
    spread = statistics.pstdev(baseline)
    floor = max(abs(base_mean) * 0.01, 1e-9)
    score = abs(statistics.fmean(recent) - base_mean) / max(spread, floor)
    return score if math.isfinite(score) else None
