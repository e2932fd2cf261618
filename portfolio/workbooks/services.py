"""Every write to workbooks: fields, list rows and evidence files.

A save keeps what is valid: when one field is bad, the others of the same save are stored
and the bad one comes back with a message naming it. Each save that changes something
writes one audit event with the changed fields before and after.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.forms import BaseForm

from accounts import rules
from accounts.audit import audit_record, changes
from portfolio import events
from portfolio.models import Pilot
from portfolio.workbooks import evidence
from portfolio.workbooks.forms import row_form_class, unique_fields, workbook_form_class
from portfolio.workbooks.models import EvidenceFile, TestResult
from portfolio.workbooks.spec import CASE_FIELDS, SPECS, ListSpec, PhaseSpec


@dataclass
class SaveResult:
    workbook: Any
    form: BaseForm | None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RowResult:
    row: Any | None
    form: BaseForm

    @property
    def ok(self) -> bool:
        return self.row is not None


def plain(value: Any) -> Any:
    """A field value as JSON-friendly data: people as usernames, metrics as keys."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, get_user_model()):
        return value.get_username()
    if isinstance(value, EvidenceFile):
        return value.name
    if hasattr(value, "key"):
        return value.key
    return str(value)


def workbook_values(workbook, names) -> dict[str, Any]:
    return {name: plain(getattr(workbook, name)) for name in names}


def row_values(row, list_spec: ListSpec) -> dict[str, Any]:
    data = {name: plain(getattr(row, name)) for name in list_spec.fields}
    if list_spec.has_evidence:
        data["evidence_file"] = plain(row.evidence_file)
    return data


def _spec(phase: str) -> PhaseSpec:
    try:
        return SPECS[phase]
    except KeyError:
        raise ValidationError({"phase": f"Unknown workbook {phase!r}."}) from None


def _lock(pilot: Pilot, by, phase: str) -> Pilot:
    """Lock the pilot row so saves of one pilot queue up; check permission on fresh state."""
    rules.ensure_visible(by, pilot)
    fresh = Pilot.objects.select_for_update().get(pk=pilot.pk)
    # Reuse the roles cache of the caller's object: same request, same person.
    fresh.__dict__["_roles_by_user"] = pilot.__dict__.get("_roles_by_user", {})
    rules.ensure(
        rules.can_edit_workbook(by, fresh, phase),
        by,
        "edit_workbook",
        f"pilot:{pilot.pk}:{phase}",
        "You may not edit this workbook."
        if not fresh.is_stopped
        else "This pilot is stopped; its workbooks are read-only.",
    )
    return fresh


def _workbook_for_update(spec: PhaseSpec, pilot: Pilot):
    workbook = spec.model.objects.filter(pilot_id=pilot.pk).first()
    return workbook or spec.model(pilot=pilot)


def evidence_store(*, pilot: Pilot, upload: UploadedFile, by, field: str) -> EvidenceFile:
    """Store an uploaded evidence file (size limit and type allow-list checked)."""
    name, content_type = evidence.check_upload(upload, field)
    stored = EvidenceFile(
        pilot=pilot, name=name, content_type=content_type, size=upload.size, uploaded_by=by
    )
    stored.file.save(name, upload, save=False)
    stored.save()
    return stored


def _errors(form: BaseForm) -> dict[str, list[str]]:
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def _record_update(workbook, *, pilot: Pilot, phase: str, by, old: dict, new: dict) -> None:
    """Save a changed workbook with its audit event; a strategy change to a field that
    decides the economic case asks for an aggregates rebuild once committed (the
    realized-economics aggregates count pilots with and without a case apart)."""
    workbook.updated_by = by
    workbook.save()
    audit_record(
        actor=by,
        action="workbook.update",
        obj=workbook,
        pilot_id=pilot.pk,
        before={"phase": phase, **old},
        after={"phase": phase, **new},
    )
    if phase == "strategy" and new.keys() & set(CASE_FIELDS):
        transaction.on_commit(lambda: events.aggregates_stale.send(sender=Pilot), robust=True)


