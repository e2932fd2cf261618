"""Which portfolio aggregates a view may read, and how to read them without a leak.

A dashboard view is served from the aggregates (portfolio.dashboard.models) when every
filter in use is a column they are grouped by; otherwise (owner, signal, days in stage,
risk flag) its numbers come from the pilot-level rollups of the pilots in view.

Confidential pilots are a group column of their own. Someone who sees every pilot reads
every group. Anyone else (accounts.rules.sees_whole_aggregates) reads only the groups
without confidential pilots and adds the confidential pilots they may see from those
pilots' own rollups, so an aggregate never counts a pilot its reader may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Model, QuerySet

from accounts import rules
from portfolio.dashboard.aggregates import aggregates_state
from portfolio.dashboard.filters import DashboardFilters
from portfolio.dashboard.models import PortfolioAggregateState

GROUP_FILTERS = ("business_unit", "stage", "status", "risk_tier")
PILOT_LEVEL_FILTERS = ("owner", "signal", "age", "flag")


@dataclass(frozen=True)
class Scope:
    """The pilots in view and how their aggregates are read."""

    pilots: QuerySet
    filters: DashboardFilters
    whole: bool  # may read groups holding confidential pilots
    state: PortfolioAggregateState | None  # None: aggregates never built

    @property
    def served(self) -> bool:
        """The aggregates answer this view: built, no pilot-level filter in use, and for a
        restricted reader, no confidential flag changed since the last rebuild began."""
        if self.state is None or any(getattr(self.filters, f) for f in PILOT_LEVEL_FILTERS):
            return False
        changed = self.state.confidentiality_changed_at
        return self.whole or changed is None or changed < self.state.built_at

    @property
    def as_of(self) -> datetime | None:
        return self.state.built_at if self.served else None

    def groups(self, model: type[Model]) -> QuerySet:
        """Aggregate rows of `model` for the groups in view."""
        rows = model.objects.all()
        for name in GROUP_FILTERS:
            value = getattr(self.filters, name)
            if value:
                rows = rows.filter(**{name: value})
        if not self.whole:
            rows = rows.filter(confidential=False)
        return rows.order_by()

    def pilots_outside_groups(self) -> QuerySet | None:
        """Pilots in view whose numbers the groups read by `groups()` leave out (the
        confidential pilots a restricted reader may see); None when there are none."""
        return None if self.whole else self.pilots.filter(confidential=True)


def scope_for(*, user, pilots: QuerySet, filters: DashboardFilters) -> Scope:
    return Scope(
        pilots=pilots,
        filters=filters,
        whole=rules.sees_whole_aggregates(user),
        state=aggregates_state(),
    )
