"""A small portfolio built only through the public API, one pilot per cell of the
decision table (and the cases around it), each pilot's signal and reasons checked.

Every pilot has the same workbooks except for the numbers that put it in its cell:
- value: adoption_rate, baseline 0, target 40 -> clear at 45, promising at 30, weak at 6;
- reliability: error_rate (target 2, rollback trigger above 5), uptime_pct (target 99.5),
  tool_call_success_rate (target 95) -> stable when all meet their target, weak with
  error_rate at 3 (one of three missed), high burden with error_rate at 8 (past the trigger);
- economics: planned benefit 200,000 or 20,000 on 100,000 transactions at 0.50
  -> net 150,000 (acceptable) or -30,000 (failing).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.utils import timezone

from metrics.models import PilotSignal
from metrics.signal import DECISION_TABLE, RULES

pytestmark = pytest.mark.django_db

VALUE = {"clear": 45, "promising": 30, "weak": 6}
ERROR_RATE = {"stable": 1, "weak": 3, "high_burden": 8}
BENEFIT = {"acceptable": 200_000, "failing": 20_000}
NET = {"acceptable": "150000.00", "failing": "-30000.00"}


def register(api, name: str) -> int:
    response = api.post(
        "/api/pilots/",
        {"name": name, "business_unit": "Ops", "risk_tier": "low", "summary": "s"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def configure(api, pk: int, *, benefit: int, stop: dict | None = None) -> None:
    strategy = {
        "expected_annual_benefit": benefit,
        "annual_volume": 100_000,
        "cost_per_transaction": "0.50",
        "human_review_rate_pct": 0,
        "minutes_per_review": 0,
        "loaded_hourly_cost": 0,
        "failure_handling_cost": 0,
        "one_time_build_cost": 0,
        "success_metrics": [
            {"metric": "adoption_rate", "baseline": 0, "target": 40},
            {"metric": "error_rate", "baseline": 5, "target": 2},
            {"metric": "uptime_pct", "baseline": 99, "target": 99.5},
            {"metric": "tool_call_success_rate", "baseline": 90, "target": 95},
        ],
        "stop_conditions": [stop] if stop else [],
    }
    response = api.patch(f"/api/pilots/{pk}/workbooks/strategy/", strategy, format="json")
    assert response.status_code == 200, response.json()
    deployment = {
        "rollback_triggers": [{"metric": "error_rate", "threshold": 5, "action": "disable_ai"}]
    }
    response = api.patch(f"/api/pilots/{pk}/workbooks/deployment/", deployment, format="json")
    assert response.status_code == 200, response.json()


def push(api, pk: int, values: dict[str, float]) -> None:
    at = (timezone.now() - timedelta(hours=2)).replace(microsecond=0).isoformat()
    rows = [{"pilot": pk, "metric": k, "observed_at": at, "value": v} for k, v in values.items()]
    response = api.post("/api/snapshots/", {"source": "test", "rows": rows}, format="json")
    assert response.status_code == 200, response.json()


def readings(value: str, reliability: str) -> dict[str, float]:
    return {
        "adoption_rate": VALUE[value],
        "error_rate": ERROR_RATE[reliability],
        "uptime_pct": 99.9,
        "tool_call_success_rate": 99,
    }


@pytest.fixture
def portfolio(owner, api_for, eager_celery, django_capture_on_commit_callbacks):
    api = api_for(owner)
    pilots: dict[str, int] = {}
    with django_capture_on_commit_callbacks(execute=True):
        for value, reliability, economics in itertools.product(VALUE, ERROR_RATE, BENEFIT):
            name = f"{value}/{reliability}/{economics}"
            pk = pilots[name] = register(api, name)
            configure(api, pk, benefit=BENEFIT[economics])
            push(api, pk, readings(value, reliability))
        # Issue 14 item 2: the plan says 150,000 a year, a transaction costs 6x the case.
        pk = pilots["measured cost"] = register(api, "measured cost")
        configure(api, pk, benefit=BENEFIT["acceptable"])
        push(api, pk, readings("clear", "stable") | {"cost_per_transaction": 3.0})
        # A stop condition whose by-date has come: stop, whatever the table says.
        pk = pilots["stop condition"] = register(api, "stop condition")
        today = timezone.now().date()
        configure(
            api,
            pk,
            benefit=BENEFIT["acceptable"],
            stop={
                "metric": "adoption_rate",
                "threshold": 10,
                "by_date": str(today),
                "action": "end",
            },
        )
        push(api, pk, readings("weak", "stable"))
        # No data at all.
        pk = pilots["no data"] = register(api, "no data")
        configure(api, pk, benefit=BENEFIT["acceptable"])
    return api, pilots


def signal_of(api, pk: int) -> dict:
    response = api.get(f"/api/pilots/{pk}/signal/")
    assert response.status_code == 200
    return response.json()


def test_every_cell_of_the_decision_table_through_the_api(portfolio):
    api, pilots = portfolio
    for (value, reliability, economics), (code, rule) in DECISION_TABLE.items():
        body = signal_of(api, pilots[f"{value}/{reliability}/{economics}"])
        explained = body["explanation"]
        assert explained["cell"] == {
            "value": value,
            "reliability": reliability,
            "economics": economics,
        }, (value, reliability, economics)
        assert body["code"] == explained["table_signal"] == code
        assert explained["rule"] == RULES[rule][0]
        assert body["economics"]["basis"] == "planned"
        assert body["economics"]["planned_net_value"] == NET[economics]
        assert body["economics"]["realized_net_value"] is None
        assert body["stop_recommended"] is (code == "stop")
        # The stored copy (what the dashboard reads) agrees.
        assert PilotSignal.objects.get(pk=pilots[f"{value}/{reliability}/{economics}"]).code == code

    # The reasons name the inputs of the cell.
    weak = signal_of(api, pilots["weak/high_burden/acceptable"])
    assert weak["reasons"][0] == "Value weak and operating burden high: stop"
    assert weak["explanation"]["rule_from_source"] is True
    assert (
        "Adoption rate is 6%, target 40% from a baseline of 0% (15% of the way)"
        in weak["explanation"]["inputs"]["value"]
    )
    assert "Error rate is 8%, past its threshold 5%" in weak["explanation"]["inputs"]["reliability"]
    scale = signal_of(api, pilots["clear/stable/acceptable"])
    assert (
        scale["reasons"][0] == "Value clear, operations stable, costs acceptable: scale carefully"
    )
    assert scale["explanation"]["inputs"]["economics"] == [
        "Planned net annual value is €150,000 (no measured costs yet)"
    ]
    unproven = signal_of(api, pilots["promising/stable/acceptable"])
    assert unproven["code"] == "hold"
    assert unproven["explanation"]["rule_from_source"] is False

    body = signal_of(api, pilots["measured cost"])
    assert body["economics"]["basis"] == "realised"
    assert body["economics"]["planned_net_value"] == "150000.00"
    # 100,000 transactions at 3.00 against a benefit of 200,000.
    assert body["economics"]["realized_net_value"] == "-100000.00"
    assert body["economics"]["realised"]["measured"] == ["cost per transaction"]
    assert body["code"] == "redesign"
    assert body["explanation"]["inputs"]["economics"][0] == (
        "Realized net annual value is -€100,000 (measured cost per transaction; planned "
        "benefit); planned €150,000"
    )

    body = signal_of(api, pilots["stop condition"])
    assert body["explanation"]["table_signal"] == "redesign"
    assert (body["code"], body["stop_recommended"]) == ("stop", True)
    assert body["reasons"][0].startswith("Stop condition met: Adoption rate is 6% (< 10%, in force")

    body = signal_of(api, pilots["no data"])
    assert body["code"] == "insufficient_data"
    assert body["reporting"] is False and body["last_data_at"] is None


def test_the_signal_api_hides_pilots_the_reader_may_not_see(owner, outsider, api_for):
    from portfolio.models import Pilot

    pk = register(api_for(owner), "secret")
    Pilot.objects.filter(pk=pk).update(confidential=True)
    assert api_for(owner).get(f"/api/pilots/{pk}/signal/").status_code == 200
    assert api_for(outsider).get(f"/api/pilots/{pk}/signal/").status_code == 404
    assert api_for(None).get(f"/api/pilots/{pk}/signal/").status_code in (401, 403)


def test_stop_condition_by_date_tomorrow_does_not_count_yet(
    owner, api_for, eager_celery, django_capture_on_commit_callbacks
):
    """Alerts and the signal read the by-date the same way (item 5)."""
    from metrics.models import Alert

    api = api_for(owner)
    tomorrow = timezone.now().date() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        pk = register(api, "not yet")
        configure(
            api,
            pk,
            benefit=BENEFIT["acceptable"],
            stop={
                "metric": "adoption_rate",
                "threshold": 10,
                "by_date": str(tomorrow),
                "action": "end",
            },
        )
        push(api, pk, readings("clear", "stable") | {"adoption_rate": 6})
    body = signal_of(api, pk)
    assert not body["explanation"]["stop_conditions_met"]
    assert not Alert.objects.filter(pilot_id=pk, kind="stop").exists()
    assert date.fromisoformat(str(tomorrow)) > timezone.now().date()
