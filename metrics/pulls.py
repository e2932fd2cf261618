"""Every write about pull sources: their configuration, each pull, the dispatcher, CSV.

The secret header value of a source is write-only. It is read in exactly one place,
`_fetch`, to build the outbound request; audit events record only whether a secret is
set, error texts come from the connectors' safe messages, and nothing here logs it.

Pulls are idempotent: snapshots carry `source = "pull:<id>"`, so the ingest service's
unique key (pilot, metric, observed_at, source) stores a re-pulled point once. That is
what makes redelivery after a worker crash, retries and overlapping backfills safe.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record, changes
from metrics import signal_refresh
from metrics.connectors import ConnectorError, FetchResult, http_json, prometheus
from metrics.connectors.csv_file import CsvFileError, CsvRow, read_rows
from metrics.connectors.safety import ALLOWED_SCHEMES, UnsafeURL, check_url
from metrics.models import (
    CsvImport,
    MetricDefinition,
    MetricSource,
    PullOutcome,
    PullRun,
    SourceKind,
    SourceStatus,
)
from metrics.services import snapshots_ingest
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.models import Pilot, Status

logger = logging.getLogger(__name__)

INGEST_BATCH = 5_000
MIN_INTERVAL, MAX_INTERVAL = 1, 1440
# Longer than the task's hard time limit, so a live pull never loses its lease.
PULL_LEASE = timedelta(minutes=10)
MAX_PROBLEMS_KEPT = 50
CSV_SOURCE = "csv-upload"
CSV_REPORT_ALL_ROWS_UP_TO = 5_000
CSV_REPORT_MAX_ITEMS = 10_000
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,99}$")
_FORBIDDEN_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "cookie", "user-agent"}
)

CONNECTORS = {SourceKind.HTTP_JSON: http_json, SourceKind.PROMETHEUS: prometheus}


def degraded_after() -> int:
    return int(getattr(settings, "PILOTGATE_SOURCE_DEGRADED_AFTER", 3))


# --- configuration ---------------------------------------------------------------------


def _audit_view(source: MetricSource) -> dict[str, Any]:
    """What the audit trail may know about a source: everything but the secret value."""
    return {
        "name": source.name,
        "kind": source.kind,
        "config": source.config,
        "secret_header_name": source.secret_header_name,
        "secret_set": source.has_secret,
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
    }


def _precheck_url(url: str) -> str | None:
    """Refuse at save time what can be refused without a DNS lookup (the pull re-checks)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "This URL is not valid."
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "Only http and https URLs can be pulled."
    if not host:
        return "The URL has no host."
    try:
        ipaddress.ip_address(host)
        is_literal = True
    except ValueError:
        is_literal = host.lower().rstrip(".") == "localhost"
    if is_literal:
        try:
            check_url(url)
        except UnsafeURL as exc:
            return exc.message
        except ConnectorError:
            return None
    return None


def _validate(source: MetricSource) -> None:
    errors: dict[str, list[str]] = {}
    source.name = (source.name or "").strip()
    if not source.name:
        errors.setdefault("name", []).append("Give the source a name.")
    elif len(source.name) > 120:
        errors.setdefault("name", []).append("Keep the name under 120 characters.")
    if source.kind not in SourceKind.values:
        errors.setdefault("kind", []).append("Choose HTTP JSON or Prometheus.")
    if not isinstance(source.interval_minutes, int) or not (
        MIN_INTERVAL <= source.interval_minutes <= MAX_INTERVAL
    ):
        errors.setdefault("interval_minutes", []).append(
            f"Pull every {MIN_INTERVAL} to {MAX_INTERVAL} minutes."
        )
    name = (source.secret_header_name or "").strip()
    source.secret_header_name = name
    if name and (not _HEADER_NAME.match(name) or name.lower() in _FORBIDDEN_HEADERS):
        errors.setdefault("secret_header_name", []).append(
            "Use a header name of letters, digits and dashes, like X-Api-Key or Authorization."
        )
    if source.secret_header_value and not name:
        errors.setdefault("secret_header_name", []).append("Name the header the secret goes in.")
    if any(ch in source.secret_header_value for ch in "\r\n\x00"):
        errors.setdefault("secret_header_value", []).append(
            "The secret cannot contain line breaks."
        )
    if len(source.secret_header_value) > 4000:
        errors.setdefault("secret_header_value", []).append(
            "Keep the secret under 4,000 characters."
        )
    config = source.config if isinstance(source.config, dict) else {}
    if not isinstance(source.config, dict):
        errors.setdefault("config", []).append("The configuration must be an object.")
    connector = CONNECTORS.get(source.kind)
    if connector is not None and isinstance(source.config, dict):
        for field, messages in connector.validate_config(config).items():
            errors.setdefault(field, []).extend(messages)
        url_field = "url" if source.kind == SourceKind.HTTP_JSON else "base_url"
        url = str(config.get(url_field) or "").strip()
        if url and url_field not in errors:
            problem = _precheck_url(url)
            if problem:
                errors.setdefault(url_field, []).append(problem)
        entries = config.get("metrics" if source.kind == SourceKind.HTTP_JSON else "queries")
        keys = {str(e["metric"]) for e in entries or [] if isinstance(e, dict) and e.get("metric")}
        known = set(MetricDefinition.objects.filter(key__in=keys).values_list("key", flat=True))
        unknown = sorted(keys - known)
        if unknown:
            field = "metrics" if source.kind == SourceKind.HTTP_JSON else "queries"
            errors.setdefault(field, []).append(
                "Not in the metric catalog: " + ", ".join(unknown) + "."
            )
    if errors:
        raise ValidationError(errors)


