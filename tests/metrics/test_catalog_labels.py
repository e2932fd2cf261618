"""Metric keys become catalog labels in sentences people read (the API keeps the keys)."""

import pytest
from django.utils import timezone

from gates.models import Gate
from gates.selectors import pilot_evaluation
from metrics.catalog import metric_label, metric_names, name_metrics

NAMES = {"error_rate": "Error rate", "hallucination_rate": "Hallucination rate"}


def test_keys_written_as_words_become_labels_and_identifiers_stay():
    text = "hallucination_rate mean <= its target (pilot_hallucination_rate); error_rate."
    assert name_metrics(text, NAMES) == (
        "Hallucination rate mean <= its target (pilot_hallucination_rate); Error rate."
    )
    assert name_metrics("", NAMES) == "" and name_metrics("no keys", NAMES) == "no keys"


def test_a_key_the_catalog_lost_reads_as_words():
    assert metric_label("error_rate", NAMES) == "Error rate"
    assert metric_label("p95_latency_ms", {}) == "P95 latency ms"


@pytest.mark.django_db
def test_gate_evaluation_names_metrics_by_their_labels(pilot):
    assert metric_names()["hallucination_rate"] == "Hallucination rate"
    gate = Gate.objects.get(from_stage="pilot", to_stage="readiness")
    evaluation = pilot_evaluation(pilot=pilot, gate=gate, now=timezone.now()).evaluation
    metric_results = [r for r in evaluation.results if "hallucination" in r.criterion_key]
    assert metric_results, "the default pilot gate judges the hallucination rate"
    for result in metric_results:
        assert "Hallucination rate" in result.label and "hallucination_rate" not in result.label
        assert "hallucination_rate" not in result.reason
        assert result.criterion_key == "pilot_hallucination_rate"
