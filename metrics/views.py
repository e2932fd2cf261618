from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import get_text_list
from django.views.decorators.http import require_POST

from config.errors import Conflict
from config.redirects import safe_next
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


@login_required
@require_POST
def alerts_bulk(request):
    """One form for several alerts (checkboxes on the pilot's alert list): acknowledge or
    resolve the selected ones. The good part is applied; each alert left alone is named
    with the reason. Without JS: a redirect back with messages; with htmx: the section."""
    pilot = None
    if (request.POST.get("pilot") or "").isdigit():
        pilot = pilot_get(user=request.user, pk=int(request.POST["pilot"]))
    try:
        outcome = services.alerts_bulk_update(
            alert_ids=request.POST.getlist("alert"),
            action=request.POST.get("do", ""),
            by=request.user,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        return _bulk_done(request, pilot, error=" ".join(exc.messages), status=400)
    if outcome.denied and outcome.nothing_done:
        raise PermissionDenied("You may not manage these alerts.")
    done, problems = bulk_messages(outcome)
    if pilot is None and outcome.done:
        pilot = outcome.done[0].pilot
    status = 400 if outcome.nothing_done else 200
    return _bulk_done(request, pilot, success=done, error=problems, status=status)


def bulk_messages(outcome: services.BulkOutcome) -> tuple[str, str]:
    """("2 alerts acknowledged.", "Alert 7 is already resolved; alert 99 was not found.")"""
    count = len(outcome.done)
    verb = services.BULK_ACTIONS[outcome.action]
    done = f"{count} alert{'s' if count != 1 else ''} {verb}." if count else ""
    reasons = [f"alert {number} {reason}" for number, reason in outcome.skipped]
    problems = get_text_list(reasons, "and") if reasons else ""
    if problems:
        problems = problems[:1].upper() + problems[1:] + "."
        if not count:
            problems = "Nothing changed. " + problems
    return done, problems


def _bulk_done(request, pilot, *, success: str = "", error: str = "", status: int = 200):
    if request.htmx and pilot is not None:
        context = selectors.pilot_metrics_section(pilot, user=request.user)
        context.update(error=error, success=success)
        # htmx swaps only 2xx answers by default: the section carries the message instead.
        return render(request, "metrics/alerts.html", context)
    if success:
        messages.success(request, success)
    if error:
        messages.error(request, error)
    target = safe_next(request)
    if pilot is not None:
        target = reverse("portfolio:pilot_detail", args=[pilot.pk]) + "#alerts"
    if not target:
        return HttpResponse(error or success, status=status, content_type="text/plain")
    return redirect(target)