def _save_new(source: MetricSource) -> None:
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "This pilot already has a source of that name."}) from exc


@transaction.atomic
def source_create(
    *,
    pilot: Pilot,
    by,
    name: str,
    kind: str,
    config: dict,
    interval_minutes: int = 15,
    enabled: bool = True,
    secret_header_name: str = "",
    secret_header_value: str = "",
) -> MetricSource:
    """Connect a monitoring system to a pilot; its first pull is due at once."""
    rules.ensure_visible(by, pilot)
    rules.ensure(rules.can_manage_sources(by, pilot), by, "manage_sources", f"pilot:{pilot.pk}")
    source = MetricSource(
        pilot=pilot,
        name=name,
        kind=kind,
        config=config,
        interval_minutes=interval_minutes,
        enabled=bool(enabled),
        secret_header_name=secret_header_name or "",
        secret_header_value=secret_header_value or "",
        created_by=by,
        next_due_at=timezone.now(),
    )
    _validate(source)
    _save_new(source)
    audit_record(
        actor=by,
        action="metric_source.create",
        obj=source,
        pilot_id=pilot.pk,
        after=_audit_view(source),
    )
    return source


EDITABLE = ("name", "kind", "config", "interval_minutes", "enabled", "secret_header_name")


@transaction.atomic
def source_update(
    *,
    source: MetricSource,
    by,
    secret_header_value: str | None = None,
    clear_secret: bool = False,
    **fields,
) -> MetricSource:
    """Change a source. `secret_header_value=None` keeps the stored secret (forms never
    show it, so an empty field means "unchanged"); `clear_secret` removes it."""
    rules.ensure_visible(by, source.pilot)
    rules.ensure(
        rules.can_manage_sources(by, source.pilot), by, "manage_sources", f"source:{source.pk}"
    )
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: "This field cannot be changed here." for f in sorted(unknown)})
    source = MetricSource.objects.select_for_update().select_related("pilot").get(pk=source.pk)
    before = _audit_view(source)
    for name, value in fields.items():
        setattr(source, name, value)
    if clear_secret:
        source.secret_header_value = ""
        source.secret_header_name = fields.get("secret_header_name", "") or ""
    elif secret_header_value:
        source.secret_header_value = secret_header_value
    secret_changed = bool(clear_secret or secret_header_value)
    _validate(source)
    old, new = changes(before, _audit_view(source))
    if secret_changed:
        # Record that the secret changed, never what it was or became.
        old["secret"], new["secret"] = "(hidden)", "cleared" if clear_secret else "replaced"
    if not new:
        return source
    if {"config", "kind", "enabled"} & set(new) or secret_changed:
        # A reconfigured source is pulled soon, so its owner sees whether it works.
        source.next_due_at = timezone.now()
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "This pilot already has a source of that name."}) from exc
    audit_record(
        actor=by,
        action="metric_source.update",
        obj=source,
        pilot_id=source.pilot_id,
        before=old,
        after=new,
    )
    return source


