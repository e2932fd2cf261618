"""Which portfolio aggregates a view may read, and how to read them without a leak.

A dashboard view is served from the aggregates (dashboard.models) when every
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

from dashboard.compiled import CompiledQuery
from dashboard.filters import DashboardFilters
from dashboard.models import PortfolioAggregateState
from dashboard.selectors.pilots import InView, pilots_in

GROUP_FILTERS = ("business_unit", "stage", "status", "risk_tier")
PILOT_LEVEL_FILTERS = ("owner", "signal", "age", "flag")


@dataclass(frozen=True)
class Scope:
    """The pilots in view and how their aggregates are read."""

    view: InView
    state: PortfolioAggregateState | None  # None: aggregates never built

    @property
    def filters(self) -> DashboardFilters:
        return self.view.filters

    @property
    def whole(self) -> bool:
        """May read groups holding confidential pilots."""
        return self.view.whole

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

    @property
    def group_shape(self) -> tuple:
        """The shape of `groups()`: the group filters in use, and whether read whole."""
        used = tuple(name for name in GROUP_FILTERS if getattr(self.filters, name))
        return used, self.whole

    @property
    def outside_groups(self) -> bool:
        """Pilots in view are left out by the groups `groups()` reads (the confidential
        pilots a restricted reader may see), and are read from their own rows."""
        return not self.whole


def groups(model: type[Model], group_shape: tuple, values) -> QuerySet:
    """Aggregate rows of `model` for the groups in view (Scope.group_shape, InView.values)."""
    used, whole = group_shape
    rows = model.objects.filter(**{name: values[name] for name in used})
    if not whole:
        rows = rows.filter(confidential=False)
    return rows.order_by()


def pilots_outside_groups(shape: tuple, values) -> QuerySet:
    """Pilots in view whose numbers a restricted reader's groups leave out."""
    return pilots_in(shape, values).filter(confidential=True)


# aggregates_state() for every dashboard request, compiled once (dashboard.compiled).
_STATE = CompiledQuery(
    lambda shape, values: PortfolioAggregateState.objects.filter(key="portfolio").values(
        "built_at", "confidentiality_changed_at"
    )[:1]
)


def scope_for(*, view: InView) -> Scope:
    rows = _STATE.dicts("state", {})
    return Scope(view=view, state=PortfolioAggregateState(**rows[0]) if rows else None)
