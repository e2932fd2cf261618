"""Workbook pages: one page per phase, htmx partial save and live validation, list rows,
the decision memo and evidence downloads. Every action also works as a plain form post."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import rules
from config.errors import Conflict
from config.pdf import pdf_response
from portfolio import selectors as pilot_selectors
from portfolio.workbooks import evidence, services
from portfolio.workbooks import memo as memo_export
from portfolio.workbooks.forms import EvidenceUploadField, row_form_class, workbook_form_class
from portfolio.workbooks.models import EvidenceFile
from portfolio.workbooks.provides import progress, workbook_facts
from portfolio.workbooks.selectors import (
    economic_case_of,
    economic_case_preview,
    list_rows,
    workbook_get,
)
from portfolio.workbooks.spec import ECONOMIC_FIELDS, SPECS, PhaseSpec
from portfolio.workbooks.tasklist import missing_items, task_list

TEMPLATE = "portfolio/workbooks/workbook.html"
# How the error summary names the file inputs outside the workbook form.
UPLOAD_LABELS = {"bias_review_evidence_upload": "Bias review file"}


def _spec_or_404(phase: str) -> PhaseSpec:
    spec = SPECS.get(phase)
    if spec is None:
        raise Http404("No such workbook.")
    return spec


def _list_or_404(request, pk: int, phase: str, list_name: str):
    """(workbook spec, pilot, list spec): 404 for an unknown workbook or list, or a pilot
    `request.user` may not see."""
    spec = _spec_or_404(phase)
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    try:
        return spec, pilot, spec.list_spec(list_name)
    except KeyError:
        raise Http404("No such list.") from None


def _workbook_url(pilot, phase: str) -> str:
    return reverse("portfolio:workbook", args=[pilot.pk, phase])


def _cells(row, list_spec, pilot) -> dict:
    cells = []
    for name in list_spec.fields:
        if name == "evidence_url":
            continue
        value = getattr(row, name)
        display = getattr(row, f"get_{name}_display", None)
        if display is not None:
            value = display()
        elif name == "metric":
            value = row.metric.name  # the catalog's label, never the key
        elif name in list_spec.people:
            value = str(value) if value is not None else ""  # the display name
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        cells.append("" if value is None else value)
    has = list_spec.has_evidence
    return {
        "row": row,
        "cells": cells,
        "link": row.evidence_url if has else "",
        "file": row.evidence_file if has else None,
    }


def _list_context(pilot, spec, rows_by_list, add_forms=None) -> list[dict]:
    sections = []
    for list_spec in spec.lists:
        form = (add_forms or {}).get(list_spec.name) or row_form_class(list_spec)(
            prefix=list_spec.name, instance=list_spec.model(pilot=pilot)
        )
        headers = [
            capfirst(str(list_spec.model._meta.get_field(n).verbose_name))
            for n in list_spec.fields
            if n != "evidence_url"
        ]
        sections.append(
            {
                "spec": list_spec,
                "headers": headers,
                "rows": [_cells(r, list_spec, pilot) for r in rows_by_list[list_spec.name]],
                "form": form,
                "upload": EvidenceUploadField() if list_spec.has_evidence else None,
            }
        )
    return sections


def _context(request, pilot, spec, *, form=None, add_forms=None) -> dict:
    workbook = workbook_get(pilot, spec.phase)
    can_edit = rules.can_edit_workbook(request.user, pilot, spec.phase)
    facts = workbook_facts(pilot)
    rows = list_rows(pilot, spec)
    context = {
        "pilot": pilot,
        "spec": spec,
        "phase": spec.phase,
        "workbook": workbook,
        "form": form or workbook_form_class(spec)(instance=workbook, pilot=pilot),
        "can_edit": can_edit,
        "facts": facts[spec.phase],
        "percent": progress(facts[spec.phase], spec.phase),
        "phases": task_list(pilot, facts),
        "lists": _list_context(pilot, spec, rows, add_forms),
        "bias_upload": EvidenceUploadField() if spec.phase == "data" else None,
        "economic_fields": ECONOMIC_FIELDS,
    }
    context["missing"] = missing_items(facts[spec.phase], spec.phase)
    if spec.phase == "strategy":
        context["case"] = economic_case_of(workbook)
    if spec.phase == "data":
        context["bias_file"] = workbook.bias_review_evidence_file
    return context


@login_required
@require_http_methods(["GET", "POST"])
def workbook(request, pk, phase):
    spec = _spec_or_404(phase)
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    if request.method == "GET":
        return render(request, TEMPLATE, _context(request, pilot, spec))
    uploads = {"bias_review_evidence_upload": request.FILES.get("bias_review_evidence_upload")}
    result = services.workbook_save(
        pilot=pilot, phase=phase, by=request.user, data=request.POST, uploads=uploads
    )
    upload_errors = [
        (f"id_{name}", f"{UPLOAD_LABELS[name]}: {error}")
        for name in uploads
        for error in result.errors.get(name, ())
    ]
    if request.htmx:
        context = _context(request, pilot, spec, form=result.form)
        context.update(
            result=result, oob=True, sent_file=any(uploads.values()), upload_errors=upload_errors
        )
        return render(request, f"{TEMPLATE}#save_response", context)
    if result.ok:
        messages.success(request, "Workbook saved.")
        return redirect(_workbook_url(pilot, phase))
    context = _context(request, pilot, spec, form=_redisplay(spec, result.workbook, request.POST))
    context.update(result=result, upload_errors=upload_errors)
    return render(request, TEMPLATE, context, status=400)


def _redisplay(spec: PhaseSpec, workbook, post):
    """The whole form after a failed plain post: what was typed, plus the stored values of
    fields that were not sent, with the errors of what was typed."""
    data = post.copy()
    for bound in workbook_form_class(spec)(instance=workbook):
        if bound.name not in data:
            value = bound.value()
            data[bound.name] = "" if value is None else value
    pilot = workbook.pilot
    form = workbook_form_class(spec)(data, instance=spec.model(pilot=pilot), pilot=pilot)
    form.is_valid()
    return form


@login_required
@require_POST
def workbook_validate(request, pk, phase):
    """Check the form as the owner types, and preview the economic case; saves nothing."""
    spec = _spec_or_404(phase)
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    submitted = tuple(name for name in spec.fields if name in request.POST)
    form = workbook_form_class(spec, submitted)(request.POST, instance=spec.model(pilot=pilot))
    form.is_valid()
    context = {"form": form, "spec": spec, "pilot": pilot, "phase": phase, "validating": True}
    if phase == "strategy":
        values = {name: form.cleaned_data.get(name) for name in submitted}
        economic_errors = set(form.errors) & set(ECONOMIC_FIELDS)
        context["case"] = None if economic_errors else economic_case_preview(values)
        context["case_pending"] = context["case"] is None
    return render(request, f"{TEMPLATE}#validate_response", context)


@login_required
@require_POST
def row_add(request, pk, phase, list_name):
    spec, pilot, list_spec = _list_or_404(request, pk, phase, list_name)
    data = {
        name: request.POST.get(f"{list_name}-{name}")
        for name in list_spec.fields
        if f"{list_name}-{name}" in request.POST
    }
    result = services.workbook_row_add(
        pilot=pilot,
        phase=phase,
        list_name=list_name,
        by=request.user,
        data=data,
        upload=request.FILES.get(f"{list_name}-evidence_upload"),
    )
    form = None if result.ok else _prefixed(result.form, list_spec, request.POST, pilot)
    if request.htmx:
        context = _context(request, pilot, spec, add_forms={list_name: form} if form else None)
        context["section"] = next(s for s in context["lists"] if s["spec"].name == list_name)
        return render(request, f"{TEMPLATE}#list_response", context)
    if result.ok:
        messages.success(request, f"Added to {list_spec.label}.")
        return redirect(_workbook_url(pilot, phase) + f"#list-{list_name}")
    context = _context(request, pilot, spec, add_forms={list_name: form})
    return render(request, TEMPLATE, context, status=400)


@login_required
@require_POST
def row_validate(request, pk, phase, list_name):
    """Check a new row as the owner leaves each field; saves nothing."""
    spec, pilot, list_spec = _list_or_404(request, pk, phase, list_name)
    model = list_spec.model(pilot=pilot)
    form = row_form_class(list_spec)(request.POST, prefix=list_name, instance=model)
    form.is_valid()
    # Only judge what has been typed so far: an empty field is not yet an error.
    for name in list(form.errors):
        if name in form.fields and not request.POST.get(form.add_prefix(name)):
            del form.errors[name]
    return render(request, f"{TEMPLATE}#row_validate_response", {"form": form})


def _prefixed(form, list_spec, post, pilot):
    """Re-bind a failed row form under its list's prefix so the page shows what was typed."""
    bound = row_form_class(list_spec)(
        post, prefix=list_spec.name, instance=list_spec.model(pilot=pilot)
    )
    bound.is_valid()
    for name, errors in form.errors.items():
        if name not in bound.errors or name == "__all__":
            for error in errors:
                bound.add_error(None if name == "__all__" else name, error)
    return bound


