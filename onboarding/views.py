"""Pages of the bulk import: upload, the dry-run preview, then import or discard."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rules
from config.errors import Conflict
from onboarding import services
from onboarding.forms import ImportUploadForm
from onboarding.models import BatchStatus, ImportBatch
from onboarding.pilots import PilotSheet

ROWS_PER_PAGE = 100
ACTION_ORDER = {"error": 0, "create": 1, "update": 2, "unchanged": 3}


def _ensure_importer(request) -> None:
    rules.ensure(
        rules.can_import_pilots(request.user), request.user, "import_pilots", "onboarding",
        "Only admins import pilots.",
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    _ensure_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                batch = services.import_preview(by=request.user, upload=form.cleaned_data["file"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return redirect("onboarding:preview", pk=batch.pk)
        status = 400
    recent = ImportBatch.objects.select_related("created_by").defer("content", "plan")[:10]
    context = {
        "form": form,
        "columns": PilotSheet.columns,
        "recent": recent,
        "max_mb": services.max_bytes() / 1_048_576,
        "max_rows": services.max_rows(),
    }
    return render(request, "onboarding/upload.html", context, status=status)


@login_required
def template_csv(request):
    """An empty pilots sheet with one example row, to fill in."""
    _ensure_importer(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in PilotSheet.columns])
    writer.writerow([c.example for c in PilotSheet.columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pilots-import.csv"'
    return response


def _preview_context(request, batch: ImportBatch) -> dict:
    plan = batch.plan or {}
    rows = sorted(
        plan.get("rows", []), key=lambda r: (ACTION_ORDER.get(r["action"], 9), r["number"])
    )
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    counts = plan.get("counts", {})
    return {
        "batch": batch,
        "page": page,
        "counts": counts,
        "ignored": plan.get("ignored_columns", []),
        "can_import": batch.status == BatchStatus.PREVIEWED
        and not counts.get("error")
        and (counts.get("create") or counts.get("update")),
    }


@login_required
def preview(request, pk):
    _ensure_importer(request)
    batch = get_object_or_404(ImportBatch.objects.defer("content"), pk=pk)
    return render(request, "onboarding/preview.html", _preview_context(request, batch))


@login_required
@require_POST
def confirm(request, pk):
    _ensure_importer(request)
    batch = get_object_or_404(ImportBatch.objects.defer("content"), pk=pk)
    try:
        done = services.import_confirm(by=request.user, batch=batch)
    except services.PlanChanged as exc:
        services.plan_replace(batch=batch, plan=exc.plan)
        batch.refresh_from_db()
        messages.error(request, exc.message)
        return render(
            request, "onboarding/preview.html", _preview_context(request, batch), status=409
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        return render(
            request, "onboarding/preview.html", _preview_context(request, batch), status=409
        )
    messages.success(
        request,
        f"Imported {batch.file_name}: {done['created']} pilot{'s' if done['created'] != 1 else ''}"
        f" created, {done['updated']} updated.",
    )
    return redirect("onboarding:preview", pk=batch.pk)


@login_required
@require_POST
def discard(request, pk):
    _ensure_importer(request)
    batch = get_object_or_404(ImportBatch.objects.defer("content"), pk=pk)
    try:
        services.import_discard(by=request.user, batch=batch)
    except Conflict as exc:
        messages.error(request, exc.message)
        return render(
            request, "onboarding/preview.html", _preview_context(request, batch), status=409
        )
    messages.success(request, f"Discarded {batch.file_name}; nothing was imported.")
    return redirect("onboarding:upload")
