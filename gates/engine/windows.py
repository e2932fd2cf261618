"""Metric windows and aggregates over daily rollups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from gates.engine.facts import MetricDaily


def window(days: Sequence[MetricDaily], *, now: datetime, window_days: int) -> list[MetricDaily]:
    """Daily rollups inside the `window_days` days ending today (`now.date()`), oldest first.

    With window_days=7 and today the 10th, the days 4th..10th count; rollups dated
    after today are ignored.
    """
    today = now.date()
    first_excluded = today - timedelta(days=window_days)
    chosen = [d for d in days if first_excluded < d.day <= today]
    return sorted(chosen, key=lambda d: (d.day, d.last_at))


def aggregate(days: Sequence[MetricDaily], name: str) -> float:
    """Combine daily rollups into one number.

    - last: the last value of the most recent day.
    - mean: mean of the daily means weighted by each day's snapshot count, which equals
      the mean of all the underlying snapshots.
    - p95: the highest daily p95. An exact percentile cannot be rebuilt from daily
      rollups; the worst day is a conservative stand-in for lower-is-better metrics
      such as latency.
    - min / max: across the days.

    Days without snapshots (count 0) are ignored. Raises ValueError if none is left.
    """
    filled = [d for d in days if d.count > 0]
    if not filled:
        raise ValueError("no snapshots to aggregate")
    if name == "last":
        return max(filled, key=lambda d: (d.day, d.last_at)).last
    if name == "mean":
        total = sum(d.count for d in filled)
        return math.fsum(d.mean * d.count for d in filled) / total
    if name == "p95":
        return max(d.p95 for d in filled)
    if name == "min":
        return min(d.minimum for d in filled)
    if name == "max":
        return max(d.maximum for d in filled)
    raise ValueError(f"unknown aggregate {name!r}")