@transaction.atomic
def source_delete(*, source: MetricSource, by) -> None:
    """Disconnect a source. Snapshots it stored stay: they are the pilot's history."""
    rules.ensure_visible(by, source.pilot)
    rules.ensure(
        rules.can_manage_sources(by, source.pilot), by, "manage_sources", f"source:{source.pk}"
    )
    audit_record(
        actor=by,
        action="metric_source.delete",
        obj=source,
        pilot_id=source.pilot_id,
        before=_audit_view(source),
    )
    source.delete()
    if source.status == SourceStatus.DEGRADED:
        signal_refresh.refresh_on_commit(source.pilot_id)


@transaction.atomic
def source_pull_request(*, source: MetricSource, by) -> None:
    """The "pull now" button: queue a pull of this source after commit."""
    rules.ensure_visible(by, source.pilot)
    rules.ensure(
        rules.can_manage_sources(by, source.pilot), by, "pull_source", f"source:{source.pk}"
    )
    if not source.enabled:
        raise ValidationError({"enabled": "Enable the source before pulling it."})
    audit_record(
        actor=by,
        action="metric_source.pull_request",
        obj=source,
        pilot_id=source.pilot_id,
        after={"name": source.name},
    )
    source_id = source.pk
    transaction.on_commit(lambda: _enqueue_pull(source_id, trigger="manual"))


def _enqueue_pull(
    source_id: int, *, trigger: str, countdown: float = 0, producer=None, queue=None
) -> None:
    options = {"queue": queue} if queue else {}
    current_app.tasks["metrics.pull_source"].apply_async(
        args=[source_id],
        kwargs={"trigger": trigger},
        countdown=countdown or None,
        producer=producer,
        **options,
    )


# --- one pull --------------------------------------------------------------------------


@dataclass
class PullReport:
    """What `source_pull` did; `retry_advised` asks the task to try again later."""

    run: PullRun
    retry_advised: bool = False


def _fetch(source: MetricSource, now: datetime) -> FetchResult:
    secret = (source.secret_header_name, source.secret_header_value) if source.has_secret else None
    if source.kind == SourceKind.PROMETHEUS:
        return prometheus.pull(
            source.config, now=now, since=source.last_success_at, secret_header=secret
        )
    return http_json.pull(source.config, now=now, secret_header=secret)


def _claim_lease(source_id: int, now: datetime, task_id: str) -> bool:
    free = Q(pull_lease_until__isnull=True) | Q(pull_lease_until__lt=now)
    if task_id:
        free |= Q(pull_lease_task=task_id)
    claimed = (
        MetricSource.objects.filter(pk=source_id, enabled=True)
        .filter(free)
        .update(pull_lease_until=now + PULL_LEASE, pull_lease_task=task_id, last_attempt_at=now)
    )
    return claimed == 1


def _rejection_texts(rows: list[dict], result) -> list[str]:
    texts = []
    for rejected in result.rejected_rows()[:MAX_PROBLEMS_KEPT]:
        row = rows[rejected.index]
        reasons = "; ".join(m for msgs in rejected.errors.values() for m in msgs)
        texts.append(f"{row['metric']} at {row['observed_at']:%Y-%m-%d %H:%M:%S}: {reasons}")
    return texts


