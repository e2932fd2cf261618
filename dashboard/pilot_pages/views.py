"""The pilot list and the pilot page: they read across the apps (signals, attention, gate
reviews, alerts, the audit trail in words), so they live in the dashboard, the top layer.
Their URLs stay in the "portfolio" namespace (config/urls.py includes both).
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accounts import rules
from accounts.models import PilotRoleKind
from config.htmx import clean_url
from dashboard.pilot_pages.audit_trail import describe_events
from dashboard.pilot_pages.filters import PortfolioPilotFilter
from dashboard.pilot_pages.selectors import pilot_page_counts
from portfolio import selectors
from portfolio.workbooks.provides import prefetch_workbook_facts

PAGE_SIZE = 25


@login_required
def pilot_list(request):
    pilot_filter = PortfolioPilotFilter(
        request.GET, queryset=selectors.pilot_list(user=request.user), request=request
    )
    page = Paginator(pilot_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": pilot_filter,
        "page": page,
        "query": query.urlencode(),
        "business_units": selectors.business_units(user=request.user),
    }
    template = "portfolio/pilot_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))  # a full page or a fragment, same URL
    if request.htmx and not request.htmx.boosted:
        response["HX-Push-Url"] = clean_url(request)
    return response


@login_required
def pilot_detail(request, pk):
    # Workbook progress and the gate panel both read the workbooks' facts: once is enough.
    pilot = prefetch_workbook_facts(selectors.pilot_get(user=request.user, pk=pk))
    events = Paginator(selectors.pilot_audit_events(pilot=pilot), 20).get_page(
        request.GET.get("audit_page")
    )
    holders = {role.role: role.user for role in pilot.roles.all()}
    context = {
        "pilot": pilot,
        "roles": [(kind.label, holders.get(kind.value)) for kind in PilotRoleKind],
        "events": events,
        "trail": describe_events(events.object_list),
        "can_edit": rules.can_edit_pilot(request.user, pilot),
        "can_assign": rules.can_assign_roles(request.user, pilot),
        "counts": pilot_page_counts(pilot=pilot),
    }
    return render(request, "portfolio/pilot_detail.html", context)
