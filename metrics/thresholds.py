"""Workbook expectations checked against the latest values; a breach opens an alert.

The workbooks app states, per pilot and metric, what is expected
(`MetricExpectation`): success targets, stop conditions, rollback triggers and
monitoring thresholds. How `op` and `value` read:

- target: the condition the metric should meet, e.g. `>= 60`. It is breached when the
  latest value does not meet it, once `by_date` has passed (before that the pilot still
  has time to get there).
- stop, rollback, monitor: the condition that triggers the action, e.g. `> 5` for an
  error rate. Breached when the latest value meets it; a stop condition only counts from
  its `by_date` on, when one is given.

One unresolved alert per (pilot, metric): a value that breaches several expectations at
once (a stop condition, a rollback trigger and a missed target) is one breach, so it opens
one alert, carrying the most severe of them (stop, then rollback, then monitoring, then
target). While it is open or acknowledged a further breach opens no other; a more severe
one escalates it (its kind, threshold, observed value and action change, audited). A
partial unique index holds the rule under concurrency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.audit import audit_record
from metrics.models import (
    Alert,
    AlertAction,
    AlertStatus,
    ExpectationKind,
    MetricDefinition,
    MetricRollup,
    RollupPeriod,
)
from metrics.signal import OPS, condition_holds, condition_in_force
from outbox.catalog import EventType
from outbox.services import publish
from portfolio.workbooks.provides import metric_expectations


@dataclass(frozen=True)
class MetricExpectation:
    """Same shape as the workbooks app's; used when that app is not installed yet."""

    pilot_id: int
    metric_key: str
    kind: str
    op: str
    value: float
    action: str = ""
    by_date: date | None = None
    baseline: float | None = None
    origin: str = "workbook"


def default_expectations_provider() -> Callable[[Sequence[int]], list]:
    return metric_expectations


def expectations_for(
    pilot_ids: Sequence[int], provider: Callable | None = None, *, catalog=None
) -> list:
    """The workbooks' expectations of these pilots, plus the catalog's default thresholds
    (`MetricDefinition.default_threshold`) as monitoring thresholds for every pilot whose
    workbooks set no rollback trigger or monitoring threshold on that metric.

    `catalog`: the metric definitions when the caller has them (saves a query).
    """
    if not pilot_ids:
        return []
    provider = provider or default_expectations_provider()
    found = list(provider(list(pilot_ids)))
    if catalog is None:
        defaults = list(MetricDefinition.objects.filter(default_threshold__isnull=False))
    else:
        defaults = [m for m in catalog if m.default_threshold is not None]
    if not defaults:
        return found
    limited = {
        (int(_attr(e, "pilot_id")), _attr(e, "metric_key"))
        for e in found
        if _attr(e, "kind") in (ExpectationKind.ROLLBACK, ExpectationKind.MONITOR)
    }
    for pilot_id in pilot_ids:
        for metric in defaults:
            if (int(pilot_id), metric.key) in limited:
                continue
            found.append(
                MetricExpectation(
                    pilot_id=int(pilot_id),
                    metric_key=metric.key,
                    kind=ExpectationKind.MONITOR,
                    op="<" if metric.direction == "higher" else ">",
                    value=float(metric.default_threshold),
                    action=AlertAction.INVESTIGATE,
                    origin="catalog",
                )
            )
    return found


def _attr(expectation, name: str, default=None):
    return getattr(expectation, name, default)


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


# Most severe first: which expectation an alert carries when one value breaches several.
SEVERITY = {
    ExpectationKind.STOP: 3,
    ExpectationKind.ROLLBACK: 2,
    ExpectationKind.MONITOR: 1,
    ExpectationKind.TARGET: 0,
}


def severity(kind: str) -> int:
    return SEVERITY.get(kind, -1)


def breached(expectation, observed: float, today: date) -> bool:
    """Whether `observed` breaches the expectation today. By-dates follow the one rule
    the signal uses too (metrics.signal.condition_in_force)."""
    op = str(_attr(expectation, "op", "")).strip()
    if op not in OPS:
        return False
    limit = float(_attr(expectation, "value"))
    if not condition_in_force(_as_date(_attr(expectation, "by_date")), today):
        return False
    holds = condition_holds(op, observed, limit)
    return not holds if _attr(expectation, "kind") == ExpectationKind.TARGET else holds


def default_action(kind: str) -> str:
    return {
        ExpectationKind.STOP: AlertAction.END,
        ExpectationKind.ROLLBACK: AlertAction.HUMAN_REVIEW,
        ExpectationKind.TARGET: AlertAction.REVISE,
    }.get(kind, AlertAction.INVESTIGATE)


def latest_values(
    pilot_ids: Iterable[int], metric_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], tuple[float, datetime]]:
    """The most recent observed value per (pilot, metric), read from hourly rollups."""
    queryset = MetricRollup.objects.filter(period=RollupPeriod.HOUR, pilot_id__in=list(pilot_ids))
    if metric_ids is not None:
        queryset = queryset.filter(metric_id__in=list(metric_ids))
    heads = list(
        queryset.values("pilot_id", "metric_id").annotate(head=Max("bucket_start")).order_by()
    )
    if not heads:
        return {}
    condition = Q()
    for head in heads:
        condition |= Q(
            pilot_id=head["pilot_id"], metric_id=head["metric_id"], bucket_start=head["head"]
        )
    rows = MetricRollup.objects.filter(condition, period=RollupPeriod.HOUR).values_list(
        "pilot_id", "metric_id", "last", "last_at"
    )
    return {(p, m): (last, last_at) for p, m, last, last_at in rows}


