"""Bulk import: a dry run that writes nothing to the portfolio, then an all-or-nothing import.

Why all-or-nothing: a portfolio brought in from a spreadsheet is reviewed as a whole; a
half-imported file leaves people guessing which rows made it and makes a corrected second
upload create duplicates. So the preview lists every row's problem (column and reason), the
import is offered only when no row has one, and it runs in one transaction: any failure
leaves nothing behind.

The preview keeps the uploaded bytes in an ImportBatch, so the confirmation imports exactly
the file that was previewed. It plans the rows again at confirmation: if anything changed
meanwhile (a pilot of the same name appeared, a user was deactivated), the import is refused
(409) and the new preview shown.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from config.errors import Conflict
from onboarding import tables
from onboarding.models import BatchStatus, ImportBatch
from onboarding.sheets import Plan, sheets

# A preview older than this is not imported: the portfolio has moved on.
PREVIEW_VALID_FOR = timedelta(hours=24)


def max_bytes() -> int:
    return settings.PILOTGATE_IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.PILOTGATE_IMPORT_MAX_ROWS


def _sheet(name: str):
    found = sheets().get(name)
    if found is None:
        raise ValidationError({"sheet": f"Unknown kind of import {name!r}."})
    return found()


def plan_file(*, data: bytes, sheet: str, by) -> Plan:
    """The dry run of `data`: read, resolve and check every row; write nothing."""
    kind = _sheet(sheet)
    try:
        table = tables.read_table(data, max_rows=max_rows())
    except tables.TableError as exc:
        raise ValidationError({"file": f"File: {exc}."}) from None
    missing = [c for c in kind.required() if c not in table.columns]
    if missing:
        raise ValidationError(
            {"file": "File: the header row lacks the required column"
             f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}."}
        )  # fmt: skip
    if not table.rows:
        raise ValidationError({"file": "File: there are no rows under the header."})
    ignored = [c for c in table.columns if c and c not in kind.known()]
    return Plan(sheet=kind.name, rows=kind.plan_rows(table.rows, by=by), ignored_columns=ignored)


def _read_upload(upload) -> bytes:
    if upload is None:
        raise ValidationError({"file": "File: choose a CSV or Excel (.xlsx) file."})
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {"file": f"File: it is {upload.size / 1_048_576:.1f} MB; the limit is "
             f"{limit / 1_048_576:g} MB. Split it into smaller files."}
        )  # fmt: skip
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": f"File: larger than the limit of {limit:,} bytes."})
    return data


@transaction.atomic
def import_preview(*, by, upload, sheet: str = "pilots") -> ImportBatch:
    """Check `upload` and keep it with its plan (no pilot, role, workbook or move yet)."""
    rules.ensure(
        rules.can_import_pilots(by), by, "import_pilots", "onboarding",
        "Only admins import pilots.",
    )  # fmt: skip
    data = _read_upload(upload)
    plan = plan_file(data=data, sheet=sheet, by=by)
    batch = ImportBatch.objects.create(
        sheet=plan.sheet,
        file_name=(getattr(upload, "name", "") or "upload")[:255],
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        plan=plan.as_dict(),
        created_by=by,
    )
    audit_record(
        actor=by,
        action="import.preview",
        obj=batch,
        after={"file": batch.file_name, "sha256": batch.sha256, **plan.counts()},
    )
    return batch


def _visible_batch(by, batch: ImportBatch) -> None:
    rules.ensure(
        rules.can_import_pilots(by), by, "import_pilots", f"import:{batch.pk}",
        "Only admins import pilots.",
    )  # fmt: skip


@transaction.atomic
def import_confirm(*, by, batch: ImportBatch, now=None) -> dict[str, int]:
    """Import a previewed file, all rows or none."""
    now = now or timezone.now()
    _visible_batch(by, batch)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.PREVIEWED:
        raise Conflict(f"This file was {batch.get_status_display().lower()} already.")
    if batch.created_at < now - PREVIEW_VALID_FOR:
        raise Conflict("This preview is more than a day old; upload the file again.")
    data = bytes(batch.content)
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise Conflict("The stored file does not match its preview; upload it again.")
    plan = plan_file(data=data, sheet=batch.sheet, by=by)
    if plan.error_count or plan.fingerprint() != batch.plan.get("fingerprint"):
        # Keep the new plan for the page; the transaction must still commit it, so it is
        # saved outside this one's rollback by the caller (views show the new preview).
        raise PlanChanged(plan)
    kind = _sheet(batch.sheet)
    done = kind.apply(plan.rows, by=by, file_name=batch.file_name)
    batch.status, batch.finished_at = BatchStatus.IMPORTED, now
    batch.content = b""  # imported: the file is no longer needed
    batch.plan = plan.as_dict()  # now with the new pilots' ids, for the page's links
    batch.save(update_fields=["status", "finished_at", "content", "plan"])
    audit_record(
        actor=by,
        action="import.confirm",
        obj=batch,
        after={"file": batch.file_name, "sha256": batch.sha256, **done},
    )
    return done


class PlanChanged(Conflict):
    """The file's rows no longer plan as previewed; `plan` is the new dry run."""

    def __init__(self, plan: Plan):
        errors = plan.error_count
        super().__init__(
            f"Something changed since the preview: {errors} row{'s' if errors != 1 else ''} "
            "now ha{} a problem. Nothing was imported; check the new preview.".format(
                "ve" if errors != 1 else "s"
            )
            if errors
            else "Something changed since the preview (a row would now create or change "
            "another pilot). Nothing was imported; check the new preview."
        )
        self.plan = plan


@transaction.atomic
def plan_replace(*, batch: ImportBatch, plan: Plan) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.PREVIEWED).update(
        plan=plan.as_dict()
    )


@transaction.atomic
def import_discard(*, by, batch: ImportBatch, now=None) -> None:
    _visible_batch(by, batch)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.PREVIEWED:
        raise Conflict(f"This file was {batch.get_status_display().lower()} already.")
    batch.status, batch.finished_at, batch.content = (
        BatchStatus.DISCARDED,
        now or timezone.now(),
        b"",
    )
    batch.save(update_fields=["status", "finished_at", "content"])
    audit_record(actor=by, action="import.discard", obj=batch, after={"file": batch.file_name})
