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

import operator
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

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


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


def default_expectations_provider() -> Callable[[Sequence[int]], list]:
    try:
        from portfolio.workbooks.facts import metric_expectations
    except ImportError:
        return lambda pilot_ids: []
    return metric_expectations


def expectations_for(pilot_ids: Sequence[int], provider: Callable | None = None) -> list:
    provider = provider or default_expectations_provider()
    return list(provider(list(pilot_ids))) if pilot_ids else []


def _attr(expectation, name: str, default=None):
    return getattr(expectation, name, default)


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


def breached(expectation, observed: float, today: date) -> bool:
    compare = OPS.get(str(_attr(expectation, "op", "")).strip())
    if compare is None:
        return False
    limit = float(_attr(expectation, "value"))
    by_date = _as_date(_attr(expectation, "by_date"))
    kind = _attr(expectation, "kind")
    if kind == ExpectationKind.TARGET:
        return (by_date is None or today >= by_date) and not compare(observed, limit)
    if kind == ExpectationKind.STOP and by_date is not None and today < by_date:
        return False
    return compare(observed, limit)


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
    expectations = expectations_for(pilot_ids, expectations_provider)
    if not expectations:
        return []
    catalog = {m.key: m for m in MetricDefinition.objects.all()}
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
