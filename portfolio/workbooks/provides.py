"""Read-only facts about workbooks for other parts of Pilotgate (gates, metrics, dashboard).

- `workbook_facts(pilot)` / `workbook_facts_many(pilot_ids)`: what the gate engine needs.
- `test_results(pilot)`: deployment test status per category.
- `metric_expectations(pilot_ids)`: every number the workbooks set for a metric
  (success targets, stop conditions, rollback triggers, monitoring thresholds) in one query.
- `economic_case_for(pilot)`: the strategy workbook's economic case.

None of these checks permissions: callers pass pilots the user may already see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DateField,
    F,
    FloatField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from gates.engine import TEST_CATEGORIES, WorkbookFacts
from gates.engine.vocabulary import HIGHER_IS_BETTER
from portfolio.models import Pilot
from portfolio.workbooks import models as m
from portfolio.workbooks.evidence import evidence_fields
from portfolio.workbooks.selectors import economic_case_for  # noqa: F401 - re-exported
from portfolio.workbooks.spec import SPECS, PhaseSpec

TARGET = "target"
STOP = "stop"
ROLLBACK = "rollback"
MONITOR = "monitor"


@dataclass(frozen=True)
class MetricExpectation:
    """A number a workbook sets for one metric of one pilot.

    `op` reads as "value op threshold":
    - kind `target`: the goal; met when it holds (">=" when higher is better, "<=" when lower).
    - kinds `stop`, `rollback`, `monitor`: the breach; it is breached when it holds
      (">" for a lower-is-better metric, "<" for a higher-is-better one).
    `action`: "" for targets, `revise`/`end` for stops, `disable_ai`/`human_review`/
    `reduce_scope` for rollbacks, `investigate` for monitors. `by_date` only for stops,
    `baseline` only for targets (where the metric stood when the case was made).
    """

    pilot_id: int
    metric_key: str
    kind: str
    op: str
    value: float
    action: str
    by_date: date | None
    baseline: float | None = None
    origin: str = "workbook"


def _count(model) -> Coalesce:
    rows = (
        model.objects.filter(pilot=OuterRef("pk"))
        .order_by()
        .values("pilot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def _facts_queryset(pilot_ids: Iterable[int]):
    related = []
    annotations = {}
    for spec in SPECS.values():
        related.append(spec.accessor)
        related.extend(f"{spec.accessor}__{person}" for person in spec.people)
        for list_spec in spec.lists:
            annotations[f"_n_{list_spec.name}"] = _count(list_spec.model)
    minutes = (
        m.ManualStep.objects.filter(pilot=OuterRef("pk"))
        .order_by()
        .values("pilot")
        .annotate(total=Sum("minutes_per_week"))
        .values("total")
    )
    annotations["_manual_minutes"] = Subquery(minutes)
    return (
        Pilot.objects.filter(pk__in=list(pilot_ids))
        .select_related(*related)
        .annotate(**annotations)
    )


def _field_value(workbook, spec: PhaseSpec, name: str) -> Any:
    if workbook is None:
        return None
    if name in spec.people:
        person = getattr(workbook, name)
        return person.get_username() if person is not None else None
    return getattr(workbook, name)


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def facts_from_pilot(pilot: Pilot) -> dict[str, WorkbookFacts]:
    """Facts from a pilot loaded by `_facts_queryset` (workbooks joined, list counts annotated)."""
    result = {}
    for phase, spec in SPECS.items():
        workbook = getattr(pilot, spec.accessor, None)
        fields = {name: _field_value(workbook, spec, name) for name in spec.fields}
        # A stored evidence file counts as work done (the task list's "In progress").
        for name in evidence_fields(spec.model):
            fields[name] = getattr(workbook, f"{name}_id", None) if workbook else None
        lists = {ls.name: int(getattr(pilot, f"_n_{ls.name}", 0) or 0) for ls in spec.lists}
        if phase == "data":
            # Read by the manual-steps criterion (gates.engine: manual_steps_cost).
            fields["manual_minutes_per_week"] = getattr(pilot, "_manual_minutes", None) or 0
        missing = [spec.label(name) for name in spec.required if not _filled(fields[name])]
        missing += [ls.label for ls in spec.lists if ls.required and lists[ls.name] == 0]
        result[phase] = WorkbookFacts(
            complete=not missing, fields=fields, lists=lists, missing=tuple(missing)
        )
    return result


def workbook_facts_many(pilot_ids: Iterable[int]) -> dict[int, dict[str, WorkbookFacts]]:
    """Facts of the five workbooks of many pilots, in one query."""
    return {pilot.pk: facts_from_pilot(pilot) for pilot in _facts_queryset(pilot_ids)}


def workbook_facts(pilot: Pilot) -> dict[str, WorkbookFacts]:
    """Facts of the five workbooks of one pilot: phase -> WorkbookFacts (one query), or
    the facts prefetch_workbook_facts put on this pilot object."""
    prefetched = pilot.__dict__.get(_PREFETCHED)
    if prefetched is not None:
        return prefetched
    return workbook_facts_many([pilot.pk]).get(pilot.pk) or facts_from_pilot(pilot)


_PREFETCHED = "_prefetched_workbook_facts"


def prefetch_workbook_facts(pilot: Pilot) -> Pilot:
    """Read the workbook facts once for a page that shows them in several places (the pilot
    page: workbook progress and the gate panel). Only for read-only views: the facts are
    not refreshed if a workbook changes afterwards, as with Django's prefetch_related."""
    pilot.__dict__[_PREFETCHED] = workbook_facts(pilot)
    return pilot