@transaction.atomic
def workbook_save(
    *,
    pilot: Pilot,
    phase: str,
    by,
    data: Mapping[str, Any],
    uploads: Mapping[str, UploadedFile] | None = None,
) -> SaveResult:
    """Save the submitted fields of one workbook; keep the valid ones, report the others.

    Only keys of `data` that are fields of the workbook are read, so a partial save
    (one field, or a form of several) leaves every other field as it was.
    """
    spec = _spec(phase)
    pilot = _lock(pilot, by, phase)
    submitted = tuple(name for name in spec.fields if name in data)
    workbook = _workbook_for_update(spec, pilot)
    form = workbook_form_class(spec, submitted)(data, instance=workbook)
    before = workbook_values(workbook, submitted)
    originals = {
        name: getattr(workbook, spec.model._meta.get_field(name).attname) for name in submitted
    }
    form.is_valid()
    errors = _errors(form)
    # The form may have put a value that failed model validation on the instance: undo it.
    for name in errors:
        if name in originals:
            setattr(workbook, spec.model._meta.get_field(name).attname, originals[name])
    extra_before, extra_after = {}, {}
    for upload_field, upload in (uploads or {}).items():
        target = upload_field.removesuffix("_upload") + "_file"
        if upload is None or target not in {f.name for f in spec.model._meta.fields}:
            continue
        try:
            stored = evidence_store(pilot=pilot, upload=upload, by=by, field=upload_field)
        except ValidationError as exc:
            errors.update({k: list(v) for k, v in exc.message_dict.items()})
            continue
        extra_before[target] = plain(getattr(workbook, target))
        setattr(workbook, target, stored)
        extra_after[target] = stored.name
    old, new = changes(before, workbook_values(workbook, submitted))
    old.update(extra_before)
    new.update(extra_after)
    if new:
        _record_update(workbook, pilot=pilot, phase=phase, by=by, old=old, new=new)
    return SaveResult(workbook=workbook, form=form, before=old, after=new, errors=errors)


def _list_spec(spec: PhaseSpec, list_name: str) -> ListSpec:
    try:
        return spec.list_spec(list_name)
    except KeyError:
        raise ValidationError(
            {"list": f"The {spec.phase} workbook has no list {list_name!r}."}
        ) from None


@transaction.atomic
def workbook_row_add(
    *,
    pilot: Pilot,
    phase: str,
    list_name: str,
    by,
    data: Mapping[str, Any],
    upload: UploadedFile | None = None,
) -> RowResult:
    """Add a row to a workbook list. A test result for a category already recorded
    replaces that category's result (one result per category)."""
    spec = _spec(phase)
    list_spec = _list_spec(spec, list_name)
    pilot = _lock(pilot, by, phase)
    instance = list_spec.model(pilot=pilot)
    before: dict[str, Any] = {}
    if list_spec.model is TestResult and data.get("category"):
        existing = TestResult.objects.filter(pilot=pilot, category=data.get("category")).first()
        if existing is not None:
            instance, before = existing, row_values(existing, list_spec)
    form = row_form_class(list_spec)(data, instance=instance)
    if not form.is_valid():
        return RowResult(row=None, form=form)
    row = form.save(commit=False)
    if upload is not None:
        try:
            row.evidence_file = evidence_store(
                pilot=pilot, upload=upload, by=by, field="evidence_upload"
            )
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                form.add_error(None, f"Evidence file: {' '.join(messages)}")
            return RowResult(row=None, form=form)
    row.pilot = pilot
    row.save()
    audit_record(
        actor=by,
        action="workbook.row_update" if before else "workbook.row_add",
        obj=row,
        pilot_id=pilot.pk,
        before={"phase": phase, "list": list_name, **before} if before else {},
        after={"phase": phase, "list": list_name, **row_values(row, list_spec)},
    )
    return RowResult(row=row, form=form)


@transaction.atomic
def workbook_row_remove(*, pilot: Pilot, phase: str, list_name: str, row_id: int, by) -> None:
    spec = _spec(phase)
    list_spec = _list_spec(spec, list_name)
    pilot = _lock(pilot, by, phase)
    row = list_spec.model.objects.filter(pilot=pilot, pk=row_id).first()
    if row is None:
        from django.http import Http404

        raise Http404("No such row.")
    before = row_values(row, list_spec)
    audit_record(
        actor=by,
        action="workbook.row_remove",
        obj=row,
        pilot_id=pilot.pk,
        before={"phase": phase, "list": list_name, **before},
        after={},
    )
    row.delete()


