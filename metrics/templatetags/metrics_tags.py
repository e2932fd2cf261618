from django import template

from metrics import catalog
from metrics.models import AlertStatus, ExpectationKind
from metrics.selectors import pilot_metrics_section
from portfolio.templatetags.labels import label_of

register = template.Library()


@register.inclusion_tag("metrics/pilot_section.html", takes_context=True)
def metrics_section(context, pilot):
    """Signal, metrics against thresholds, alerts and incidents for the pilot page."""
    section = pilot_metrics_section(pilot, user=context["request"].user)
    section["request"] = context["request"]
    section["csrf_token"] = context.get("csrf_token")
    return section


@register.filter
def number(value, digits: int = 2) -> str:
    """A compact number: 1234.5 -> '1,234.5', None -> '—'."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


_ALERT_STATUSES = dict(AlertStatus.choices)
_EXPECTATION_KINDS = dict(ExpectationKind.choices)
_TRIGGERS = {"schedule": "On schedule", "manual": "Pull now", "retry": "Retry"}


@register.filter
def alert_status_label(code) -> str:
    return label_of(_ALERT_STATUSES, code)


@register.filter
def expectation_label(code) -> str:
    return label_of(_EXPECTATION_KINDS, code)


@register.filter
def metric_label(key, names) -> str:
    """A metric key as its catalog label: `{{ key|metric_label:metric_names }}`, with
    `metric_names` from `metrics.catalog.metric_names()` in the view's context."""
    return catalog.metric_label(key, names or {})


@register.filter
def pull_trigger_label(code) -> str:
    return label_of(_TRIGGERS, code)
