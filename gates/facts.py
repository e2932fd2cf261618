"""Collect the plain facts the gate engine needs about one pilot.

This is the one place that reads other apps for the engine. Workbook facts come from the
workbooks app, daily metric rollups and open alerts from the metrics app. Each provider
sits behind a small adapter here: when the providing app is not installed (yet), the
adapter answers "nothing known", so criteria come out `fail`/`missing` with a reason,
never as a crash.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from gates import engine
from gates.checklists import checklist_workbook_facts


def workbook_facts_for(pilot) -> dict[str, engine.WorkbookFacts]:
    """Adapter: workbook phase -> WorkbookFacts (from the workbooks app)."""
    try:
        from portfolio.workbooks.facts import workbook_facts
    except ImportError:
        return {}
    return dict(workbook_facts(pilot))


def test_results_for(pilot) -> dict[str, str]:
    """Adapter: test category -> status (not_run/passed/failed/waived)."""
    try:
        from portfolio.workbooks.facts import test_results
    except ImportError:
        return {}
    return dict(test_results(pilot))


def metric_limits_for(pilot) -> tuple[dict[str, float], dict[str, float]]:
    """Adapter: (targets, thresholds) per metric key, as the workbooks set them."""
    try:
        from portfolio.workbooks.facts import metric_expectations
    except ImportError:
        return {}, {}
    expectations = metric_expectations([pilot.pk]).get(pilot.pk)
    if expectations is None:
        return {}, {}
    targets = getattr(expectations, "targets", None)
    thresholds = getattr(expectations, "thresholds", None)
    if targets is None and isinstance(expectations, dict):
        targets, thresholds = expectations.get("targets"), expectations.get("thresholds")
    return dict(targets or {}), dict(thresholds or {})


def daily_rollups_for(
    pilot, metric_keys: Iterable[str], since: datetime
) -> dict[str, list[engine.MetricDaily]]:
    """Adapter: metric key -> daily rollups since `since` (from the metrics app)."""
    keys = sorted(set(metric_keys))
    if not keys:
        return {}
    try:
        from metrics.selectors import daily_rollups
    except ImportError:
        return {}
    return dict(daily_rollups(pilot.pk, keys, since))


def open_alert_count_for(pilot) -> int:
    """Adapter: open alerts of the pilot (from the metrics app)."""
    try:
        from metrics.selectors import open_alert_count
    except ImportError:
        return 0
    return int(open_alert_count(pilot.pk))


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


def pilot_facts(
    pilot, *, now: datetime, criteria: Iterable[engine.Criterion] | None = None
) -> engine.PilotFacts:
    """Everything the engine needs about `pilot` at `now`.

    `criteria` limits which metric series are read (only those the criteria use); without
    it, the metrics of every default gate are read.
    """
    from gates.models import ChecklistAnswer, Condition

    if criteria is None:
        criteria = [c for gate in engine.DEFAULT_GATES.values() for c in gate]
    criteria = list(criteria)
    metric_keys, days = _metric_needs(criteria)
    # One extra day so that the first day of the window is whole whatever the hour.
    since = now - timedelta(days=days + 1)
    targets, thresholds = metric_limits_for(pilot)
    workbooks = workbook_facts_for(pilot)
    answers = ChecklistAnswer.objects.filter(pilot=pilot).values_list("checklist", "item", "status")
    workbooks.update(checklist_workbook_facts(answers))
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
    )