@transaction.atomic
def workbook_replace(
    *,
    pilot: Pilot,
    phase: str,
    by,
    data: Mapping[str, Any],
    partial: bool,
    json_body: bool = True,
) -> SaveResult:
    """The API's PUT (partial=False) and PATCH (partial=True) of a workbook with its lists.

    Fields: PUT clears fields it does not send; PATCH leaves them. Lists: a list sent is
    replaced by the rows sent; PUT treats a list not sent as empty. A bad field keeps its
    old value; a list with any bad row keeps its old rows, so nothing typed is half-applied.
    A JSON body (`json_body`) must give yes/no fields as JSON booleans; a form-encoded one
    sends the page's own values ("true", "false").
    """
    spec = _spec(phase)
    list_names = {ls.name for ls in spec.lists}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(spec.fields) - list_names - {"phase", "pilot"})
    for name in unknown:
        errors[name] = [f"The {phase} workbook has no field or list {name!r}."]
    pilot = _lock(pilot, by, phase)
    workbook = _workbook_for_update(spec, pilot)
    if partial:
        submitted = tuple(name for name in spec.fields if name in data)
        values = {name: _form_value(data[name]) for name in submitted}
    else:
        submitted = spec.fields
        values = {name: _form_value(data.get(name)) for name in submitted}
    for name, value in list(values.items()):
        if isinstance(value, dict | list):
            errors[name] = ["Send a single value, not a list or object."]
            del values[name]
        elif name in data and (
            problem := _boolean_problem(spec.model, name, data[name], json_body)
        ):
            errors[name] = [problem]
            del values[name]
    submitted = tuple(name for name in submitted if name in values)
    before = workbook_values(workbook, submitted)
    originals = {n: getattr(workbook, spec.model._meta.get_field(n).attname) for n in submitted}
    form = workbook_form_class(spec, submitted)(values, instance=workbook)
    form.is_valid()
    field_errors = _errors(form)
    for name in field_errors:
        setattr(workbook, spec.model._meta.get_field(name).attname, originals[name])
    errors.update(field_errors)
    old, new = changes(before, workbook_values(workbook, submitted))

    list_ops = []
    for list_spec in spec.lists:
        if list_spec.name not in data and partial:
            continue
        rows = data.get(list_spec.name) or []
        if not isinstance(rows, list):
            errors[list_spec.name] = ["Send a list of rows."]
            continue
        forms, bad = [], False
        seen_keys: set[tuple] = set()
        current_rows = (
            [
                {k: ("" if v is None else v) for k, v in row_values(r, list_spec).items()}
                for r in list_spec.model.objects.filter(pilot=pilot).select_related("metric")
            ]
            if "by_date" in list_spec.fields
            else []
        )
        for index, raw in enumerate(rows):
            if not isinstance(raw, Mapping):
                errors[f"{list_spec.name}[{index}]"] = ["Each row must be an object."]
                bad = True
                continue
            row_data = {k: _form_value(raw.get(k)) for k in list_spec.fields}
            nested = [k for k, v in row_data.items() if isinstance(v, dict | list)]
            for name in nested:
                errors[f"{list_spec.name}[{index}].{name}"] = ["Send a single value."]
                bad = True
            not_boolean = {
                name: problem
                for name in list_spec.fields
                if name in raw
                and (problem := _boolean_problem(list_spec.model, name, raw[name], json_body))
            }
            for name, problem in not_boolean.items():
                errors[f"{list_spec.name}[{index}].{name}"] = [problem]
                bad = True
            if nested or not_boolean:
                continue
            row_form = row_form_class(list_spec)(row_data, instance=list_spec.model(pilot=pilot))
            row_form.unchanged_rows = current_rows
            row_form.check_existing = False
            if not row_form.is_valid():
                bad = True
                for name, messages in _errors(row_form).items():
                    errors[f"{list_spec.name}[{index}].{name}"] = messages
            key = tuple(str(raw.get(n)) for n in unique_fields(list_spec.model))
            if key and key in seen_keys:
                bad = True
                name = unique_fields(list_spec.model)[0]
                errors[f"{list_spec.name}[{index}].{name}"] = [
                    f"{raw.get(name)} appears twice; send one row for it."
                ]
            seen_keys.add(key)
            forms.append(row_form)
        if not bad:
            list_ops.append((list_spec, forms))

    for list_spec, forms in list_ops:
        existing = list(list_spec.model.objects.filter(pilot=pilot).order_by("id"))
        old_rows = [row_values(r, list_spec) for r in existing]
        new_rows_unsaved = [row_values(f.instance, list_spec) for f in forms]
        if old_rows == new_rows_unsaved:
            continue
        list_spec.model.objects.filter(pilot=pilot).delete()
        for row_form in forms:
            row_form.instance.pilot = pilot
            row_form.save()
        old[list_spec.name] = old_rows
        new[list_spec.name] = [row_values(f.instance, list_spec) for f in forms]

    if new:
        _record_update(workbook, pilot=pilot, phase=phase, by=by, old=old, new=new)
    return SaveResult(workbook=workbook, form=form, before=old, after=new, errors=errors)


def _boolean_problem(model, name: str, value: Any, json_body: bool) -> str | None:
    """Why `value` cannot be the yes/no field `name` (None when it can, or is no boolean).

    The form fields refuse text they do not know; this refuses what a JSON client could
    send that a form would take: the text "true", the numbers 0 and 1, null for a field
    that has no "unknown"."""
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, models.BooleanField) or isinstance(value, bool):
        return None
    if value is None:
        return None if model_field.null else "Give true or false; this field has no unknown."
    if not json_body:
        return None  # a form-encoded body: the form field judges the page's own values
    shown = json.dumps(value)[:40] if isinstance(value, int | float | str) else type(value).__name__
    allowed = "true, false or null" if model_field.null else "true or false"
    return f"Give {allowed} (a JSON boolean), not {shown}."


def _form_value(value: Any) -> Any:
    """JSON -> what a Django form field expects (None means empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return repr(value) if isinstance(value, float) else str(value)
    return value
