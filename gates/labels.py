"""Criteria as people read them: metric rules with the catalog's metric names, waivers with
their criterion's label. Keys stay in the API and where an admin configures criteria."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gates import engine


def criteria_labels(criteria: Sequence[engine.Criterion], names=None) -> dict[str, str]:
    """criterion key -> its label as people read it: a metric rule still labelled as the
    defaults wrote it reads with the metric's catalog name ("Hallucination rate (mean) at or
    under its target over 14 days"); other labels get metric keys replaced by catalog names."""
    from metrics.catalog import metric_label, metric_names, name_metrics

    names = metric_names() if names is None else names
    labels = {}
    for c in criteria:
        if c.kind == engine.METRIC_RULE and c.label == engine.generated_metric_rule_label(c.params):
            metric = c.params.get("metric")
            labels[c.key] = engine.metric_rule_label(c.params, metric_label(metric, names))
        else:
            labels[c.key] = name_metrics(c.label, names)
    return labels


def in_words(
    evaluation: engine.Evaluation, criteria: Sequence[engine.Criterion]
) -> engine.Evaluation:
    """The evaluation with its labels and reasons in words (see `criteria_labels`);
    criterion keys and params keep the keys. A result whose criterion is not in `criteria`
    only has metric keys replaced."""
    from dataclasses import replace

    from metrics.catalog import metric_names, name_metrics

    names = metric_names()
    labels = criteria_labels(criteria, names)
    return replace(
        evaluation,
        results=tuple(
            replace(
                r,
                label=labels.get(r.criterion_key) or name_metrics(r.label, names),
                reason=name_metrics(r.reason, names),
            )
            for r in evaluation.results
        ),
    )


def label_waivers(waivers: Iterable, found: dict[str, str]) -> None:
    """Put the label of its criterion on each waiver (`criterion_label`) from `found`
    (criterion key -> label, from `criteria_labels` or an evaluation in words); a key it
    does not have reads as the key in words."""
    for waiver in waivers:
        key = waiver.criterion_key
        waiver.criterion_label = found.get(key) or engine.humanize(key).capitalize()
