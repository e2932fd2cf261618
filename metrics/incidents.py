"""Incidents: an alert's life from opened to resolved.

Each resolved alert is one incident; its duration in minutes is stored as a
`rollback_mttr_minutes` snapshot at the time it was resolved, so the metric's rollups
give the mean time to recover over any window (daily mean = MTTR of that day).
"""

from __future__ import annotations

from metrics.models import Alert

INCIDENT_SOURCE = "pilotgate:incidents"
MTTR_METRIC = "rollback_mttr_minutes"


def mttr_rows(alert: Alert) -> list[dict]:
    """The snapshot rows a resolved alert adds (metrics.services ingests them)."""
    minutes = alert.duration_minutes
    if minutes is None:
        return []
    return [
        {
            "pilot": alert.pilot_id,
            "metric": MTTR_METRIC,
            "observed_at": alert.resolved_at,
            "value": round(minutes, 3),
        }
    ]
