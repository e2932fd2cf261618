"""Everything the dashboard shows at once (the page and the summary API), and the choices
of its filter form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts import rules
from accounts.models import PilotRole, PilotRoleKind
from portfolio.dashboard.filters import DashboardFilters
from portfolio.dashboard.selectors.economics import economics, planner
from portfolio.dashboard.selectors.facts import owner_label
from portfolio.dashboard.selectors.pilots import dashboard_pilots
from portfolio.dashboard.selectors.scope import scope_for
from portfolio.dashboard.selectors.sections import (
    funnel_and_age,
    pilot_counts,
    pilots_at_risk,
    review_cycle_times,
    signal_matrix,
)
from portfolio.dashboard.selectors.trends import reliability_trends
from portfolio.models import Pilot


def portfolio_summary(
    *,
    user,
    filters: DashboardFilters,
    now: datetime | None = None,
    page: Callable[[QuerySet, int], Sequence[int]] | None = None,
) -> dict:
    """What the dashboard shows.

    `page(pilots, total)`, if given, returns the ids of the pilots on the page of the
    pilot list (it is given the pilots in view and how many there are, for pagination);
    their facts come back as "page_rows", fetched with the at-risk pilots' in one query.
    """
    now = now or timezone.now()
    pilots = dashboard_pilots(user=user, filters=filters, now=now)
    scope = scope_for(user=user, pilots=pilots, filters=filters)
    counted = pilot_counts(pilots, now=now)
    page_ids = page(pilots, sum(row["n"] for row in counted)) if page else ()
    at_risk, page_rows = pilots_at_risk(pilots, counted, now=now, also=page_ids)
    summary = funnel_and_age(counted, now=now)
    summary.update(
        generated_at=now,
        aggregates_as_of=scope.as_of,
        filters=filters.active,
        signals=signal_matrix(pilots, counted),
        at_risk=at_risk,
        economics=economics(scope, counted, now=now),
        reliability=reliability_trends(scope, now=now),
        reviews=review_cycle_times(pilots, now=now),
        planner=planner(pilots, budget=filters.budget),
    )
    if page:
        summary["page_rows"] = page_rows
    return summary


def filter_choices(*, user) -> dict:
    visible = rules.visible_pilots(user, Pilot.objects.all())
    units = list(
        visible.order_by("business_unit").values_list("business_unit", flat=True).distinct()
    )
    owners = (
        PilotRole.objects.filter(role=PilotRoleKind.BUSINESS_OWNER, pilot__in=visible.values("pk"))
        .values(
            "user_id", "user__username", "user__display_name", "user__first_name", "user__last_name"
        )
        .distinct()
        .order_by("user__username")
    )
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