def progress(facts: WorkbookFacts, phase: str) -> int:
    """Percent of the required items of a workbook that are filled in (0-100)."""
    total = SPECS[phase].required_count
    return round(100 * (total - len(facts.missing)) / total) if total else 100


def test_results(pilot: Pilot) -> dict[str, str]:
    """Deployment test status per category; a category never recorded is `not_run`."""
    recorded = dict(
        m.TestResult.objects.filter(pilot_id=pilot.pk).values_list("category", "status")
    )
    return {category: recorded.get(category, "not_run") for category in TEST_CATEGORIES}


test_results.__test__ = False  # a read function, not a pytest test


def _expectation_rows(model, kind: str, value: str, action, by_date, baseline=None):
    text, number, day = CharField(), FloatField(), DateField()
    # Every column is an annotation, declared in the same order in each branch, so the
    # UNION lines its columns up on every database.
    return (
        model.objects.order_by()
        .annotate(
            x_pilot=F("pilot_id"),
            x_metric=F("metric_id"),
            x_direction=F("metric__direction"),
            x_kind=Value(kind, output_field=text),
            x_value=F(value) if isinstance(value, str) else Value(value, output_field=number),
            x_action=action if not isinstance(action, str) else Value(action, output_field=text),
            x_by=by_date if by_date is not None else Value(None, output_field=day),
            x_base=F(baseline) if baseline else Value(None, output_field=number),
        )
        .values_list(
            "x_pilot", "x_metric", "x_direction", "x_kind", "x_value", "x_action", "x_by", "x_base"
        )
    )


def _op(kind: str, direction: str) -> str:
    higher = direction == HIGHER_IS_BETTER
    if kind == TARGET:
        return ">=" if higher else "<="
    return "<" if higher else ">"


def metric_expectations(pilot_ids: Iterable[int]) -> list[MetricExpectation]:
    """Every metric expectation the workbooks of these pilots set, in one query."""
    ids = list(pilot_ids)
    if not ids:
        return []
    branches = [
        _expectation_rows(m.SuccessMetric, TARGET, "target", "", None, "baseline"),
        _expectation_rows(m.StopCondition, STOP, "threshold", F("action"), F("by_date")),
        _expectation_rows(m.RollbackTrigger, ROLLBACK, "threshold", F("action"), None),
        _expectation_rows(m.MonitoredMetric, MONITOR, "threshold", "investigate", None),
    ]
    branches = [branch.filter(pilot_id__in=ids) for branch in branches]
    query = branches[0].union(*branches[1:], all=True)
    result = [
        MetricExpectation(
            pilot_id=pilot_id,
            metric_key=metric_key,
            kind=kind,
            op=_op(kind, direction),
            value=float(value),
            action=action or "",
            by_date=by_date,
            baseline=None if baseline is None else float(baseline),
        )
        for pilot_id, metric_key, direction, kind, value, action, by_date, baseline in query
    ]
    result.sort(key=lambda e: (e.pilot_id, e.metric_key, e.kind, e.value))
    return result


def gate_limits(pilot: Pilot) -> tuple[dict[str, float], dict[str, float]]:
    """(`metric_targets`, `metric_thresholds`) for `gates.engine.PilotFacts`.

    Targets come from the success metrics; thresholds from the monitoring workbook, and
    for a metric it does not monitor, from the rollback triggers. When one metric has
    several rows, the strictest number wins (the highest for a higher-is-better target,
    the lowest for a lower-is-better one; likewise for thresholds).
    """
    targets: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    rollback: dict[str, float] = {}
    for item in metric_expectations([pilot.pk]):
        if item.kind == TARGET:
            higher = item.op == ">="
            bucket = targets
        elif item.kind in (MONITOR, ROLLBACK):
            # A breach op of "<" means higher is better.
            higher = item.op == "<"
            bucket = thresholds if item.kind == MONITOR else rollback
        else:
            continue
        current = bucket.get(item.metric_key)
        if current is None or (item.value > current if higher else item.value < current):
            bucket[item.metric_key] = item.value
    for key, value in rollback.items():
        thresholds.setdefault(key, value)
    return targets, thresholds
