from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from accounts import rules
from accounts.models import PilotRoleKind
from config.htmx import clean_url
from portfolio import selectors, services
from portfolio.audit_trail import describe_events
from portfolio.filters import PilotFilter
from portfolio.forms import PilotForm, RoleAssignForm
from portfolio.workbooks.provides import prefetch_workbook_facts

PAGE_SIZE = 25


@login_required
def pilot_list(request):
    pilot_filter = PilotFilter(
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
@require_http_methods(["GET", "POST"])
def pilot_create(request):
    rules.ensure(rules.can_create_pilot(request.user), request.user, "create_pilot", "pilot:new")
    form = PilotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pilot = services.pilot_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Pilot “{pilot.name}” registered. You are its business owner."
            )
            return redirect(pilot)
    return render(request, "portfolio/pilot_form.html", {"form": form, "creating": True})


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
        "counts": selectors.pilot_page_counts(pilot=pilot),
    }
    return render(request, "portfolio/pilot_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pilot_edit(request, pk):
    pilot = selectors.pilot_get(user=request.user, pk=pk)
    rules.ensure(
        rules.can_edit_pilot(request.user, pilot), request.user, "edit_pilot", f"pilot:{pk}"
    )
    form = PilotForm(request.POST or None, instance=pilot)
    if request.method == "POST" and form.is_valid():
        try:
            services.pilot_update(pilot=pilot, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Pilot saved.")
            return redirect("portfolio:pilot_detail", pk=pk)
    return render(request, "portfolio/pilot_form.html", {"form": form, "pilot": pilot})


@login_required
@require_http_methods(["GET", "POST"])
def pilot_roles(request, pk):
    pilot = selectors.pilot_get(user=request.user, pk=pk)
    rules.ensure(
        rules.can_assign_roles(request.user, pilot), request.user, "assign_roles", f"pilot:{pk}"
    )
    form = RoleAssignForm(request.POST or None, pilot=pilot)
    if request.method == "POST" and form.is_valid():
        try:
            services.pilot_role_assign(
                pilot=pilot,
                role=form.cleaned_data["role"],
                user=form.cleaned_data["user"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Role updated.")
            return redirect("portfolio:pilot_detail", pk=pk)
    holders = {role.role: role.user for role in pilot.roles.all()}
    context = {
        "pilot": pilot,
        "form": form,
        "roles": [(kind.label, holders.get(kind.value)) for kind in PilotRoleKind],
    }
    return render(request, "portfolio/pilot_roles.html", context)
