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


_MAX_CHANGES = 8
_MAX_TEXT = 90


def _short(value) -> str:
    """A value of an audit event as a person reads it: text, numbers, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        text = ", ".join(_short(v) for v in value)
    elif isinstance(value, dict):
        text = "; ".join(f"{k}: {_short(v)}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


_CODED = {"stage": _STAGES, "from_stage": _STAGES, "to_stage": _STAGES, "status": _STATUSES}


def _value(key: str, value) -> str:
    """A stage or status by its label ("on_hold" -> "On hold"), anything else shortened."""
    labels = _CODED.get(key)
    if labels is not None and isinstance(value, str) and value in labels:
        return labels[value]
    return _short(value)


@register.filter
def audit_changes(event) -> dict:
    """What an audit event changed, as (field, before, after) rows of short text: only the
    fields whose value differs, at most a few (the API and the admin have the whole event).
    Replaces the raw dictionaries the page used to print."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = [
        k for k in (*after, *(k for k in before if k not in after)) if before.get(k) != after.get(k)
    ]
    rows = [
        (
            key.replace("_", " ").capitalize(),
            _value(key, before.get(key)) if key in before else "",
            _value(key, after.get(key)),
        )
        for key in keys[:_MAX_CHANGES]
    ]
    return {"rows": rows, "more": max(0, len(keys) - _MAX_CHANGES)}
