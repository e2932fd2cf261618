"""Everything the dashboard shows at once (the page and the summary API), and the choices
of its filter form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import PilotRole, PilotRoleKind
from dashboard.compiled import CompiledQuery
from dashboard.filters import DashboardFilters
from dashboard.selectors.columns import owner_label
from dashboard.selectors.economics import economics, planner
from dashboard.selectors.pilots import InView, in_view, pilots_in
from dashboard.selectors.scope import scope_for
from dashboard.selectors.sections import (
    funnel_and_age,
    pilot_counts,
    pilots_at_risk,
    review_cycle_times,
    signal_matrix,
)
from dashboard.selectors.trends import reliability_trends


def portfolio_summary(
    *,
    user,
    filters: DashboardFilters,
    now: datetime | None = None,
    page: Callable[[QuerySet, int], Sequence[int]] | None = None,
) -> dict:
    """What the dashboard shows.

    `page(ids, total)`, if given, returns the ids of the pilots on the page of the pilot
    list (it is given a PageOfIds to slice and how many pilots there are, for pagination);
    their facts come back as "page_rows", fetched with the at-risk pilots' in one query.
    """
    now = now or timezone.now()
    view = in_view(user=user, filters=filters, now=now)
    scope = scope_for(view=view)
    counted = pilot_counts(view)
    page_ids = page(PageOfIds(view), sum(row["n"] for row in counted)) if page else ()
    at_risk, page_rows = pilots_at_risk(view, counted, also=page_ids)
    summary = funnel_and_age(counted, now=now)
    summary.update(
        generated_at=now,
        aggregates_as_of=scope.as_of,
        filters=filters.active,
        signals=signal_matrix(view, counted),
        at_risk=at_risk,
        economics=economics(scope, counted, now=now),
        reliability=reliability_trends(scope, now=now),
        reviews=review_cycle_times(view),
        planner=planner(view, budget=filters.budget, measured_only=filters.measured_only),
    )
    if page:
        summary["page_rows"] = page_rows
    return summary


class PageOfIds:
    """The ids of the pilots in view by name, for a paginator: a slice runs one query for
    that page (its offset and size are part of the query's shape)."""

    def __init__(self, view: InView):
        self.view = view

    def __getitem__(self, part: slice) -> list[int]:
        start, stop = part.start or 0, part.stop
        shape = (self.view.shape, start, stop)
        return [row[0] for row in _PAGE.rows(shape, self.view.values)]


def _page_query(shape: tuple, values) -> QuerySet:
    view_shape, start, stop = shape
    ids = pilots_in(view_shape, values).order_by("name", "id").values_list("pk", flat=True)
    return ids[start:stop]


_PAGE = CompiledQuery(_page_query)


def _units_query(shape: tuple, values) -> QuerySet:
    return (
        pilots_in(shape, values)
        .order_by("business_unit")
        .values_list("business_unit", flat=True)
        .distinct()
    )


def _owners_query(shape: tuple, values) -> QuerySet:
    visible = pilots_in(shape, values)
    return (
        PilotRole.objects.filter(role=PilotRoleKind.BUSINESS_OWNER, pilot__in=visible.values("pk"))
        .values(
            "user_id", "user__username", "user__display_name", "user__first_name", "user__last_name"
        )
        .distinct()
        .order_by("user__username")
    )


_UNITS = CompiledQuery(_units_query)
_OWNERS = CompiledQuery(_owners_query)


def filter_choices(*, user) -> dict:
    """Business units and business owners of the pilots `user` may see (no filter)."""
    view = in_view(user=user, filters=DashboardFilters(), now=timezone.now())
    units = [row[0] for row in _UNITS.rows(view.shape, view.values)]
    owners = _OWNERS.dicts(view.shape, view.values)
    return {
        "business_units": units,
        "owners": [
            (
                o["user_id"],
                owner_label(
                    {
                        "owner_display": o["user__display_name"],
                        "owner_first": o["user__first_name"],
                        "owner_last": o["user__last_name"],
                        "owner_username": o["user__username"],
                    }
                ),
            )
            for o in owners
        ],
    }
