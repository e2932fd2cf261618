"""Every write of the metrics app: ingest, post-ingest processing, alerts, drift."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts import rules
from accounts.audit import audit_record
from accounts.models import PilotRole
from config.errors import Conflict
from metrics import drift, incidents, rollups, selectors, signal_refresh, thresholds
from metrics.ingest import (
    CODE_FORBIDDEN,
    DUPLICATE,
    REJECTED,
    SOURCE_MAX_LENGTH,
    STORED,
    CleanRow,
    IngestResult,
    RowValidator,
    candidate_pilot_ids,
    validate_rows,
)
from metrics.models import Alert, AlertStatus, MetricDefinition, MetricRollup
from metrics.snapshot_store import store
from outbox.catalog import EventType
from outbox.services import publish
from portfolio import events
from portfolio.models import Pilot

logger = logging.getLogger(__name__)

MAX_ROWS_PER_BATCH = 10_000
DEFAULT_FUTURE_SKEW_SECONDS = 300

# (pilot_id, metric_id, first observed_at, last observed_at) of the rows a batch stored.
Span = tuple[int, int, datetime, datetime]


def future_skew() -> timedelta:
    return timedelta(
        seconds=getattr(settings, "PILOTGATE_METRICS_FUTURE_SKEW", DEFAULT_FUTURE_SKEW_SECONDS)
    )


def _pilot_verdicts(ids: set[int], by) -> dict[int, tuple[str, str] | None]:
    """None for a pilot the caller may write to, else (code, message). Unknown ids absent.

    A pilot the caller may not see gets the same answer as one that does not exist, so
    a batch cannot be used to probe for confidential pilots.
    """
    if not ids:
        return {}
    queryset = Pilot.objects.filter(pk__in=ids)
    if by is None:
        return {pk: None for pk in queryset.values_list("pk", flat=True)}
    queryset = queryset.prefetch_related(
        Prefetch("roles", queryset=PilotRole.objects.filter(user_id=by.pk))
    )
    verdicts: dict[int, tuple[str, str] | None] = {}
    for pilot in queryset:
        if not rules.can_view_pilot(by, pilot):
            rules.log_denied(by, "view", f"pilot:{pilot.pk}")
            continue
        if rules.can_write_metrics(by, pilot):
            verdicts[pilot.pk] = None
        else:
            rules.log_denied(by, "write_metrics", f"pilot:{pilot.pk}")
            message = (
                f"Pilot {pilot.pk} is stopped; it takes no new metrics."
                if pilot.is_stopped
                else f"You may not write metrics for pilot {pilot.pk}."
            )
            verdicts[pilot.pk] = (CODE_FORBIDDEN, message)
    return verdicts


def _spans(rows: Iterable[CleanRow]) -> list[Span]:
    spans: dict[tuple[int, int], list[datetime]] = {}
    for r in rows:
        key = (r.pilot_id, r.metric_id)
        span = spans.get(key)
        if span is None:
            spans[key] = [r.observed_at, r.observed_at]
        elif r.observed_at < span[0]:
            span[0] = r.observed_at
        elif r.observed_at > span[1]:
            span[1] = r.observed_at
    return [(p, m, lo, hi) for (p, m), (lo, hi) in spans.items()]


@transaction.atomic
def snapshots_ingest(
    *, rows: Sequence[Any], source: str, by=None, process: bool = True
) -> IngestResult:
    """Validate and store a batch of snapshots; the one way snapshots enter the database.

    `rows` are mappings {pilot: id, metric: key, observed_at: aware datetime or ISO 8601
    string, value: number}. Each row is judged alone: a bad row is rejected with reasons
    by field and never stops the good rows. A row already stored for the same (pilot,
    metric, observed_at, source) counts as a duplicate, so re-pushing is harmless.

    `by` is the person (or token owner) pushing; when given, each row's pilot must be one
    they may write metrics for (`rules.can_write_metrics`). Connectors pass `by=None`:
    their source was configured by someone allowed to.

    After commit, the stored rows' rollups, thresholds and the pilots' signals are
    refreshed by a Celery task (`process=False` skips that, for bulk loads that refresh
    once at the end). One audit event records the batch, not each row.
    """
    source = (source or "").strip()
    if not source or len(source) > SOURCE_MAX_LENGTH:
        raise ValidationError(
            {"source": f"Name the source in 1 to {SOURCE_MAX_LENGTH} characters."}
        )
    if len(rows) > MAX_ROWS_PER_BATCH:
        raise ValidationError(
            {"rows": f"At most {MAX_ROWS_PER_BATCH:,} rows per batch; this one has {len(rows):,}."}
        )
    validator = RowValidator(
        metrics={m.key: m for m in MetricDefinition.objects.all()},
        pilot_verdicts=_pilot_verdicts(candidate_pilot_ids(rows), by),
        now=timezone.now(),
        future_skew=future_skew(),
    )
    clean, errors, codes = validate_rows(rows, validator)
    result = IngestResult(
        source=source, statuses=[REJECTED] * len(rows), errors=errors, codes=codes
    )
    stored = store(clean, source)
    statuses = result.statuses
    for r in clean:
        statuses[r.index] = STORED if r.index in stored else DUPLICATE
    result.stored = len(stored)
    result.rejected = len(result.errors)
    result.duplicate = len(rows) - result.stored - result.rejected

    stored_rows = clean if len(stored) == len(clean) else [r for r in clean if r.index in stored]
    pilot_ids = sorted({r.pilot_id for r in clean})
    audit_record(
        actor=by,
        action="snapshots.ingest",
        object_type="metrics.snapshotbatch",
        object_id=source[:64],  # the audit column is shorter; `after` keeps it whole
        pilot_id=pilot_ids[0] if len(pilot_ids) == 1 else None,
        after={**result.counts(), "source": source, "pilots": pilot_ids[:50]},
    )
    if stored_rows and process:
        spans = _spans(stored_rows)
        transaction.on_commit(lambda: enqueue_processing(spans))
    return result


def enqueue_processing(spans: list[Span]) -> None:
    """Hand the post-ingest work to a worker; do it here if the broker is unreachable."""
    payload = [[p, m, lo.isoformat(), hi.isoformat()] for p, m, lo, hi in spans]
    try:
        current_app.tasks["metrics.process_ingest"].delay(payload)
    except Exception:
        # The rows are committed already; losing the refresh would leave rollups and
        # alerts stale until the next batch, so do the work in-process instead.
        logger.exception("could not enqueue post-ingest processing; running it inline")
        snapshots_process(spans=spans)


def snapshots_process(
    *, spans: Sequence[Span], expectations_provider: Callable | None = None
) -> None:
    """Refresh what depends on stored snapshots: rollups, alerts, signals.

    Idempotent: it recomputes from what is stored, so running it twice (a redelivered
    task) or for overlapping spans gives the same result.
    """
    if not spans:
        return
    rollups.refresh(spans)
    pilot_ids = sorted({span[0] for span in spans})
    metric_ids = {span[1] for span in spans}
    thresholds.check(pilot_ids, metric_ids, expectations_provider=expectations_provider)
    signal_refresh.refresh(pilot_ids, expectations_provider=expectations_provider)
    # The dashboard's portfolio aggregates sum these rollups; ask for a rebuild soon.
    transaction.on_commit(lambda: events.aggregates_stale.send(sender=MetricRollup))


# --- alerts ---------------------------------------------------------------------------


def _locked_alert(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("pilot").get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """Someone responsible has seen the alert and is on it (the incident clock runs on)."""
    rules.ensure_visible(by, alert.pilot)
    rules.ensure(
        rules.can_manage_alerts(by, alert.pilot), by, "acknowledge_alert", f"alert:{alert.pk}"
    )
    alert = _locked_alert(alert)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(f"This alert is already {alert.get_status_display().lower()}.")
    now = timezone.now()
    Alert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by
    )
    alert.refresh_from_db()
    audit_record(
        actor=by,
        action="alert.acknowledge",
        obj=alert,
        pilot_id=alert.pilot_id,
        before={"status": AlertStatus.OPEN},
        after={"status": alert.status},
    )
    _after_alert_change(alert.pilot_id)
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, by, note: str = "") -> Alert:
    """Close the incident. Its open-to-resolved time feeds rollback_mttr_minutes."""
    rules.ensure_visible(by, alert.pilot)
    rules.ensure(rules.can_manage_alerts(by, alert.pilot), by, "resolve_alert", f"alert:{alert.pk}")
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    alert = _locked_alert(alert)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("This alert is already resolved.")
    before = {"status": alert.status}
    now = timezone.now()
    updates: dict[str, Any] = {
        "status": AlertStatus.RESOLVED,
        "resolved_at": now,
        "resolved_by": by,
        "resolution_note": note,
    }
    if alert.acknowledged_at is None:
        # Resolving implies having seen it; keeps "acknowledged" meaningful in reports.
        updates.update(acknowledged_at=now, acknowledged_by=by)
    Alert.objects.filter(pk=alert.pk).update(**updates)
    alert.refresh_from_db()
    audit_record(
        actor=by,
        action="alert.resolve",
        obj=alert,
        pilot_id=alert.pilot_id,
        before=before,
        after={"status": alert.status, "note": note},
    )
    publish(
        EventType.ALERT_RESOLVED, pilot=alert.pilot_id, actor=by, now=now,
        payload={"alert_id": alert.pk, "metric": alert.metric.key, "note": note},
    )  # fmt: skip
    if rows := incidents.mttr_rows(alert):
        snapshots_ingest(rows=rows, source=incidents.INCIDENT_SOURCE)
    _after_alert_change(alert.pilot_id)
    return alert


BULK_ACTIONS = {"acknowledge": "acknowledged", "resolve": "resolved"}


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk acknowledge or resolve did: the alerts changed, and per alert id that
    was left alone, why (in words for the person who asked)."""

    action: str
    done: tuple[Alert, ...]
    skipped: tuple[tuple[str, str], ...]  # (the id as given, reason)
    denied: bool  # every refusal was a permission refusal

    @property
    def nothing_done(self) -> bool:
        return not self.done


