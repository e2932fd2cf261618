"""How numbers and names appear in reasons a person reads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

AGGREGATE_WORDS = {"last": "latest", "mean": "mean", "p95": "p95", "min": "min", "max": "max"}
_HUMAN_NAMES = {
    "safety_security": "safety and security",
    "kpi": "KPI",
    "roi_baseline": "ROI baseline",
    "first_traffic_slice_pct": "first traffic slice (%)",
    "latency_budget_ms": "latency budget (ms)",
}


def humanize(name: str) -> str:
    """`safety_security` -> `safety and security`, `data_owner` -> `data owner`."""
    return _HUMAN_NAMES.get(name, name.replace("_", " "))


def format_number(value: float, decimals: int | None = None) -> str:
    """Thousands separators, no trailing zeros: 1240.0 -> '1,240', 0.0310 -> '0.031'."""
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        if value == int(value):
            return f"{int(value):,}"
        magnitude = abs(value)
        # Three significant digits for small numbers, two decimals for the rest.
        decimals = 2 if magnitude >= 1 else min(-math.floor(math.log10(magnitude)) + 2, 12)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_pair(actual: float, limit: float) -> tuple[str, str]:
    """Format two numbers so that different values never look the same."""
    shown = format_number(actual), format_number(limit)
    decimals = 2
    while shown[0] == shown[1] and actual != limit and decimals < 12:
        decimals += 1
        shown = format_number(actual, decimals), format_number(limit, decimals)
    return shown


def with_unit(number: str, unit: str) -> str:
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def display_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def join_humanized(names: Sequence[str]) -> str:
    return ", ".join(humanize(n) for n in names)


OPERATOR_WORDS = {"<=": "at or under", "<": "under", ">=": "at or over", ">": "over"}


def generated_metric_rule_label(params: dict[str, Any]) -> str:
    """The label the default metric rules are stored with ("hallucination_rate mean <= its
    target over 14 days"): a label still equal to it was never written by a person."""
    word = AGGREGATE_WORDS.get(params.get("aggregate"), params.get("aggregate"))
    return (
        f"{params.get('metric')} {word} {params.get('op')} its {params.get('against')}"
        f" over {params.get('window_days')} days"
    )


def metric_rule_label(params: dict[str, Any], metric_name: str) -> str:
    """A metric rule in words, with the metric's catalog name: "Hallucination rate (mean)
    at or under its target over 14 days"."""
    aggregate = params.get("aggregate")
    word = AGGREGATE_WORDS.get(aggregate, aggregate)
    op = params.get("op")
    return (
        f"{metric_name} ({word}) {OPERATOR_WORDS.get(op, op)} its {params.get('against')}"
        f" over {params.get('window_days')} days"
    )