def source_pull(
    *,
    source_id: int,
    now: datetime | None = None,
    trigger: str = "schedule",
    task_id: str = "",
    final_attempt: bool = True,
) -> PullReport | None:
    """Pull one source now: fetch, ingest, record a PullRun, update the source's health.

    Returns None when there is nothing to do (source gone, disabled, its pilot stopped,
    or another pull of it still running). Network I/O happens outside any transaction;
    each ingest batch commits on its own, and a crash part-way is repaired by pulling
    again (the unique key drops what was stored already).

    A transient failure (timeout, 5xx) on a non-final attempt does not count against the
    source's health: the task retries. A failure on the final attempt does; after
    PILOTGATE_SOURCE_DEGRADED_AFTER of them in a row the source is degraded.
    """
    now = now or timezone.now()
    source = MetricSource.objects.select_related("pilot").filter(pk=source_id).first()
    if source is None or not source.enabled or source.pilot.status == Status.STOPPED:
        return None
    if not _claim_lease(source_id, now, task_id):
        return None
    # Holding the lease means no other pull of this source is alive: a run still marked
    # running was cut short (worker killed), and this pull redoes its work.
    PullRun.objects.filter(source_id=source_id, outcome=PullOutcome.RUNNING).update(
        outcome=PullOutcome.FAILED,
        finished_at=now,
        error="The worker stopped before this pull finished; the next pull redid it.",
    )
    run = PullRun.objects.create(source=source, trigger=trigger[:16], started_at=now)
    try:
        fetched = _fetch(source, now)
    except ConnectorError as exc:
        return _finish_failed(source, run, exc.message, exc.transient, final_attempt, task_id)
    except Exception:
        logger.exception("pull of source %s failed unexpectedly", source_id)
        return _finish_failed(
            source,
            run,
            "The pull failed unexpectedly; the error was logged.",
            True,
            final_attempt,
            task_id,
        )
    stored = duplicate = rejected = 0
    problems = list(fetched.problems[:MAX_PROBLEMS_KEPT])
    points = fetched.points
    batch = int(getattr(settings, "PILOTGATE_PULL_INGEST_BATCH", INGEST_BATCH))
    for start in range(0, len(points), batch):
        rows = [
            {
                "pilot": source.pilot_id,
                "metric": p.metric,
                "observed_at": p.observed_at,
                "value": p.value,
            }
            for p in points[start : start + batch]
        ]
        result = snapshots_ingest(rows=rows, source=source.ingest_source)
        stored += result.stored
        duplicate += result.duplicate
        rejected += result.rejected
        if len(problems) < MAX_PROBLEMS_KEPT:
            problems += _rejection_texts(rows, result)[: MAX_PROBLEMS_KEPT - len(problems)]
    counts = {"points": len(points), "stored": stored, "duplicate": duplicate, "rejected": rejected}
    if points and stored + duplicate == 0:
        message = "Every value was rejected: " + "; ".join(problems[:3])
        return _finish_failed(
            source, run, message, False, final_attempt, task_id, counts=counts, problems=problems
        )
    return _finish_ok(source, run, now, task_id, counts, problems)


def _release(source_id: int, task_id: str, **fields) -> None:
    MetricSource.objects.filter(pk=source_id, pull_lease_task=task_id).update(
        pull_lease_until=None, pull_lease_task="", **fields
    )


@transaction.atomic
def _finish_ok(source, run, now, task_id, counts, problems) -> PullReport | None:
    finished = timezone.now()
    PullRun.objects.filter(pk=run.pk).update(
        outcome=PullOutcome.OK, finished_at=finished, problems=problems, **counts
    )
    # Only the pull that holds the lease writes health, so an expired straggler cannot
    # overwrite a newer result.
    _release(
        source.pk,
        task_id,
        status=SourceStatus.OK,
        consecutive_failures=0,
        last_success_at=now,
        last_error="",
    )
    if source.status == SourceStatus.DEGRADED:
        signal_refresh.refresh_on_commit(source.pilot_id)
    run = PullRun.objects.filter(pk=run.pk).first()
    if run is None:
        return None  # disconnected while it was being pulled (its runs went with it)
    return PullReport(run=run)


@transaction.atomic
def _finish_failed(
    source, run, message, transient, final_attempt, task_id, *, counts=None, problems=None
) -> PullReport | None:
    retry = transient and not final_attempt
    PullRun.objects.filter(pk=run.pk).update(
        outcome=PullOutcome.FAILED,
        finished_at=timezone.now(),
        error=message[:2000],
        problems=problems or [],
        will_retry=retry,
        **(counts or {}),
    )
    current = MetricSource.objects.select_for_update().filter(pk=source.pk).first()
    if current is None:
        return None  # disconnected while it was being pulled: nothing left to record
    fields: dict[str, Any] = {"last_error": message[:2000]}
    if not retry:
        failures = current.consecutive_failures + 1
        fields["consecutive_failures"] = failures
        if failures >= degraded_after():
            fields["status"] = SourceStatus.DEGRADED
    _release(source.pk, task_id, **fields)
    if fields.get("status", current.status) != current.status:
        publish(
            EventType.SOURCE_DEGRADED, pilot=source.pilot_id,
            payload={"source_id": source.pk, "source": current.name,
                     "consecutive_failures": fields["consecutive_failures"],
                     "last_error": message[:500]},
        )  # fmt: skip
        signal_refresh.refresh_on_commit(source.pilot_id)
    run.refresh_from_db()
    return PullReport(run=run, retry_advised=retry)


# --- the dispatcher --------------------------------------------------------------------


