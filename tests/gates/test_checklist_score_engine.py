"""The ML Test Score as a gate criterion, evaluated by the pure engine (no database).

A section scores the sum of its items (0, 0.5 or 1 each); the overall score is the lowest
section; a `checklist_min_score` criterion passes when that score reaches its minimum.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates.checklists import ML_TEST_SCORE, checklist_score_facts, score_facts, section_scores
from gates.engine import FAIL, PASS, Criterion, PilotFacts, Waiver, evaluate

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)
SECTIONS = ("data", "model", "infrastructure", "monitoring")
STATUS_FOR = {0.0: "", 0.5: "manual", 1.0: "automated"}


def answers(**per_section: float) -> dict[str, str]:
    """Answers giving each named section the score asked for: automated items first, then
    one manual item for a half point; the other items stay unanswered."""
    given: dict[str, str] = {}
    for section, score in per_section.items():
        whole, half = int(score), score - int(score)
        for n in range(1, whole + 1):
            given[f"{section}_{n}"] = "automated"
        if half:
            given[f"{section}_{whole + 1}"] = "manual"
    return given


def facts_for(given: dict[str, str]) -> PilotFacts:
    return PilotFacts(
        risk_tier="medium",
        workbooks={},
        roles={},
        test_results={},
        metrics={},
        metric_targets={},
        metric_thresholds={},
        open_alerts=0,
        checklists={"ml_test_score": score_facts(ML_TEST_SCORE, given)},
    )


def min_score(value: Any, *, checklist: str = "ml_test_score") -> Criterion:
    return Criterion(
        key="ml_test_score_min_score",
        kind="checklist_min_score",
        label="ML Test Score at least",
        params={"checklist": checklist, "min_score": value},
    )


def result(given: dict[str, str], value: Any, **kw: Any):
    return evaluate([min_score(value, **kw)], facts_for(given), now=NOW).results[0]


STRONG = {"data": 7, "model": 7, "infrastructure": 7}


def test_score_exactly_at_the_minimum_passes() -> None:
    outcome = result(answers(**STRONG, monitoring=2), 2)
    assert outcome.status == PASS
    assert outcome.reason.startswith(
        "ML Test Score 2 (lowest section: Monitoring 2); this gate needs at least 2."
    )


def test_half_a_point_below_the_minimum_fails() -> None:
    outcome = result(answers(**STRONG, monitoring=1.5), 2)
    assert outcome.status == FAIL
    assert outcome.reason.startswith(
        "ML Test Score 1.5 (lowest section: Monitoring 1.5); this gate needs at least 2."
    )


def test_the_reason_names_every_section_score() -> None:
    outcome = result(answers(data=7, model=3.5, infrastructure=5, monitoring=1.5), 1)
    assert outcome.status == PASS
    assert outcome.reason.endswith(
        "Sections: Data and features 7; Model and prompts 3.5; Infrastructure 5; Monitoring 1.5"
    )


def test_the_lowest_section_decides_however_strong_the_others_are() -> None:
    # 21 of 28 points, but Model and prompts has none: the score is 0.
    given = answers(data=7, infrastructure=7, monitoring=7)
    outcome = result(given, 0.5)
    assert outcome.status == FAIL
    assert "ML Test Score 0 (lowest section: Model and prompts 0)" in outcome.reason


def test_missing_answers_count_zero() -> None:
    assert result({}, 0.5).status == FAIL
    assert result({}, 0).status == PASS
    # An explicit "not in place" and no answer at all score the same.
    explicit = {f"{s}_{n}": "" for s in SECTIONS for n in range(1, 8)}
    assert result(explicit, 0).reason == result({}, 0).reason


def test_tied_lowest_sections_are_all_named() -> None:
    outcome = result(answers(data=3, model=1, infrastructure=1, monitoring=4), 1.5)
    assert outcome.status == FAIL
    assert "(lowest sections: Model and prompts 1, Infrastructure 1)" in outcome.reason


def test_a_full_score_meets_the_highest_minimum() -> None:
    full = answers(data=7, model=7, infrastructure=7, monitoring=7)
    assert result(full, 7).status == PASS
    assert result(answers(data=7, model=7, infrastructure=7, monitoring=6.5), 7).status == FAIL


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (7.5, "min_score 7.5 is out of range"),
        (-0.5, "min_score -0.5 is out of range"),
        (0.25, "min_score 0.25 is not a multiple of 0.5"),
        ("2", "min_score must be a number from 0 to 7 in steps of 0.5, not '2'"),
        (True, "min_score must be a number"),
        (None, "min_score must be a number"),
        (float("nan"), "is out of range"),
        (float("inf"), "is out of range"),
    ],
)
def test_a_bad_minimum_fails_and_says_what_is_wrong(value: Any, problem: str) -> None:
    outcome = result(answers(**STRONG, monitoring=7), value)
    assert outcome.status == FAIL
    assert outcome.reason.startswith("Criterion 'ml_test_score_min_score' is misconfigured")
    assert problem in outcome.reason


def test_a_checklist_without_a_score_is_misconfigured() -> None:
    outcome = result({}, 1, checklist="nist_ai_rmf")
    assert outcome.status == FAIL
    assert "checklist 'nist_ai_rmf' has no score; scored checklists: ml_test_score" in (
        outcome.reason
    )


def test_missing_params_are_misconfigured_not_a_crash() -> None:
    criterion = Criterion(key="k", kind="checklist_min_score", label="k", params={})
    outcome = evaluate([criterion], facts_for({}), now=NOW).results[0]
    assert outcome.status == FAIL and "misconfigured" in outcome.reason


def test_a_waiver_covers_an_unmet_minimum_until_it_expires() -> None:
    waiver = Waiver(
        criterion_key="ml_test_score_min_score",
        expires_at=datetime(2025, 4, 1, tzinfo=UTC),
        justification="Monitoring lands next sprint",
    )
    evaluation = evaluate([min_score(2)], facts_for({}), now=NOW, waivers=[waiver])
    assert evaluation.passed and evaluation.results[0].waived
    later = datetime(2025, 4, 1, tzinfo=UTC)
    assert not evaluate([min_score(2)], facts_for({}), now=later, waivers=[waiver]).passed


def test_the_engine_and_the_checklist_page_score_alike() -> None:
    given = answers(data=6.5, model=2, infrastructure=3.5, monitoring=0.5)
    engine_sections = [s.score for s in score_facts(ML_TEST_SCORE, given).sections]
    assert engine_sections == list(section_scores(ML_TEST_SCORE, given).values())
    assert engine_sections == [6.5, 2, 3.5, 0.5]


def test_answer_rows_of_other_checklists_and_unknown_items_are_ignored() -> None:
    facts = checklist_score_facts(
        [("ml_test_score", "data_1", "automated"), ("nist_ai_rmf", "govern_1", "addressed"),
         ("ml_test_score", "no_such_item", "automated")]
    )  # fmt: skip
    assert set(facts) == {"ml_test_score"}
    assert [s.score for s in facts["ml_test_score"].sections] == [1, 0, 0, 0]


@pytest.mark.parametrize(
    ("score", "band_scores"),
    [
        (0, "0"),
        (0.5, "0.5 to 1"),
        (1, "0.5 to 1"),
        (1.5, "1.5 to 2"),
        (2, "1.5 to 2"),
        (2.5, "2.5 to 3"),
        (3, "2.5 to 3"),
        (3.5, "3.5 to 5"),
        (5, "3.5 to 5"),
        (5.5, "5.5 to 7"),
        (7, "5.5 to 7"),
    ],
)
def test_each_score_reads_in_the_papers_band(score: float, band_scores: str) -> None:
    assert ML_TEST_SCORE.band(score).scores == band_scores


item_points = st.sampled_from([0.0, 0.5, 1.0, None])
all_answers = st.lists(item_points, min_size=28, max_size=28)


def _given(points: list[float | None]) -> dict[str, str]:
    keys = [f"{s}_{n}" for s in SECTIONS for n in range(1, 8)]
    return {k: STATUS_FOR[p] for k, p in zip(keys, points, strict=True) if p is not None}


@given(all_answers, st.integers(0, 27), st.sampled_from([x / 2 for x in range(15)]))
def test_raising_one_answer_never_turns_a_pass_into_a_fail(
    points: list[float | None], index: int, minimum: float
) -> None:
    before = result(_given(points), minimum).status
    raised = list(points)
    raised[index] = 1.0
    after = result(_given(raised), minimum).status
    assert not (before == PASS and after == FAIL)


@given(all_answers, st.integers(0, 27))
def test_only_the_weakest_section_moves_the_score(points: list[float | None], index: int) -> None:
    given = _given(points)
    facts = score_facts(ML_TEST_SCORE, given)
    section = facts.sections[index // 7]
    raised = list(points)
    raised[index] = 1.0
    new = score_facts(ML_TEST_SCORE, _given(raised))
    if section.score > facts.score:
        assert new.score == facts.score
    assert new.score >= facts.score
