"""Pages for a pilot's metric sources and CSV uploads. Thin: load, check, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rules
from metrics import pulls
from metrics.catalog import metric_names
from metrics.models import CsvImport, MetricSource
from metrics.sources import selectors as source_selectors
from metrics.sources.forms import CsvUploadForm, SourceForm
from portfolio.selectors import pilot_get

REPORT_PAGE_SIZE = 200


def _source_for(request, pk: int) -> MetricSource:
    try:
        source = source_selectors.source_get(pk=pk)
    except MetricSource.DoesNotExist:
        raise Http404("No such source.") from None
    # 404 when the pilot is hidden from this user: its sources do not exist for them.
    source.pilot = pilot_get(user=request.user, pk=source.pilot_id)
    return source


def _list_url(pilot_id: int) -> str:
    return reverse("metrics:source_list", args=[pilot_id])


def _pilot_allowed(request, pilot_pk: int, rule, action: str):
    """The pilot, if `request.user` may see it (else 404) and `rule` allows them (else 403)."""
    pilot = pilot_get(user=request.user, pk=pilot_pk)
    rules.ensure(rule(request.user, pilot), request.user, action, f"pilot:{pilot.pk}")
    return pilot


@login_required
def source_list(request, pilot_pk: int):
    pilot = pilot_get(user=request.user, pk=pilot_pk)
    context = {
        "pilot": pilot,
        "sources": list(source_selectors.pilot_sources(pilot=pilot)),
        "imports": source_selectors.pilot_csv_imports(pilot=pilot),
        "can_manage": rules.can_manage_sources(request.user, pilot),
        "can_upload": rules.can_write_metrics(request.user, pilot),
    }
    return render(request, "metrics/sources/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def source_create(request, pilot_pk: int):
    pilot = _pilot_allowed(request, pilot_pk, rules.can_manage_sources, "manage_sources")
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = pulls.source_create(pilot=pilot, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Source “{source.name}” added; its first pull is queued.")
            return redirect(_list_url(pilot.pk))
    return render(request, "metrics/sources/form.html", {"pilot": pilot, "form": form})


@login_required
def source_detail(request, pk: int):
    source = _source_for(request, pk)
    context = {
        "pilot": source.pilot,
        "source": source,
        "runs": source_selectors.source_runs(source=source),
        "can_manage": rules.can_manage_sources(request.user, source.pilot),
        "metric_names": metric_names(),
    }
    return render(request, "metrics/sources/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request, pk: int):
    source = _source_for(request, pk)
    rules.ensure(
        rules.can_manage_sources(request.user, source.pilot),
        request.user,
        "manage_sources",
        f"source:{source.pk}",
    )
    form = SourceForm(request.POST or None, source=source)
    if request.method == "POST" and form.is_valid():
        try:
            pulls.source_update(source=source, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Source saved.")
            return redirect("metrics:source_detail", pk=source.pk)
    context = {"pilot": source.pilot, "source": source, "form": form}
    return render(request, "metrics/sources/form.html", context)


@login_required
@require_POST
def source_delete(request, pk: int):
    source = _source_for(request, pk)
    pulls.source_delete(source=source, by=request.user)
    messages.success(request, f"Source “{source.name}” removed. Its stored values stay.")
    return redirect(_list_url(source.pilot_id))


@login_required
@require_POST
def source_pull(request, pk: int):
    """ "Pull now": queue a pull. htmx swaps the source's row; without JS, redirect back."""
    source = _source_for(request, pk)
    error = ""
    try:
        pulls.source_pull_request(source=source, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        context = {
            "pilot": source.pilot,
            "source": source,
            "can_manage": True,
            "notice": error or "Pull queued; refresh in a moment to see the result.",
        }
        return render(request, "metrics/sources/list.html#source-row", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Pull of “{source.name}” queued.")
    if request.POST.get("next") == "detail":
        return redirect("metrics:source_detail", pk=source.pk)
    return redirect(_list_url(source.pilot_id))


@login_required
@require_http_methods(["GET", "POST"])
def csv_upload(request, pilot_pk: int):
    pilot = _pilot_allowed(request, pilot_pk, rules.can_write_metrics, "upload_metrics")
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        record = pulls.csv_import(pilot=pilot, by=request.user, file=upload, file_name=upload.name)
        return redirect("metrics:csv_report", pk=record.pk)
    return render(request, "metrics/sources/csv_upload.html", {"pilot": pilot, "form": form})


@login_required
def csv_report(request, pk: int):
    record = get_object_or_404(CsvImport.objects.select_related("uploaded_by"), pk=pk)
    pilot = pilot_get(user=request.user, pk=record.pilot_id)
    status = request.GET.get("status", "")
    rows = [r for r in record.row_report if not status or r["status"] == status]
    page = Paginator(rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"pilot": pilot, "record": record, "page": page, "status": status}
    return render(request, "metrics/sources/csv_report.html", context)
