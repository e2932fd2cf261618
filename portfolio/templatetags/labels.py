"""Human labels for codes a page would otherwise show raw (stages, statuses, results).

Labels of metrics' codes (alerts, expectations, metric keys, pulls) are in metrics_tags.
"""

from django import template

from config.money import number_unit
from gates.engine.vocabulary import FAIL, MISSING, PASS
from portfolio.models import Stage, Status

register = template.Library()

_STAGES = dict(Stage.choices)
_STATUSES = dict(Status.choices)
_RESULTS = {PASS: "Pass", FAIL: "Fail", MISSING: "No data"}


def label_of(labels: dict, code) -> str:
    """The label of `code` in `labels`, or the code made readable: "on_hold" -> "On hold"."""
    return labels.get(code, str(code).replace("_", " ").capitalize() if code else "")


@register.filter
def stage_label(code) -> str:
    """ "readiness" -> "Readiness"."""
    return label_of(_STAGES, code)


@register.filter
def status_label(code) -> str:
    """ "on_hold" -> "On hold"."""
    return label_of(_STATUSES, code)


@register.filter
def result_label(code) -> str:
    """A gate criterion's result: "missing" -> "No data"."""
    return label_of(_RESULTS, code)


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