def jitter_seconds(interval_minutes: int) -> float:
    """Spread pulls over a short window so sources due together do not hit at once."""
    cap = float(getattr(settings, "PILOTGATE_PULL_JITTER_SECONDS", 20))
    return random.uniform(0, min(cap, interval_minutes * 60 / 4))


def sources_dispatch_due(
    *,
    now: datetime | None = None,
    limit: int = 20_000,
    enqueue: Callable[[Iterable[tuple[int, float]]], None] | None = None,
) -> list[int]:
    """Claim every due source and queue one pull each; returns the claimed ids.

    The claim moves `next_due_at` one interval ahead inside one transaction. Rows are
    locked with SKIP LOCKED on PostgreSQL (SQLite serialises writers), and the update is
    conditional on the source still being due, so two beats running at once never
    dispatch the same source twice. Tasks are queued after commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            MetricSource.objects.filter(enabled=True, next_due_at__lte=now)
            .exclude(pilot__status=Status.STOPPED)
            .order_by("next_due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", "interval_minutes")[:limit]
        )
        by_interval: dict[int, list[int]] = {}
        for source_id, minutes in due:
            by_interval.setdefault(minutes, []).append(source_id)
        claimed: list[tuple[int, float]] = []
        for minutes, ids in by_interval.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                updated = MetricSource.objects.filter(
                    id__in=chunk, enabled=True, next_due_at__lte=now
                ).update(next_due_at=now + timedelta(minutes=minutes))
                if updated != len(chunk):
                    # Another dispatcher got some of these first: take only what is still
                    # ours (none of them, on PostgreSQL, thanks to the row locks).
                    raise IntegrityError("due sources changed during the claim")
                claimed += [(source_id, jitter_seconds(minutes)) for source_id in chunk]
        transaction.on_commit(lambda: (enqueue or enqueue_pulls)(claimed))
    return [source_id for source_id, _ in claimed]


# Past this many, the dispatcher hands publishing to workers in chunks: publishing a
# Celery message costs ~1-3 ms of Python, so 10,000 from one beat process would take long.
FANOUT_CHUNK = 500


def enqueue_pulls(claimed: Iterable[tuple[int, float]], *, queue: str | None = None) -> None:
    """Queue one pull task per claimed source (via fan-out tasks for large batches)."""
    claimed = [(int(source_id), float(countdown)) for source_id, countdown in claimed]
    if current_app.conf.task_always_eager or len(claimed) <= FANOUT_CHUNK:
        publish_pulls(claimed, queue=queue)
        return
    options = {"queue": queue} if queue else {}
    with current_app.producer_or_acquire() as producer:
        for start in range(0, len(claimed), FANOUT_CHUNK):
            current_app.tasks["metrics.enqueue_pull_batch"].apply_async(
                args=[claimed[start : start + FANOUT_CHUNK]],
                kwargs={"queue": queue},
                producer=producer,
                **options,
            )


def publish_pulls(claimed: Iterable[tuple[int, float]], *, queue: str | None = None) -> None:
    """Publish one pull_source message per source over a single broker connection.

    Redelivery of a half-done fan-out task publishes some pulls twice; that is harmless
    (the lease skips a concurrent duplicate, the unique key a later one)."""
    if current_app.conf.task_always_eager:
        for source_id, _countdown in claimed:
            _enqueue_pull(source_id, trigger="schedule")
        return
    with current_app.producer_or_acquire() as producer:
        for source_id, countdown in claimed:
            _enqueue_pull(
                source_id, trigger="schedule", countdown=countdown, producer=producer, queue=queue
            )


def pull_runs_prune(*, now: datetime | None = None, keep_days: int | None = None) -> int:
    """Delete pull runs older than the retention (14 days by default); returns how many.

    Each source keeps its most recent run whatever its age, so a source pulled rarely
    still shows what happened last time.
    """
    now = now or timezone.now()
    days = keep_days or int(getattr(settings, "PILOTGATE_PULL_RUN_RETENTION_DAYS", 14))
    cutoff = now - timedelta(days=days)
    from django.db.models import OuterRef, Subquery

    newest = (
        PullRun.objects.filter(source_id=OuterRef("source_id"))
        .order_by("-started_at", "-id")
        .values("id")[:1]
    )
    deleted, _ = PullRun.objects.filter(started_at__lt=cutoff).exclude(id=Subquery(newest)).delete()
    return deleted


# --- CSV upload ------------------------------------------------------------------------


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
