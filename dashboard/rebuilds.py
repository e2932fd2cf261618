"""Asking for a rebuild of the portfolio aggregates, and the events that ask for one.

The apps below the dashboard do not import it: they send the signals of portfolio.events
(a pilot's grouping columns changed, the data the aggregates sum changed) and the receivers
here, connected in DashboardConfig.ready, turn them into rebuild requests.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from dashboard.aggregates import aggregates_rebuild, aggregates_state
from dashboard.models import PortfolioAggregateState
from dashboard.tasks import rebuild_aggregates

REQUEST_DELAY_SECONDS = 30


def aggregates_pilot_changed(*, confidentiality: bool) -> None:
    """A pilot's group columns changed (portfolio.services.pilot_update): rebuild now, and
    if its confidential flag changed, stop serving restricted readers from the groups
    until that rebuild has run."""
    now = timezone.now()
    if confidentiality:
        PortfolioAggregateState.objects.filter(key="portfolio").update(
            confidentiality_changed_at=now
        )
    PortfolioAggregateState.objects.filter(key="portfolio").update(rebuild_requested_at=now)
    transaction.on_commit(lambda: rebuild_aggregates.apply_async())


def aggregates_request_rebuild(*, now: datetime | None = None) -> bool:
    """Ask for a rebuild soon (ingest changed rollups, or a pilot moved). Only the first
    request since the last rebuild started queues a task; returns whether this one did."""
    now = now or timezone.now()
    claimed = PortfolioAggregateState.objects.filter(
        key="portfolio", rebuild_requested_at__isnull=True
    ).update(rebuild_requested_at=now)
    if claimed:
        # Robust: if the broker is down the request stays pending and the beat task's
        # rebuild (which clears it) runs instead; the caller's work is committed already.
        transaction.on_commit(
            lambda: rebuild_aggregates.apply_async(countdown=REQUEST_DELAY_SECONDS),
            robust=True,
        )
    return bool(claimed)


def on_pilot_grouping_changed(sender, *, confidentiality: bool, **kwargs) -> None:
    aggregates_pilot_changed(confidentiality=confidentiality)


def on_aggregates_stale(sender, *, immediate: bool = False, **kwargs) -> None:
    if not immediate:
        aggregates_request_rebuild()
    elif aggregates_state() is not None:  # else the dashboard reads the rollups themselves
        aggregates_rebuild()
