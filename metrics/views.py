from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import Conflict
from metrics import selectors, services
from metrics.models import Alert
from portfolio.selectors import pilot_get


def _alert_for(request, pk: int) -> Alert:
    alert = get_object_or_404(Alert.objects.only("id", "pilot_id"), pk=pk)
    # pilot_get answers 404 for a pilot the user may not see, so the alert does not exist.
    alert.pilot = pilot_get(user=request.user, pk=alert.pilot_id)
    return alert


def _done(request, alert: Alert, error: str = ""):
    if request.htmx:
        context = selectors.pilot_metrics_section(alert.pilot, user=request.user)
        context["error"] = error
        return render(request, "metrics/alerts.html", context)
    if error:
        messages.error(request, error)
    return redirect(reverse("portfolio:pilot_detail", args=[alert.pilot_id]) + "#alerts")


@login_required
@require_POST
def alert_acknowledge(request, pk: int):
    alert = _alert_for(request, pk)
    try:
        services.alert_acknowledge(alert=alert, by=request.user)
    except Conflict as exc:
        return _done(request, alert, exc.message)
    if not request.htmx:
        messages.success(request, "Alert acknowledged.")
    return _done(request, alert)


@login_required
@require_POST
def alert_resolve(request, pk: int):
    alert = _alert_for(request, pk)
    try:
        services.alert_resolve(alert=alert, by=request.user, note=request.POST.get("note", ""))
    except Conflict as exc:
        return _done(request, alert, exc.message)
    except ValidationError as exc:
        return _done(request, alert, " ".join(exc.messages))
    if not request.htmx:
        messages.success(request, "Alert resolved.")
    return _done(request, alert)
