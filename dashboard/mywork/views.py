"""My work (the home page of owners and governance leads) and where `/` sends each role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts import rules
from dashboard.mywork import selectors
from dashboard.selectors.attention import reminder_days

PILOTS_PER_PAGE = 5
ROWS_PER_PAGE = 10


@login_required
def home(request):
    """Executives keep the portfolio dashboard; owners and leads start on My work."""
    user = request.user
    if not rules.is_executive(user) and (
        rules.is_governance_lead(user) or selectors.holds_pilot_roles(user)
    ):
        return redirect("mywork:home")
    return redirect("dashboard:home")


def _page(request, rows, name: str, size: int):
    page = Paginator(rows, size).get_page(request.GET.get(name))
    page.object_list = list(page.object_list)  # read once, however often the page looks
    query = request.GET.copy()
    query.pop(name, None)
    return {"page": page, "param": name, "query": query.urlencode()}


@login_required
def my_work(request):
    user, now = request.user, timezone.now()
    is_lead = rules.is_governance_lead(user)
    pilots = _page(request, selectors.owned_pilots(user=user), "pilots", PILOTS_PER_PAGE)
    pilots["steps"] = selectors.next_steps(list(pilots["page"]), now=now)
    context = {"pilots": pilots, "is_lead": is_lead, "now": now}
    if is_lead:
        context.update(
            reviews=_page(
                request, selectors.decidable_reviews(user=user, now=now), "reviews", ROWS_PER_PAGE
            ),
            reminder_days=reminder_days(),
            conditions=_page(
                request, selectors.conditions_to_verify(user=user), "conditions", ROWS_PER_PAGE
            ),
            waivers=_page(
                request, selectors.expiring_waivers(user=user, now=now), "waivers", ROWS_PER_PAGE
            ),
            stale=_page(
                request, selectors.stale_pilots(user=user, now=now), "stale", ROWS_PER_PAGE
            ),
            recertifications=_page(
                request,
                selectors.recertifications_due(user=user, now=now),
                "recertifications",
                ROWS_PER_PAGE,
            ),
        )
        selectors.label_waivers(context["waivers"]["page"].object_list)
        expected = settings.PILOTGATE_EXPECTED_STAGE_DAYS
        for pilot in context["stale"]["page"].object_list:
            pilot.expected_days = expected.get(pilot.stage)
    context["waiver_soon_days"] = selectors.WAIVER_SOON_DAYS
    return render(request, "portfolio/mywork/my_work.html", context)