@login_required
@require_POST
def row_remove(request, pk, phase, list_name, row_id):
    spec, pilot, list_spec = _list_or_404(request, pk, phase, list_name)
    services.workbook_row_remove(
        pilot=pilot, phase=phase, list_name=list_name, row_id=row_id, by=request.user
    )
    if request.htmx:
        context = _context(request, pilot, spec)
        context["section"] = next(s for s in context["lists"] if s["spec"].name == list_name)
        return render(request, f"{TEMPLATE}#list_response", context)
    messages.success(request, f"Removed from {list_spec.label}.")
    return redirect(_workbook_url(pilot, phase) + f"#list-{list_name}")


@login_required
@require_GET
def memo(request, pk, fmt="html"):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    data = memo_export.memo_data(pilot)
    if fmt == "md":
        response = HttpResponse(
            memo_export.to_markdown(data), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{data.filename}.md"'
        return response
    context = {"pilot": pilot, "memo": data}
    if fmt == "pdf":
        return pdf_response(
            request, "portfolio/workbooks/memo.html", context, filename=f"{data.filename}.pdf"
        )
    return render(request, "portfolio/workbooks/memo.html", context)


@login_required
@require_GET
def evidence_download(request, pk, file_id):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    stored = get_object_or_404(EvidenceFile, pk=file_id, pilot=pilot)
    rules.ensure(
        rules.can_read_evidence(request.user, stored, pilot),
        request.user,
        "read_evidence",
        f"evidence:{file_id}",
    )
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )
    # Even a file that slipped past the type check can never run as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def evidence_remove(request, pk, file_id):
    pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
    try:
        stored = evidence.evidence_remove(pilot=pilot, file_id=file_id, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(pilot)
    messages.success(request, f"Removed the file “{stored.name}”.")
    phase = request.POST.get("phase", "")  # the workbook page the button was on
    return redirect(_workbook_url(pilot, phase) if phase in SPECS else pilot.get_absolute_url())
