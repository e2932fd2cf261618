from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import AuditEvent, PilotRole
from gates.services import pilot_transition
from portfolio.workbooks import models as m
from portfolio.workbooks.services import (
    workbook_replace,
    workbook_row_add,
    workbook_row_remove,
    workbook_save,
)
from tests.factories import PilotFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_partial_save_keeps_good_fields_and_names_the_bad_ones(pilot, owner):
    result = workbook_save(
        pilot=pilot,
        phase="strategy",
        by=owner,
        data={
            "kpi": "Cost per claim",
            "annual_volume": "-5",
            "cost_per_transaction": "abc",
            "human_review_rate_pct": "120",
            "expected_annual_benefit": "NaN",
            "loaded_hourly_cost": "Infinity",
            "minutes_per_review": "4.5",
        },
    )
    assert set(result.errors) == {
        "annual_volume",
        "cost_per_transaction",
        "human_review_rate_pct",
        "expected_annual_benefit",
        "loaded_hourly_cost",
    }
    workbook = m.StrategyWorkbook.objects.get(pilot=pilot)
    assert workbook.kpi == "Cost per claim"
    assert workbook.minutes_per_review == Decimal("4.5")
    assert workbook.annual_volume is None and workbook.human_review_rate_pct is None


def test_a_save_writes_one_audit_event_with_changed_fields_before_and_after(pilot, owner):
    workbook_save(pilot=pilot, phase="strategy", by=owner, data={"kpi": "A", "why_now": "x"})
    workbook_save(pilot=pilot, phase="strategy", by=owner, data={"kpi": "B", "why_now": "x"})
    events = list(AuditEvent.objects.filter(action="workbook.update").order_by("id"))
    assert len(events) == 2
    assert events[1].before == {"phase": "strategy", "kpi": "A"}
    assert events[1].after == {"phase": "strategy", "kpi": "B"}
    assert events[1].actor == owner and events[1].pilot_id == pilot.pk


def test_saving_nothing_new_writes_no_event(pilot, owner):
    workbook_save(pilot=pilot, phase="strategy", by=owner, data={"kpi": "A"})
    workbook_save(pilot=pilot, phase="strategy", by=owner, data={"kpi": "A"})
    assert AuditEvent.objects.filter(action="workbook.update").count() == 1


def test_people_must_exist_and_be_active(pilot, owner):
    UserFactory(username="gone", is_active=False)
    result = workbook_save(
        pilot=pilot,
        phase="strategy",
        by=owner,
        data={"business_owner": "nobody", "delivery_lead": "gone"},
    )
    assert "Business owner: no user named “nobody”" in result.errors["business_owner"][0]
    assert "not an active user" in result.errors["delivery_lead"][0]
    result = workbook_save(pilot=pilot, phase="strategy", by=owner, data={"delivery_lead": "owner"})
    assert result.ok and result.workbook.delivery_lead == owner


def test_html_is_stored_exactly_as_typed(pilot, owner):
    text = "<script>alert('x')</script> & <b>bold</b>"
    workbook_save(pilot=pilot, phase="strategy", by=owner, data={"business_problem": text})
    assert m.StrategyWorkbook.objects.get(pilot=pilot).business_problem == text


def test_text_over_the_limit_is_refused_by_name(pilot, owner):
    result = workbook_save(pilot=pilot, phase="strategy", by=owner, data={"kpi": "k" * 201})
    assert "at most 200 characters" in result.errors["kpi"][0]


def test_success_metric_target_must_improve_in_the_metric_direction(pilot, owner):
    bad = workbook_row_add(
        pilot=pilot,
        phase="strategy",
        list_name="success_metrics",
        by=owner,
        data={"metric": "error_rate", "baseline": "5", "target": "7"},
    )
    assert not bad.ok and "below the baseline" in bad.form.errors["target"][0]
    good = workbook_row_add(
        pilot=pilot,
        phase="strategy",
        list_name="success_metrics",
        by=owner,
        data={"metric": "uptime_pct", "baseline": "95", "target": "99.5"},
    )
    assert good.ok and good.row.metric_id == "uptime_pct"
    event = AuditEvent.objects.get(action="workbook.row_add")
    assert event.after["metric"] == "uptime_pct" and event.after["list"] == "success_metrics"


def test_unknown_metric_keys_and_out_of_range_values_are_refused(pilot, owner):
    result = workbook_row_add(
        pilot=pilot,
        phase="monitoring",
        list_name="monitored_metrics",
        by=owner,
        data={"metric": "made_up", "source": "x", "threshold": "1"},
    )
    assert "Unknown metric key “made_up”" in result.form.errors["metric"][0]
    result = workbook_row_add(
        pilot=pilot,
        phase="monitoring",
        list_name="monitored_metrics",
        by=owner,
        data={"metric": "error_rate", "source": "x", "threshold": "140"},
    )
    assert "ranges from 0 to 100" in result.form.errors["threshold"][0]


