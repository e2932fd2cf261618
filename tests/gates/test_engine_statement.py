"""The engine's `statement` criterion (contributed through gates.extensions) and the wording
options of field_present: pure functions, no database."""

from datetime import UTC, datetime, timedelta

from gates import engine

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FACTS = engine.PilotFacts(
    risk_tier="medium",
    workbooks={"operations": engine.WorkbookFacts(False, {"kill_switch_owner": None}, {})},
    roles={},
    test_results={},
    metrics={},
    metric_targets={},
    metric_thresholds={},
    open_alerts=0,
)


def statement(holds, **extra):
    return engine.Criterion(
        key="said",
        kind=engine.STATEMENT,
        label="Said",
        params={"holds": holds, "pass_reason": "It holds", "fail_reason": "It does not", **extra},
    )


def waiver(key):
    return engine.Waiver(criterion_key=key, expires_at=NOW + timedelta(days=1), justification="x")


def test_a_statement_passes_or_fails_with_the_reason_it_was_given():
    passed, failed = (
        engine.evaluate([statement(True)], FACTS, now=NOW).results[0],
        (engine.evaluate([statement(False)], FACTS, now=NOW).results[0]),
    )
    assert (passed.status, passed.reason) == (engine.PASS, "It holds")
    assert (failed.status, failed.reason) == (engine.FAIL, "It does not")
    assert failed.blocks


def test_a_waiver_covers_a_statement_unless_it_says_it_is_not_waivable():
    waived = engine.evaluate([statement(False)], FACTS, now=NOW, waivers=[waiver("said")])
    assert waived.passed
    firm = engine.evaluate(
        [statement(False, waivable=False)], FACTS, now=NOW, waivers=[waiver("said")]
    )
    assert not firm.passed and not firm.results[0].waived


def test_a_statement_without_its_params_is_reported_as_misconfigured():
    broken = engine.Criterion(key="said", kind=engine.STATEMENT, label="Said", params={})
    result = engine.evaluate([broken], FACTS, now=NOW).results[0]
    assert result.status == engine.FAIL and "misconfigured" in result.reason


def test_field_present_can_name_its_subject_in_words():
    criterion = engine.Criterion(
        key="k",
        kind=engine.FIELD_PRESENT,
        label="Oversight",
        params={
            "phase": "operations",
            "field": "kill_switch_owner",
            "subject": "The person who can stop it",
            "unfilled": "is not named yet",
        },
    )
    result = engine.evaluate([criterion], FACTS, now=NOW).results[0]
    assert result.reason == "The person who can stop it is not named yet"