@transaction.atomic
def alerts_bulk_update(*, alert_ids: Sequence[str], action: str, by, note: str = "") -> BulkOutcome:
    """Acknowledge or resolve several alerts in one go: each alert through the one-alert
    service (its own permission check, state check and audit event, in its own savepoint),
    so the good part is applied and each refusal is reported, not raised."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"do": "Choose Acknowledge selected or Resolve selected."})
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    wanted: dict[int, str] = {}
    skipped: list[tuple[str, str]] = []
    for raw in alert_ids:
        text = str(raw).strip()
        if text.isdigit() and len(text) < 19:
            wanted.setdefault(int(text), text)
        else:
            skipped.append((text[:20], "is not an alert number"))
    if not wanted and not skipped:
        raise ValidationError({"alert": "Select at least one alert."})
    found = Alert.objects.select_related("pilot").in_bulk(list(wanted))
    done: list[Alert] = []
    denied = 0
    for pk, text in wanted.items():
        alert = found.get(pk)
        if alert is None or not rules.can_view_pilot(by, alert.pilot):
            skipped.append((text, "was not found"))
            continue
        try:
            with transaction.atomic():
                if action == "acknowledge":
                    done.append(alert_acknowledge(alert=alert, by=by))
                else:
                    done.append(alert_resolve(alert=alert, by=by, note=note))
        except PermissionDenied:
            denied += 1
            skipped.append((text, "is not yours to manage"))
        except Conflict as exc:
            skipped.append((text, exc.message.removeprefix("This alert ").rstrip(".")))
    return BulkOutcome(
        action=action,
        done=tuple(done),
        skipped=tuple(skipped),
        denied=bool(denied) and denied == len(skipped),
    )


def _after_alert_change(pilot_id: int) -> None:
    transaction.on_commit(lambda: signal_refresh.refresh([pilot_id]))


# --- drift ----------------------------------------------------------------------------

DRIFT_SOURCE = "pilotgate:drift"


def drift_compute(*, pilot_id: int, now: datetime | None = None, process: bool = True):
    """Score the drift of each of a pilot's metrics and store the largest as drift_score.

    See metrics/drift.py for the definition. Goes through `snapshots_ingest`, so the
    score is validated, rolled up and checked against thresholds like any other value.
    """
    now = now or timezone.now()
    today = rollups.floor_day(now)
    recent_from = today - timedelta(days=drift.RECENT_DAYS - 1)
    baseline_from = recent_from - timedelta(days=drift.BASELINE_DAYS)
    keys = dict(MetricDefinition.objects.values_list("id", "key"))
    by_metric: dict[str, float] = {}
    for metric_id, days in selectors.daily_means(pilot_id, baseline_from).items():
        key = keys.get(metric_id)
        if key is None or key in drift.EXCLUDED_KEYS:
            continue
        baseline = [mean for day, mean, _ in days if day < recent_from]
        recent = [mean for day, mean, _ in days if day >= recent_from]
        score = drift.shift_score(baseline, recent)
        if score is not None:
            by_metric[key] = round(score, 4)
    if not by_metric:
        return drift.DriftResult(None, {}, 0)
    score = max(by_metric.values())
    result = snapshots_ingest(
        rows=[
            {
                "pilot": pilot_id,
                "metric": "drift_score",
                "observed_at": rollups.floor_hour(now),
                "value": score,
            }
        ],
        source=DRIFT_SOURCE,
        process=process,
    )
    return drift.DriftResult(score, by_metric, result.stored)
