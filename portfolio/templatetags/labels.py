"""Human labels for codes a page would otherwise show raw (stages, statuses, results)."""

from django import template

from gates.engine.vocabulary import FAIL, MISSING, PASS
from metrics.models import AlertStatus, ExpectationKind
from portfolio.models import Stage, Status

register = template.Library()

_STAGES = dict(Stage.choices)
_STATUSES = dict(Status.choices)
_RESULTS = {PASS: "Pass", FAIL: "Fail", MISSING: "No data"}
_ALERT_STATUSES = dict(AlertStatus.choices)
_EXPECTATION_KINDS = dict(ExpectationKind.choices)


def _label(labels: dict, code) -> str:
    return labels.get(code, str(code).replace("_", " ").capitalize() if code else "")


@register.filter
def stage_label(code) -> str:
    """ "readiness" -> "Readiness"."""
    return _label(_STAGES, code)


@register.filter
def status_label(code) -> str:
    """ "on_hold" -> "On hold"."""
    return _label(_STATUSES, code)


@register.filter
def result_label(code) -> str:
    """A gate criterion's result: "missing" -> "No data"."""
    return _label(_RESULTS, code)


@register.filter
def alert_status_label(code) -> str:
    return _label(_ALERT_STATUSES, code)


@register.filter
def expectation_label(code) -> str:
    return _label(_EXPECTATION_KINDS, code)
