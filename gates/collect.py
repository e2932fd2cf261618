"""Collect the plain facts the gate engine needs about one pilot.

This is the one place that reads other apps for the engine: workbook facts, test results
and metric targets/thresholds from `portfolio.workbooks.provides`, daily metric rollups and
open alerts from `metrics.selectors`. Each provider sits behind a small adapter so the
shapes the engine wants are made here and nowhere else. Those apps sit below gates (they
use only the pure engine), so they are imported at the top.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from gates import crosswalk, engine
from gates.checklists import checklist_score_facts, checklist_workbook_facts
from gates.models import ChecklistAnswer, Condition, CriteriaVersion
from metrics.selectors import daily_rollups, open_alert_count
from metrics.sources.selectors import sources_health
from portfolio.workbooks.provides import metric_expectations, test_results, workbook_facts


def workbook_facts_for(pilot) -> dict[str, engine.WorkbookFacts]:
    """Adapter: workbook phase -> WorkbookFacts (from the workbooks app)."""
    return dict(workbook_facts(pilot))


def test_results_for(pilot) -> dict[str, str]:
    """Adapter: test category -> status (not_run/passed/failed/waived)."""
    return dict(test_results(pilot))


# Which workbook number counts as "the threshold" of a metric, most specific first: the
# monitoring plan's alert line, else a rollback trigger, else a stop condition.
_THRESHOLD_KINDS = ("monitor", "rollback", "stop")


def metric_limits_for(pilot) -> tuple[dict[str, float], dict[str, float]]:
    """Adapter: (targets, thresholds) per metric key, as the workbooks set them."""
    grouped: dict[tuple[str, str], list] = {}
    for expectation in metric_expectations([pilot.pk]):
        grouped.setdefault((expectation.metric_key, expectation.kind), []).append(expectation)
    targets: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    for (metric, kind), rows in grouped.items():
        values = [row.value for row in rows]
        op = rows[0].op
        if kind == "target":
            targets[metric] = max(values) if op == ">=" else min(values)
    for kind in reversed(_THRESHOLD_KINDS):
        for (metric, row_kind), rows in grouped.items():
            if row_kind != kind:
                continue
            values = [row.value for row in rows]
            # A breach line: "<" (higher is better) is strictest at its highest value.
            thresholds[metric] = max(values) if rows[0].op == "<" else min(values)
    return targets, thresholds


def daily_rollups_for(
    pilot, metric_keys: Iterable[str], since: datetime
) -> dict[str, list[engine.MetricDaily]]:
    """Adapter: metric key -> daily rollups since `since` (from the metrics app)."""
    keys = sorted(set(metric_keys))
    if not keys:
        return {}
    return dict(daily_rollups(pilot.pk, keys, since))


def open_alert_count_for(pilot) -> int:
    """Adapter: open alerts of the pilot (from the metrics app)."""
    return int(open_alert_count(pilot.pk))


def source_health_facts(pilot) -> engine.WorkbookFacts:
    """Adapter: the pilot's metric sources as a pseudo-workbook `metric_sources`.

    lists: sources (enabled), healthy_sources (last pull ok), degraded_sources;
    fields: all_sources_healthy (True when there is at least one and none is degraded).
    """
    counts = sources_health(pilot_ids=[pilot.pk]).get(pilot.pk) or {}
    total, ok, degraded = counts.get("total", 0), counts.get("ok", 0), counts.get("degraded", 0)
    return engine.WorkbookFacts(
        complete=total > 0 and ok == total,
        fields={"all_sources_healthy": total > 0 and degraded == 0},
        lists={"sources": total, "healthy_sources": ok, "degraded_sources": degraded},
    )


def _metric_needs(criteria: Iterable[engine.Criterion]) -> tuple[set[str], int]:
    keys, days = set(), 1
    for criterion in criteria:
        if criterion.kind == engine.METRIC_RULE and "metric" in criterion.params:
            keys.add(str(criterion.params["metric"]))
            try:
                days = max(days, int(criterion.params.get("window_days", 7)))
            except (TypeError, ValueError):
                continue
    return keys, days


def _current_criteria_of_every_gate() -> list[engine.Criterion]:
    """The criteria of each gate's newest version: the database is their one source."""
    newest = CriteriaVersion.objects.filter(gate=OuterRef("gate")).order_by("-number")
    versions = CriteriaVersion.objects.filter(pk=Subquery(newest.values("pk")[:1]))
    return [criterion for version in versions for criterion in version.as_criteria()]


def pilot_facts(
    pilot, *, now: datetime, criteria: Iterable[engine.Criterion] | None = None
) -> engine.PilotFacts:
    """Everything the engine needs about `pilot` at `now`.

    `criteria` limits which metric series are read (only those the criteria use); without
    it, the metrics the current criteria of every gate use are read.
    """
    if criteria is None:
        criteria = _current_criteria_of_every_gate()
    criteria = list(criteria)
    metric_keys, days = _metric_needs(criteria)
    # One extra day so that the first day of the window is whole whatever the hour.
    since = now - timedelta(days=days + 1)
    targets, thresholds = metric_limits_for(pilot)
    workbooks = workbook_facts_for(pilot)
    # An answer given in one checklist counts for the items the crosswalk maps to it.
    answers = crosswalk.apply(
        ChecklistAnswer.objects.filter(pilot=pilot).values_list("checklist", "item", "status")
    )
    workbooks.update(checklist_workbook_facts(answers))
    workbooks[engine.SOURCES_PHASE] = source_health_facts(pilot)
    roles = {r.role: r.user.get_username() for r in pilot.roles.all()}
    met = frozenset(
        Condition.objects.filter(pilot=pilot, met_at__isnull=False).values_list("key", flat=True)
    )
    return engine.PilotFacts(
        risk_tier=pilot.risk_tier,
        workbooks=workbooks,
        roles=roles,
        test_results=test_results_for(pilot),
        metrics=daily_rollups_for(pilot, metric_keys, since),
        metric_targets=targets,
        metric_thresholds=thresholds,
        open_alerts=open_alert_count_for(pilot),
        met_conditions=met,
        checklists=checklist_score_facts(answers),
    )
