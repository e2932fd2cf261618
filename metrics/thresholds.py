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

One unresolved alert per (pilot, metric, kind): while one is open or acknowledged, a
further breach does not open another.
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


@transaction.atomic
def check(
    pilot_ids: Sequence[int],
    metric_ids: Iterable[int] | None = None,
    *,
    expectations_provider: Callable | None = None,
) -> list[Alert]:
    """Open alerts for breached expectations of these pilots; return the alerts opened."""
    catalog = {m.key: m for m in MetricDefinition.objects.all()}
    expectations = expectations_for(
        pilot_ids, expectations_provider, catalog=list(catalog.values())
    )
    if not expectations:
        return []
    wanted = set(metric_ids) if metric_ids is not None else None
    latest = latest_values(pilot_ids, wanted)
    unresolved = set(
        Alert.objects.filter(pilot_id__in=list(pilot_ids))
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("pilot_id", "metric_id", "kind")
    )
    today = timezone.now().date()
    opened: list[Alert] = []
    for expectation in expectations:
        metric = catalog.get(_attr(expectation, "metric_key"))
        if metric is None or (wanted is not None and metric.pk not in wanted):
            continue
        pilot_id = int(_attr(expectation, "pilot_id"))
        kind = str(_attr(expectation, "kind"))
        if kind not in ExpectationKind.values:
            continue
        point = latest.get((pilot_id, metric.pk))
        if point is None or (pilot_id, metric.pk, kind) in unresolved:
            continue
        observed, observed_at = point
        if not breached(expectation, observed, today):
            continue
        action = str(_attr(expectation, "action") or "")
        if action not in AlertAction.values:
            action = default_action(kind)
        alert = _open(
            pilot_id=pilot_id,
            metric=metric,
            kind=kind,
            op=str(_attr(expectation, "op")),
            threshold=float(_attr(expectation, "value")),
            observed=observed,
            observed_at=observed_at,
            action=action,
        )
        unresolved.add((pilot_id, metric.pk, kind))
        if alert is not None:
            opened.append(alert)
    return opened


def _open(*, pilot_id, metric, kind, op, threshold, observed, observed_at, action) -> Alert | None:
    try:
        # The partial unique index is the real guard against a concurrent duplicate.
        with transaction.atomic():
            alert = Alert.objects.create(
                pilot_id=pilot_id,
                metric=metric,
                kind=kind,
                op=op,
                threshold=threshold,
                observed_value=observed,
                observed_at=observed_at,
                action=action,
            )
    except IntegrityError:
        return None
    audit_record(
        actor=None,
        action="alert.open",
        obj=alert,
        pilot_id=pilot_id,
        after={
            "metric": metric.key,
            "kind": kind,
            "observed": observed,
            "threshold": f"{op} {threshold:g}",
            "action": action,
        },
    )
    return alert
