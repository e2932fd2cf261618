"""Where to go to fix a criterion: the exact workbook field, list or page that makes it pass.

`fix_url(pilot, result)` reads the criterion's definition (its kind and params) and maps it
through `_BY_KIND`, one small rule per criterion kind; a workbook field or list anchor is
the id the workbook page renders for it (`field-<name>`, `list-<name>`). The criteria are
read once per pilot object (three queries at most) unless a caller already holds them and
passes them to `prime`, as the pilot page and the request page do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.urls import reverse

from gates import engine
from gates.engine.vocabulary import MANUAL_STEPS_COST

_CACHE = "_fix_links_criteria"


# Pseudo-workbooks the gates read that are sections of the pilot page (gates/facts.py).
_PILOT_PAGE_PHASES = {"metric_sources": "metric-sources"}


def workbook_anchor(pilot, phase: str, anchor: str = "") -> str | None:
    if phase in _PILOT_PAGE_PHASES:
        return f"{pilot.get_absolute_url()}#{_PILOT_PAGE_PHASES[phase]}"
    from portfolio.workbooks.spec import SPECS

    if phase not in SPECS:
        return None
    url = reverse("portfolio:workbook", args=[pilot.pk, phase])
    return f"{url}#{anchor}" if anchor else url


def _pilot_page(anchor: str) -> Callable[[Any, Mapping, Any], str]:
    return lambda pilot, params, result: f"{pilot.get_absolute_url()}#{anchor}"


def _metric(pilot, params: Mapping, result) -> str:
    """A metric without the limit it is judged against is fixed where the limit is set;
    a metric that misses its limit is looked at in the pilot's metrics table."""
    against = params.get("against")
    if _status(result) == engine.MISSING and against in _LIMIT_LISTS:
        phase, list_name = _LIMIT_LISTS[against]
        return workbook_anchor(pilot, phase, f"list-{list_name}")
    return f"{pilot.get_absolute_url()}#metric-{params.get('metric', '')}"


# Where the workbooks set the limit a metric rule is judged `against` (facts.gate_limits).
_LIMIT_LISTS = {
    "target": ("strategy", "success_metrics"),
    "threshold": ("monitoring", "monitored_metrics"),
}

_BY_KIND: dict[str, Callable[[Any, Mapping, Any], str]] = {
    engine.WORKBOOK_COMPLETE: lambda pilot, p, r: workbook_anchor(pilot, p["phase"], "wb-progress"),
    engine.FIELD_PRESENT: lambda pilot, p, r: workbook_anchor(
        pilot, p["phase"], f"field-{p['field']}"
    ),
    engine.LIST_MIN_ROWS: lambda pilot, p, r: workbook_anchor(
        pilot, p["phase"], f"list-{p['list']}"
    ),
    engine.TESTS_PASSED: lambda pilot, p, r: workbook_anchor(
        pilot, "deployment", "list-test_results"
    ),
    MANUAL_STEPS_COST: lambda pilot, p, r: workbook_anchor(pilot, "data", "list-manual_steps"),
    engine.ROLES_NAMED: lambda pilot, p, r: reverse("portfolio:pilot_roles", args=[pilot.pk]),
    engine.METRIC_RULE: _metric,
    engine.NO_OPEN_ALERTS: _pilot_page("alerts"),
    engine.CONDITION: _pilot_page("gates"),
    engine.CHECKLIST_MIN_SCORE: lambda pilot, p, r: reverse(
        "gates:checklist", args=[pilot.pk, p["checklist"]]
    ),
}


def _get(result, name: str) -> Any:
    return result.get(name) if isinstance(result, Mapping) else getattr(result, name, None)


def _status(result) -> str | None:
    return _get(result, "status")


def prime(pilot, criteria: Iterable[engine.Criterion]) -> None:
    """Give `pilot` the criteria its results come from, so `fix_url` reads no database."""
    known = pilot.__dict__.setdefault(_CACHE, {})
    for criterion in criteria:
        known.setdefault(criterion.key, criterion)


def _criteria(pilot) -> dict[str, engine.Criterion]:
    known = pilot.__dict__.get(_CACHE)
    if known is None:
        from gates import selectors
        from gates.models import Condition

        criteria: list[engine.Criterion] = []
        # The next gate first: where a key is in several gates, its definition wins.
        following = selectors.next_gate(pilot)
        for _gate, version in sorted(
            selectors.gates_with_current_version(),
            key=lambda pair: following is None or pair[0].pk != following.pk,
        ):
            criteria += version.as_criteria() if version else []
        criteria += [c.as_criterion() for c in Condition.objects.filter(pilot=pilot)]
        prime(pilot, criteria)
        known = pilot.__dict__[_CACHE]
    return known


def fix_url(pilot, result) -> str | None:
    """The page (and anchor) where the owner fixes `result`, or None when nothing on a page
    can fix it (an unknown criterion). `result` is an engine `Result` or its frozen dict."""
    criterion = _criteria(pilot).get(str(_get(result, "criterion_key") or ""))
    if criterion is None:
        return None
    rule = _BY_KIND.get(criterion.kind)
    try:
        return rule(pilot, criterion.params, result) if rule else None
    except (KeyError, TypeError):  # malformed params: the engine already names the problem
        return None