@dataclass(frozen=True)
class Breach:
    pilot_id: int
    metric: MetricDefinition
    kind: str
    op: str
    threshold: float
    observed: float
    observed_at: datetime
    action: str


@transaction.atomic
def check(
    pilot_ids: Sequence[int],
    metric_ids: Iterable[int] | None = None,
    *,
    expectations_provider: Callable | None = None,
) -> list[Alert]:
    """Open (or escalate) alerts for breached expectations of these pilots; return the
    alerts opened or escalated."""
    catalog = {m.key: m for m in MetricDefinition.objects.all()}
    expectations = expectations_for(
        pilot_ids, expectations_provider, catalog=list(catalog.values())
    )
    if not expectations:
        return []
    wanted = set(metric_ids) if metric_ids is not None else None
    latest = latest_values(pilot_ids, wanted)
    today = timezone.now().date()
    worst: dict[tuple[int, int], Breach] = {}
    for expectation in expectations:
        metric = catalog.get(_attr(expectation, "metric_key"))
        if metric is None or (wanted is not None and metric.pk not in wanted):
            continue
        pilot_id = int(_attr(expectation, "pilot_id"))
        kind = str(_attr(expectation, "kind"))
        if kind not in ExpectationKind.values:
            continue
        point = latest.get((pilot_id, metric.pk))
        if point is None or not breached(expectation, point[0], today):
            continue
        seen = worst.get((pilot_id, metric.pk))
        if seen is not None and severity(seen.kind) >= severity(kind):
            continue
        action = str(_attr(expectation, "action") or "")
        if action not in AlertAction.values:
            action = default_action(kind)
        worst[(pilot_id, metric.pk)] = Breach(
            pilot_id=pilot_id,
            metric=metric,
            kind=kind,
            op=str(_attr(expectation, "op")),
            threshold=float(_attr(expectation, "value")),
            observed=point[0],
            observed_at=point[1],
            action=action,
        )
    if not worst:
        return []
    unresolved = {
        (alert.pilot_id, alert.metric_id): alert
        for alert in Alert.objects.filter(pilot_id__in=list(pilot_ids))
        .exclude(status=AlertStatus.RESOLVED)
        .only("id", "pilot_id", "metric_id", "kind")
    }
    changed: list[Alert] = []
    for key, breach in worst.items():
        current = unresolved.get(key)
        if current is not None and severity(current.kind) >= severity(breach.kind):
            continue  # already alerted, at this severity or a worse one
        alert = alert_open_or_escalate(breach)
        if alert is not None:
            changed.append(alert)
    return changed


@transaction.atomic
def alert_open_or_escalate(breach: Breach) -> Alert | None:
    """The one unresolved alert of the breach's pilot and metric: opened if there is none,
    escalated if it is less severe than `breach`, else left alone (None).

    Race-safe: the partial unique index refuses a second unresolved alert, and the loser
    of a race (which waits for the winner's commit on PostgreSQL) escalates the winner's
    alert under a row lock instead."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                pilot_id=breach.pilot_id,
                metric=breach.metric,
                kind=breach.kind,
                op=breach.op,
                threshold=breach.threshold,
                observed_value=breach.observed,
                observed_at=breach.observed_at,
                action=breach.action,
            )
    except IntegrityError:
        return _escalate(breach)
    audit_record(
        actor=None,
        action="alert.open",
        obj=alert,
        pilot_id=breach.pilot_id,
        after=_audit_fields(breach),
    )
    publish(
        EventType.ALERT_OPENED, pilot=breach.pilot_id,
        payload={"alert_id": alert.pk, "metric": breach.metric.key, "severity": breach.kind,
                 "value": breach.observed, "threshold": breach.threshold},
    )  # fmt: skip
    return alert


def _escalate(breach: Breach) -> Alert | None:
    alert = (
        Alert.objects.select_for_update()
        .filter(pilot_id=breach.pilot_id, metric=breach.metric)
        .exclude(status=AlertStatus.RESOLVED)
        .first()
    )
    if alert is None:
        # Resolved between our insert and this read: the breach opens a fresh alert.
        return alert_open_or_escalate(breach)
    if severity(alert.kind) >= severity(breach.kind):
        return None
    before = {
        "kind": alert.kind,
        "observed": alert.observed_value,
        "threshold": f"{alert.op} {alert.threshold:g}",
        "action": alert.action,
    }
    Alert.objects.filter(pk=alert.pk).update(
        kind=breach.kind,
        op=breach.op,
        threshold=breach.threshold,
        observed_value=breach.observed,
        observed_at=breach.observed_at,
        action=breach.action,
    )
    alert.refresh_from_db()
    audit_record(
        actor=None,
        action="alert.escalate",
        obj=alert,
        pilot_id=breach.pilot_id,
        before=before,
        after=_audit_fields(breach),
    )
    return alert


def _audit_fields(breach: Breach) -> dict:
    return {
        "metric": breach.metric.key,
        "kind": breach.kind,
        "observed": breach.observed,
        "threshold": f"{breach.op} {breach.threshold:g}",
        "action": breach.action,
    }
