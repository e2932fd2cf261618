"""Criteria as people read them: metric rules with the catalog's metric names and the
operator in words, labels without criterion ids, waivers with their criterion's label."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gates import engine, services
from gates.labels import criteria_labels
from gates.models import CriteriaVersion, Gate, Waiver
from tests.gates.conftest import SIMPLE_CRITERIA

pytestmark = pytest.mark.django_db

IN_WORDS = "Hallucination rate (mean) at or under its target over 30 days"
AS_STORED = "hallucination_rate mean <= its target over 30 days"


def _default(key: str) -> engine.Criterion:
    return next(c for cs in engine.DEFAULT_GATES.values() for c in cs if c.key == key)


def test_a_metric_rule_reads_with_the_metric_name_and_the_operator_in_words():
    params = {"metric": "latency_ms", "aggregate": "p95", "op": ">", "against": "threshold"}
    assert engine.metric_rule_label({**params, "window_days": 7}, "Latency") == (
        "Latency (p95) over its threshold over 7 days"
    )
    assert engine.metric_rule_label(_default("pilot_hallucination_rate").params, "X").startswith(
        "X (mean) at or under its target"
    )


def test_every_default_metric_rule_is_recognised_as_generated():
    """The defaults' labels are what gates.labels rewrites: if the defaults change how they
    write them, this fails rather than the pages quietly showing keys again."""
    rules = [c for cs in engine.DEFAULT_GATES.values() for c in cs if c.kind == engine.METRIC_RULE]
    assert rules
    for c in rules:
        assert c.label == engine.generated_metric_rule_label(c.params), c.key
    assert _default("pilot_hallucination_rate").label == AS_STORED


def test_labels_use_the_catalog_and_keep_what_a_person_wrote():
    rule = _default("pilot_hallucination_rate")
    custom = engine.Criterion.from_dict(
        {**rule.to_dict(), "key": "custom", "label": "Keep hallucination_rate low"}
    )
    unknown = engine.Criterion.from_dict(
        {**rule.to_dict(), "key": "gone", "params": {**rule.params, "metric": "no_such_metric"}}
    )
    unknown = engine.Criterion.from_dict(
        {**unknown.to_dict(), "label": engine.generated_metric_rule_label(unknown.params)}
    )
    labels = criteria_labels([rule, custom, unknown])
    assert labels == {
        "pilot_hallucination_rate": IN_WORDS,
        "custom": "Keep Hallucination rate low",
        "gone": "No such metric (mean) at or under its target over 30 days",
    }


def _metric_gate(mandatory: bool) -> CriteriaVersion:
    """discovery -> pilot also checks the hallucination rate, labelled as the defaults
    store it."""
    rule = {**_default("pilot_hallucination_rate").to_dict(), "mandatory": mandatory}
    gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
    return CriteriaVersion.objects.create(
        gate=gate, number=gate.versions.count() + 1, criteria=[*SIMPLE_CRITERIA, rule], note="t"
    )


@pytest.fixture
def metric_gate(simple_gates):
    return _metric_gate(mandatory=False)


def test_request_page_shows_labels_in_words_and_no_criterion_ids(
    client_for, ready_pilot, owner, metric_gate
):
    html = client_for(owner).get(f"/gates/pilots/{ready_pilot.pk}/request/").content.decode()
    assert f'<th scope="row">{IN_WORDS}</th>' in html
    assert '<th scope="row">Risk lead named</th>' in html
    assert AS_STORED not in html and "hallucination_rate mean" not in html
    assert "(pilot_hallucination_rate)" not in html and "(risk_lead_named)" not in html


def test_pilot_page_and_my_work_name_a_blocking_metric_rule_in_words(
    client_for, ready_pilot, owner, simple_gates
):
    _metric_gate(mandatory=True)
    my_work = client_for(owner).get("/my-work/").content.decode()
    assert f">{IN_WORDS}</a>" in my_work  # a to-do, linked to where to fix it
    pilot_page = client_for(owner).get(ready_pilot.get_absolute_url()).content.decode()
    assert "1 does not pass yet" in pilot_page  # the page counts; the request page lists
    for html in (my_work, pilot_page):
        assert AS_STORED not in html and "pilot_hallucination_rate" not in html


def test_review_page_shows_an_older_frozen_label_in_words(
    client_for, ready_pilot, owner, governance_lead, metric_gate
):
    review = services.review_request(pilot=ready_pilot, to_stage="pilot", by=owner)
    # A review requested before labels were put in words froze the label as stored.
    frozen = review.evaluation
    frozen["results"][-1]["label"] = AS_STORED
    type(review).objects.filter(pk=review.pk).update(evaluation=frozen)
    html = client_for(governance_lead).get(f"/gates/reviews/{review.pk}/").content.decode()
    assert IN_WORDS in html and AS_STORED not in html
    assert "(pilot_hallucination_rate)" not in html


def test_waivers_show_their_criterion_label_on_the_pilot_and_revoke_pages(
    client_for, ready_pilot, governance_lead, second_governance_lead, metric_gate
):
    waiver = services.waiver_grant(
        pilot=ready_pilot,
        criterion_key="pilot_hallucination_rate",
        justification="Source connects next week",
        expires_at=timezone.now() + timedelta(days=5),
        by=second_governance_lead,
    )
    client = client_for(governance_lead)
    pilot_html = client.get(ready_pilot.get_absolute_url()).content.decode()
    assert f"<td>{IN_WORDS}</td>" in pilot_html
    assert f'Revoke waiver<span class="visually-hidden"> of “{IN_WORDS}”</span>' in pilot_html
    assert ">pilot_hallucination_rate<" not in pilot_html
    revoke_html = client.get(f"/gates/waivers/{waiver.pk}/revoke/").content.decode()
    assert f"<dd>{IN_WORDS}</dd>" in revoke_html
    assert "pilot_hallucination_rate" not in revoke_html
    response = client.post(
        f"/gates/waivers/{waiver.pk}/revoke/", {"reason": "Connected"}, follow=True
    )
    assert f"Waiver of “{IN_WORDS}” revoked." in response.content.decode()
    assert Waiver.objects.get().criterion_key == "pilot_hallucination_rate"  # keys stay keys


def test_a_waiver_of_a_passed_gate_still_shows_its_label(
    client_for, ready_pilot, governance_lead, second_governance_lead, metric_gate
):
    waiver = services.waiver_grant(
        pilot=ready_pilot,
        criterion_key="pilot_hallucination_rate",
        justification="Source connects next week",
        expires_at=timezone.now() + timedelta(days=5),
        by=second_governance_lead,
    )
    type(ready_pilot).objects.filter(pk=ready_pilot.pk).update(stage="pilot")  # gate passed
    client = client_for(governance_lead)
    revoke_html = client.get(f"/gates/waivers/{waiver.pk}/revoke/").content.decode()
    assert f"<dd>{IN_WORDS}</dd>" in revoke_html
    assert f"<td>{IN_WORDS}</td>" in client.get(ready_pilot.get_absolute_url()).content.decode()
