"""A CSV file of metric values uploaded for one pilot: every row's fate reported."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts import rules
from accounts.audit import audit_record
from metrics.connectors.csv_file import CsvFileError, CsvRow, read_rows
from metrics.models import CsvImport
from metrics.pulls.run import INGEST_BATCH
from metrics.services import snapshots_ingest
from portfolio.models import Pilot

CSV_SOURCE = "csv-upload"
CSV_REPORT_ALL_ROWS_UP_TO = 5_000
CSV_REPORT_MAX_ITEMS = 10_000


def _row_reason(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())


@transaction.atomic
def csv_import(*, pilot: Pilot, by, file, file_name: str) -> CsvImport:
    """Store the snapshots of an uploaded CSV file; report every row's fate.

    Rows must name this pilot (its id) or leave `pilot` empty. Bad rows are rejected with
    their reason and never block good rows. The source of the snapshots is "csv-upload",
    so uploading the same file twice stores nothing new (the rows are duplicates).
    """
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_write_metrics(by, pilot), by, "upload_metrics", f"pilot:{pilot.pk}")
    max_bytes = int(getattr(settings, "PILOTGATE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    record = CsvImport(pilot=pilot, uploaded_by=by, file_name=(file_name or "upload.csv")[:255])
    report: list[tuple[int, str, str]] = []
    pending: list[tuple[CsvRow, dict]] = []
    counts = {"stored": 0, "duplicate": 0, "rejected": 0}

    def flush() -> None:
        if not pending:
            return
        result = snapshots_ingest(rows=[r for _, r in pending], source=CSV_SOURCE, by=by)
        for index, (row, _) in enumerate(pending):
            status = result.statuses[index]
            counts[status] += 1
            report.append((row.number, status, _row_reason(result.errors.get(index, {}))))
        pending.clear()

    try:
        for row in read_rows(file, max_bytes=max_bytes):
            if row.error:
                counts["rejected"] += 1
                report.append((row.number, "rejected", row.error))
            elif row.pilot not in ("", str(pilot.pk)):
                counts["rejected"] += 1
                report.append(
                    (
                        row.number,
                        "rejected",
                        f"pilot: the row names pilot {row.pilot[:20]}; "
                        f"this upload is for pilot {pilot.pk}",
                    )
                )
            else:
                pending.append(
                    (
                        row,
                        {
                            "pilot": pilot.pk,
                            "metric": row.metric,
                            "observed_at": row.observed_at,
                            "value": row.value,
                        },
                    )
                )
                if len(pending) >= INGEST_BATCH:
                    flush()
        flush()
    except CsvFileError as exc:
        record.error = f"The file cannot be read: {exc}."
    report.sort()
    record.rows_read = len(report)
    record.stored, record.duplicate, record.rejected = (
        counts["stored"],
        counts["duplicate"],
        counts["rejected"],
    )
    if len(report) > CSV_REPORT_ALL_ROWS_UP_TO:
        # Past a few thousand rows the stored report keeps what needs attention.
        kept = [r for r in report if r[1] == "rejected"][:CSV_REPORT_MAX_ITEMS]
        record.report_truncated = True
    else:
        kept = report
    record.row_report = [{"row": n, "status": s, "reason": reason} for n, s, reason in kept]
    record.save()
    audit_record(
        actor=by,
        action="metrics.csv_import",
        obj=record,
        pilot_id=pilot.pk,
        after={"file_name": record.file_name, "rows": record.rows_read, **counts},
    )
    return record