def test_stop_condition_in_the_past_is_refused(pilot, owner):
    data = {"metric": "error_rate", "threshold": "9", "action": "end"}
    past = (date.today() - timedelta(days=1)).isoformat()
    result = workbook_row_add(
        pilot=pilot,
        phase="strategy",
        list_name="stop_conditions",
        by=owner,
        data={**data, "by_date": past},
    )
    assert "in the past" in result.form.errors["by_date"][0]
    future = (date.today() + timedelta(days=60)).isoformat()
    assert workbook_row_add(
        pilot=pilot,
        phase="strategy",
        list_name="stop_conditions",
        by=owner,
        data={**data, "by_date": future},
    ).ok


def test_evidence_link_must_be_http(pilot, owner):
    result = workbook_row_add(
        pilot=pilot,
        phase="deployment",
        list_name="test_results",
        by=owner,
        data={"category": "functional", "status": "passed", "evidence_url": "javascript:alert(1)"},
    )
    assert "http" in result.form.errors["evidence_url"][0]
    result = workbook_save(
        pilot=pilot,
        phase="data",
        by=owner,
        data={"bias_review_evidence_url": "ftp://example.com/x"},
    )
    assert "bias_review_evidence_url" in result.errors


def test_test_result_for_a_recorded_category_replaces_it(pilot, owner):
    for status in ("failed", "passed"):
        result = workbook_row_add(
            pilot=pilot,
            phase="deployment",
            list_name="test_results",
            by=owner,
            data={"category": "functional", "status": status, "tester": "owner"},
        )
        assert result.ok
    assert list(m.TestResult.objects.filter(pilot=pilot).values_list("status", flat=True)) == [
        "passed"
    ]
    event = AuditEvent.objects.get(action="workbook.row_update")
    assert event.before["status"] == "failed" and event.after["status"] == "passed"


def test_removing_a_row_is_audited_and_only_within_the_pilot(pilot, owner):
    row = m.RolloutStep.objects.create(pilot=pilot, description="Ten percent", traffic_pct=10)
    other = m.RolloutStep.objects.create(pilot=PilotFactory(owner=owner), description="x")
    with pytest.raises(Http404):
        workbook_row_remove(
            pilot=pilot, phase="deployment", list_name="rollout_steps", row_id=other.pk, by=owner
        )
    workbook_row_remove(
        pilot=pilot, phase="deployment", list_name="rollout_steps", row_id=row.pk, by=owner
    )
    assert not m.RolloutStep.objects.filter(pk=row.pk).exists()
    event = AuditEvent.objects.get(action="workbook.row_remove")
    assert event.before["description"] == "Ten percent" and event.after == {}


def test_only_owners_edit_and_operations_lead_edits_operations(pilot, owner, outsider, executive):
    with pytest.raises(PermissionDenied):
        workbook_save(pilot=pilot, phase="strategy", by=outsider, data={"kpi": "x"})
    with pytest.raises(PermissionDenied):
        workbook_save(pilot=pilot, phase="strategy", by=executive, data={"kpi": "x"})
    ops = UserFactory(username="ops", roles=["contributor"])
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops)
    assert workbook_save(
        pilot=pilot, phase="operations", by=ops, data={"maintenance_team": "AI Ops"}
    ).ok
    with pytest.raises(PermissionDenied):
        workbook_save(pilot=pilot, phase="strategy", by=ops, data={"kpi": "x"})
    assert not AuditEvent.objects.filter(action="workbook.update", actor=outsider).exists()


def test_confidential_pilot_is_404_for_outsiders(confidential_pilot, outsider):
    with pytest.raises(Http404):
        workbook_save(pilot=confidential_pilot, phase="strategy", by=outsider, data={"kpi": "x"})


def test_stopped_pilot_is_read_only_for_everyone(pilot, owner, admin_user):
    pilot = pilot_transition(pilot=pilot, by=admin_user, to_status="stopped", reason="test")
    with pytest.raises(PermissionDenied, match="stopped"):
        workbook_save(pilot=pilot, phase="strategy", by=owner, data={"kpi": "x"})


