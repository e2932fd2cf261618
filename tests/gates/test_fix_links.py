"""gates.fix_links: every criterion result leads to the field, list or page that fixes it."""

import pytest
from django.urls import reverse

from gates import engine
from gates.fix_links import fix_url, prime
from gates.selectors import gates_with_current_version
from portfolio.workbooks.spec import SPECS

WORKBOOK_KINDS = {engine.FIELD_PRESENT, engine.LIST_MIN_ROWS, engine.WORKBOOK_COMPLETE}


def _result(key: str, status: str = engine.FAIL) -> engine.Result:
    return engine.Result(criterion_key=key, label=key, status=status, reason="r", mandatory=True)


def _workbook(pilot, phase: str) -> str:
    return reverse("portfolio:workbook", args=[pilot.pk, phase])


@pytest.mark.parametrize(
    ("key", "phase", "anchor"),
    [
        ("strategy_kpi", "strategy", "field-kpi"),
        ("strategy_business_owner", "strategy", "field-business_owner"),
        ("strategy_success_metrics", "strategy", "list-success_metrics"),
        ("data_quality_reviewer", "data", "field-quality_reviewer"),
        ("data_complete", "data", "wb-progress"),
        ("deployment_tests_passed", "deployment", "list-test_results"),
        ("operations_runbooks", "operations", "list-runbooks"),
        ("data_manual_steps_cost", "data", "list-manual_steps"),
    ],
)
def test_workbook_criteria_lead_to_their_field_or_list(pilot, key, phase, anchor):
    assert fix_url(pilot, _result(key)) == f"{_workbook(pilot, phase)}#{anchor}"


def test_every_workbook_anchor_a_default_criterion_names_is_on_its_page(pilot, owner, client_for):
    client = client_for(owner)
    pages = {phase: client.get(_workbook(pilot, phase)).content.decode() for phase in SPECS}
    checked = 0
    for _gate, version in gates_with_current_version():
        for criterion in version.as_criteria():
            if criterion.kind not in WORKBOOK_KINDS:
                continue
            url = fix_url(pilot, _result(criterion.key))
            phase = criterion.params["phase"]
            if phase not in SPECS:  # the metric sources: a section of the pilot page
                assert url == f"{pilot.get_absolute_url()}#metric-sources"
                continue
            path, anchor = url.split("#")
            assert path == _workbook(pilot, phase)
            assert f'id="{anchor}"' in pages[phase], (criterion.key, anchor)
            checked += 1
    assert checked > 20


def test_metric_rules_lead_to_the_missing_limit_or_to_the_metric(pilot):
    missing_target = _result("pilot_hallucination_rate", engine.MISSING)
    assert fix_url(pilot, missing_target) == (
        f"{_workbook(pilot, 'strategy')}#list-success_metrics"
    )
    missing_threshold = _result("live_error_rate", engine.MISSING)
    assert fix_url(pilot, missing_threshold) == (
        f"{_workbook(pilot, 'monitoring')}#list-monitored_metrics"
    )
    failing = _result("live_error_rate", engine.FAIL)
    assert fix_url(pilot, failing) == f"{pilot.get_absolute_url()}#metric-error_rate"


def test_roles_alerts_and_a_frozen_result_dict(pilot):
    assert fix_url(pilot, _result("operations_roles_named")) == reverse(
        "portfolio:pilot_roles", args=[pilot.pk]
    )
    assert fix_url(pilot, _result("no_open_alerts")) == f"{pilot.get_absolute_url()}#alerts"
    frozen = _result("strategy_kpi").to_dict()  # as a review keeps it
    assert fix_url(pilot, frozen).endswith("/workbooks/strategy/#field-kpi")


def test_an_unknown_or_malformed_criterion_has_no_link(pilot):
    assert fix_url(pilot, _result("no_such_criterion")) is None
    assert fix_url(pilot, {"criterion_key": None}) is None
    broken = engine.Criterion(key="broken", kind=engine.FIELD_PRESENT, label="b", params={})
    prime(pilot, [broken])
    assert fix_url(pilot, _result("broken")) is None


def test_primed_criteria_read_no_database(pilot, django_assert_num_queries):
    criterion = engine.Criterion(
        key="custom_field",
        kind=engine.FIELD_PRESENT,
        label="Custom",
        params={"phase": "operations", "field": "escalation_path"},
    )
    prime(pilot, [criterion])
    with django_assert_num_queries(0):
        url = fix_url(pilot, _result("custom_field"))
    assert url == f"{_workbook(pilot, 'operations')}#field-escalation_path"
