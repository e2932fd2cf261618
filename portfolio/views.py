from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import rules
from accounts.models import PilotRoleKind
from portfolio import selectors, services
from portfolio.forms import PilotForm, RoleAssignForm


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
