"""Human labels for codes a page would otherwise show raw (stages, statuses, results)."""

from django import template

from config.money import number_unit
from gates.engine.vocabulary import FAIL, MISSING, PASS
from metrics import catalog
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


@register.filter
def by_person(user, fallback: str = "automatically") -> str:
    """Who did it, for "resolved …": "by Olivia Owner", or "automatically" when no person
    did (the system). Never "by None"."""
    return f"by {user}" if user is not None else fallback


@register.filter
def minutes(value) -> str:
    """A duration in minutes in words: "1 minute", "45 minutes", "3.5 hours", "2 days"."""
    if value is None:
        return "—"
    value = float(value)
    if value < 120:
        count = round(value)
        return f"{count:,} minute{'' if count == 1 else 's'}"
    if value < 48 * 60:
        hours = round(value / 60, 1)
        return f"{hours:,g} hours"
    days = round(value / 1440, 1)
    return f"{days:,g} days"


@register.filter
def unit_suffix(unit) -> str:
    """What follows a number of a metric in `unit`: "%" straight after it, " ms" after a
    space, nothing for plain counts and scores (money has its own filters)."""
    shown = number_unit(unit)
    if not shown:
        return ""
    return shown if shown == "%" else f"\u00a0{shown}"


@register.filter
def metric_label(key, names) -> str:
    """A metric key as its catalog label: `{{ key|metric_label:metric_names }}`, with
    `metric_names` from `metrics.catalog.metric_names()` in the view's context."""
    return catalog.metric_label(key, names or {})


_TRIGGERS = {"schedule": "On schedule", "manual": "Pull now", "retry": "Retry"}


@register.filter
def pull_trigger_label(code) -> str:
    return _label(_TRIGGERS, code)
