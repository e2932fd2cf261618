"""Where to go to fix a failing criterion: the workbook field, list or page that feeds it.

Minimal version written for My work; the task-list work owns this module and its
`fix_url(pilot, result)` signature.
"""

from __future__ import annotations

from django.urls import reverse

from gates import engine
from gates.checklists import CHECKLISTS
from gates.engine.vocabulary import MANUAL_STEPS_COST
from portfolio.workbooks.spec import SPECS

# Callers that already hold the criteria of the evaluation (a GateEvaluation) put them
# here, keyed by criterion key, so that fix_url reads no criteria again.
CRITERIA_ATTR = "_fix_link_criteria"


def remember_criteria(pilot, criteria) -> None:
    pilot.__dict__[CRITERIA_ATTR] = {c.key: c for c in criteria}


def _criterion(pilot, key: str) -> engine.Criterion | None:
    known = pilot.__dict__.get(CRITERIA_ATTR)
    if known is None:
        from gates import selectors

        gate = selectors.next_gate(pilot)
        if gate is None:
            return None
        try:
            _version, criteria = selectors.pilot_criteria(pilot=pilot, gate=gate)
        except LookupError:
            return None
        remember_criteria(pilot, criteria)
        known = pilot.__dict__[CRITERIA_ATTR]
    return known.get(key)


def _workbook(pilot, phase: str, anchor: str = "") -> str:
    url = reverse("portfolio:workbook", args=[pilot.pk, phase])
    return f"{url}#{anchor}" if anchor else url


def fix_url(pilot, result) -> str | None:
    """The page (and the anchor of the field on it) that fixes `result`, or None."""
    criterion = _criterion(pilot, result.criterion_key)
    if criterion is None:
        return None
    kind, params = criterion.kind, criterion.params
    if kind in (engine.WORKBOOK_COMPLETE, engine.FIELD_PRESENT, engine.LIST_MIN_ROWS):
        phase = params.get("phase")
        if phase not in SPECS:  # a pseudo-workbook: a checklist or the metric sources
            if phase in CHECKLISTS:
                return reverse("gates:checklist", args=[pilot.pk, phase])
            return f"{pilot.get_absolute_url()}#metrics"
        if kind == engine.FIELD_PRESENT:
            return _workbook(pilot, phase, f"id_{params['field']}")
        if kind == engine.LIST_MIN_ROWS:
            return _workbook(pilot, phase, f"list-{params['list']}")
        return _workbook(pilot, phase)
    if kind == engine.TESTS_PASSED:
        return _workbook(pilot, "deployment", "list-test_results")
    if kind == MANUAL_STEPS_COST:
        return _workbook(pilot, "data", "list-manual_steps")
    if kind == engine.ROLES_NAMED:
        return reverse("portfolio:pilot_roles", args=[pilot.pk])
    if kind in (engine.METRIC_RULE, engine.NO_OPEN_ALERTS):
        return f"{pilot.get_absolute_url()}#metrics"
    if kind == engine.CHECKLIST_MIN_SCORE:
        return reverse("gates:checklist", args=[pilot.pk, params["checklist"]])
    return None