def test_replace_keeps_a_list_with_a_bad_row_and_stores_the_rest(pilot, owner):
    m.SuccessMetric.objects.create(pilot=pilot, metric_id="error_rate", baseline=5, target=2)
    result = workbook_replace(
        pilot=pilot,
        phase="strategy",
        by=owner,
        partial=True,
        data={
            "kpi": "Claims per day",
            "annual_volume": "lots",
            "success_metrics": [
                {"metric": "uptime_pct", "baseline": 90, "target": 99},
                {"metric": "error_rate", "baseline": 5, "target": 9},
            ],
            "stop_conditions": [
                {
                    "metric": "error_rate",
                    "threshold": 10,
                    "by_date": (date.today() + timedelta(days=9)).isoformat(),
                    "action": "end",
                }
            ],
        },
    )
    assert set(result.errors) == {"annual_volume", "success_metrics[1].target"}
    assert m.StrategyWorkbook.objects.get(pilot=pilot).kpi == "Claims per day"
    assert list(m.SuccessMetric.objects.filter(pilot=pilot).values_list("metric", flat=True)) == [
        "error_rate"
    ]
    assert m.StopCondition.objects.filter(pilot=pilot).count() == 1
    event = AuditEvent.objects.get(action="workbook.update")
    assert event.after["kpi"] == "Claims per day"
    assert event.after["stop_conditions"][0]["action"] == "end"
    assert "success_metrics" not in event.after


@pytest.mark.parametrize(
    ("phase", "data", "field"),
    [
        ("deployment", {"first_traffic_slice_pct": "150"}, "first_traffic_slice_pct"),
        ("deployment", {"first_traffic_slice_pct": "-1"}, "first_traffic_slice_pct"),
        ("deployment", {"latency_budget_ms": "-5"}, "latency_budget_ms"),
        ("deployment", {"latency_budget_ms": "fast"}, "latency_budget_ms"),
        ("operations", {"next_review_date": "someday"}, "next_review_date"),
        ("operations", {"review_cadence": "hourly"}, "review_cadence"),
        ("operations", {"kill_switch_owner": "nobody"}, "kill_switch_owner"),
        ("data", {"quality_reviewer": "nobody"}, "quality_reviewer"),
        ("strategy", {"failure_handling_cost": "-0.01"}, "failure_handling_cost"),
        ("strategy", {"one_time_build_cost": "1e400"}, "one_time_build_cost"),
    ],
)
def test_each_bad_field_is_named_and_the_rest_is_kept(phase, data, field, pilot, owner):
    spec_field = {"deployment": "fallback", "operations": "maintenance_team"}.get(
        phase, "acceptance_criteria" if phase == "data" else "why_now"
    )
    result = workbook_save(
        pilot=pilot, phase=phase, by=owner, data={**data, spec_field: "Kept <b>as typed</b>"}
    )
    assert list(result.errors) == [field]
    from portfolio.workbooks.spec import SPECS

    workbook = SPECS[phase].model.objects.get(pilot=pilot)
    assert getattr(workbook, spec_field) == "Kept <b>as typed</b>"


@pytest.mark.parametrize(
    ("list_name", "data", "field"),
    [
        ("rollout_steps", {"description": "x", "traffic_pct": "101"}, "traffic_pct"),
        ("manual_steps", {"description": "x", "minutes_per_week": "-3"}, "minutes_per_week"),
        ("manual_steps", {"description": "x" * 501, "minutes_per_week": "3"}, "description"),
        (
            "rollback_triggers",
            {"metric": "error_rate", "threshold": "5", "action": "panic"},
            "action",
        ),
        (
            "rollback_triggers",
            {
                "metric": "error_rate",
                "threshold": "5",
                "action": "disable_ai",
                "decision_owner": "x",
            },
            "decision_owner",
        ),
    ],
)
def test_bad_rows_are_refused_by_field(list_name, data, field, pilot, owner):
    phase = "data" if list_name == "manual_steps" else "deployment"
    result = workbook_row_add(pilot=pilot, phase=phase, list_name=list_name, by=owner, data=data)
    assert not result.ok and list(result.form.errors) == [field]


def test_a_metric_is_monitored_once_per_pilot(pilot, owner):
    data = {"metric": "error_rate", "source": "logs", "threshold": "2"}
    kwargs = {"pilot": pilot, "phase": "monitoring", "list_name": "monitored_metrics", "by": owner}
    assert workbook_row_add(**kwargs, data=data).ok
    again = workbook_row_add(**kwargs, data=data)
    assert not again.ok and "already in this list" in again.form.errors["metric"][0]
    assert m.MonitoredMetric.objects.filter(pilot=pilot).count() == 1
    other = PilotFactory(owner=owner)
    assert workbook_row_add(**{**kwargs, "pilot": other}, data=data).ok
