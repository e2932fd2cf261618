"""The screening as a pure function: each classification path and each contradiction."""

from regulation.classify import check, classify
from tests.regulation.conftest import answers


def articles(outcome):
    return {a for c in outcome.conclusions for a in c.articles}


def test_annex_iii_area_makes_a_deployer_high_risk_citing_article_6_2():
    outcome = classify(answers())
    assert check(answers()) == {}
    assert outcome.classification == "high_risk"
    assert outcome.roles == ("deployer",)
    assert {"Art. 6(2)", "Annex III point 4", "Art. 3(4)"} <= articles(outcome)


def test_annex_i_product_is_high_risk_even_outside_annex_iii():
    outcome = classify(answers(annex_i_product="yes", annex_iii_areas=["none"]))
    assert outcome.classification == "high_risk"
    assert {"Art. 6(1)", "Annex I"} <= articles(outcome)


def test_a_prohibited_practice_wins_over_everything_else():
    given = answers(prohibited_practices=["social_scoring"], transparency=["interacts"])
    assert check(given) == {}
    outcome = classify(given)
    assert outcome.classification == "prohibited"
    assert "Art. 5(1)(c)" in articles(outcome)


def test_article_6_3_exception_takes_an_annex_iii_system_out_of_high_risk():
    given = answers(
        exception_claimed="yes",
        exception_grounds=["preparatory"],
        exception_justification="It only sorts incoming CVs by language; recruiters read all.",
        profiles_persons="no",
    )
    assert check(given) == {}
    outcome = classify(given)
    assert outcome.classification == "minimal"
    assert {"Art. 6(3)", "Art. 6(3)(d)", "Art. 6(4)", "Art. 49(2)"} <= articles(outcome)


def test_exception_with_transparency_duty_is_transparency():
    given = answers(
        exception_claimed="yes",
        exception_grounds=["narrow_procedure"],
        exception_justification="It only routes tickets to a queue and never decides on people.",
        profiles_persons="no",
        transparency=["interacts"],
    )
    outcome = classify(given)
    assert outcome.classification == "transparency"
    assert outcome.flags == ("transparency",)
    assert "Art. 50(1)" in articles(outcome)


def test_nothing_applies_is_minimal_citing_ai_literacy():
    outcome = classify(answers(annex_iii_areas=["none"]))
    assert outcome.classification == "minimal"
    assert "Art. 4" in articles(outcome)


def test_exception_is_refused_when_the_system_profiles_people_naming_both_fields():
    problems = check(
        answers(
            exception_claimed="yes",
            exception_grounds=["preparatory"],
            exception_justification="We believe the risk is low because a human decides.",
            profiles_persons="yes",
        )
    )
    assert set(problems) >= {"exception_claimed", "profiles_persons"}
    assert "profiles natural persons" in problems["exception_claimed"]


def test_exception_needs_a_written_justification():
    problems = check(
        answers(exception_claimed="yes", exception_grounds=["preparatory"], profiles_persons="no")
    )
    assert set(problems) == {"exception_justification"}


def test_exception_without_an_annex_iii_area_is_a_contradiction():
    problems = check(
        answers(
            annex_iii_areas=["none"],
            exception_claimed="yes",
            exception_grounds=["preparatory"],
            exception_justification="x" * 50,
            profiles_persons="no",
        )
    )
    assert "Annex III" in problems["exception_claimed"]


def test_none_beside_a_practice_is_a_contradiction():
    problems = check(answers(prohibited_practices=["none", "social_scoring"]))
    assert set(problems) == {"prohibited_practices"}


def test_importer_cannot_also_be_the_provider():
    problems = check(answers(develops="yes", imports="yes"))
    assert set(problems) == {"develops", "imports"}


def test_no_role_at_all_is_refused():
    problems = check(answers(uses="no"))
    assert set(problems) == {"develops", "uses"}


def test_unanswered_questions_are_named():
    problems = check({})
    assert {"prohibited_practices", "annex_iii_areas", "transparency", "gpai", "uses"} <= set(
        problems
    )


def test_fria_applies_to_a_deployer_scoring_credit():
    outcome = classify(answers(annex_iii_areas=["essential_services"]))
    assert "fria" in outcome.flags
    assert "Art. 27(1)" in articles(outcome)
    assert "fria" not in classify(answers()).flags


def test_rebranding_makes_a_deployer_a_provider_too():
    outcome = classify(answers(rebrands="yes"))
    assert outcome.roles == ("provider", "deployer")
    assert "Art. 25(1)" in articles(outcome)
