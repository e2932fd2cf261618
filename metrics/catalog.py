"""The metric catalog as people read it: labels by key, for the pages, emails and PDFs that
hold only keys (source configurations, audit events). Keys stay in the API and in config."""

from __future__ import annotations

import re

from metrics.models import MetricDefinition


def metric_names() -> dict[str, str]:
    """The catalog's label of every metric, by key (one query)."""
    return dict(MetricDefinition.objects.values_list("key", "name"))


def metric_label(key, names: dict[str, str]) -> str:
    """`names[key]`, or the key in words ("p95_latency_ms" -> "P95 latency ms") for a key
    the catalog no longer has."""
    key = str(key or "")
    if key in names:
        return names[key]
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def name_metrics(text: str, names: dict[str, str]) -> str:
    """`text` with each metric key written as a word replaced by its label: for sentences
    built around keys (stored gate criteria labels, engine reasons). Keys inside longer
    identifiers ("pilot_hallucination_rate") are left alone."""
    if not text or not names:
        return text
    keys = sorted((k for k in names if k in text), key=len, reverse=True)
    if not keys:
        return text
    pattern = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, keys)) + r")(?![\w])")
    return pattern.sub(lambda m: names[m.group(1)], text)
