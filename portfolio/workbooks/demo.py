"""Demo workbooks, filled to a degree that fits each pilot's stage.

Discovery pilots have a partly filled strategy workbook; pilot-stage ones a complete
strategy and a started data workbook; readiness ones complete strategy and data and
started deployment and operations; scale pilots have all five complete. Written through
the services (one audit event per workbook), as the pilot's business owner.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portfolio.models import STAGE_ORDER, Pilot
from portfolio.workbooks import models as m
from portfolio.workbooks.services import workbook_replace


def _strategy(pilot: Pilot, owner: str, lead: str, n: int, complete: bool) -> dict:
    soon = (timezone.localdate() + timedelta(days=60 + n)).isoformat()
    data = {
        "business_problem": f"{pilot.summary} Today this takes skilled people hours every week "
        "and slows the decisions that depend on it.",
        "target_workflow": f"The {pilot.business_unit} team's daily queue, intake to decision.",
        "kpi": f"{pilot.business_unit} cycle time",
        "business_owner": owner,
        "expected_annual_benefit": str(150_000 + 25_000 * (n % 8)),
        "annual_volume": str(40_000 + 15_000 * (n % 6)),
        "success_metrics": [
            {"metric": "hallucination_rate", "baseline": 6, "target": 2, "how_measured": "QA"}
        ],
    }
    if complete:
        data.update(
            decision_improved="Which cases need a specialist and which can go straight through.",
            why_now="Volumes grew a third this year while the team stayed the same size.",
            delivery_lead=lead,
            primary_risk="Confident but wrong answers reaching customers unchecked.",
            readiness_criteria="Pilot metrics meet their targets for 30 days; owners sign off.",
            cost_per_transaction=f"0.{12 + n % 20:02d}",
            human_review_rate_pct=str(10 + n % 15),
            minutes_per_review="3",
            loaded_hourly_cost="55",
            failure_handling_cost=str(8_000 + 500 * (n % 10)),
            one_time_build_cost=str(60_000 + 10_000 * (n % 5)),
        )
        data["success_metrics"] += [
            {"metric": "tool_call_success_rate", "baseline": 90, "target": 97},
            {"metric": "outcome_quality", "baseline": 70, "target": 80},
            {"metric": "p95_latency_ms", "baseline": 2500, "target": 1200},
        ]
        data["stop_conditions"] = [
            {"metric": "hallucination_rate", "threshold": 8, "by_date": soon, "action": "end"},
            {"metric": "adoption_rate", "threshold": 20, "by_date": soon, "action": "revise"},
        ]
    return data


def _data(owner: str, reviewer: str, complete: bool) -> dict:
    data = {
        "acceptance_criteria": "At least 95% of sampled outputs rated correct by the reviewer.",
        "data_sources": [
            {
                "system": "Case management system",
                "fields": "case id, category, free text, outcome",
                "data_owner": "Operations data team",
                "extraction_method": "api",
                "freshness": "every 15 minutes",
                "access_approved": True,
            }
        ],
        "manual_steps": [
            {"description": "Weekly export of reference tables", "minutes_per_week": 45}
        ],
    }
    if complete:
        data.update(
            bias_review="Checked outcomes by region and customer segment; no gap above 2 points.",
            quality_reviewer=reviewer,
            validation_layers=[
                {"layer": "data", "status": "passed"},
                {"layer": "model", "status": "passed"},
                {"layer": "business", "status": "passed", "concern": ""},
            ],
        )
    return data


def _deployment(tester: str, owner: str, complete: bool) -> dict:
    categories = ["functional", "performance", "reliability", "safety_security", "ethical"]
    done = categories if complete else categories[:3]
    data = {
        "latency_budget_ms": 1500,
        "fallback": "Cases go to the existing manual queue.",
        "first_traffic_slice_pct": 10,
        "rollout_user_group": "One regional team",
        "test_results": [
            {
                "category": c,
                "status": "passed",
                "tester": tester,
                "evidence_url": "https://wiki.example.com/tests",
            }
            for c in done
        ],
        "rollout_steps": [{"description": "10% of one team's queue", "traffic_pct": 10}],
    }
    if complete:
        data.update(
            prior_workflow_kept=True,
            expected_concurrency=40,
            vendor_limits="600 requests per minute on the model API.",
            rollback_triggers=[
                {
                    "metric": "error_rate",
                    "threshold": 5,
                    "action": "disable_ai",
                    "decision_owner": owner,
                },
                {"metric": "p95_latency_ms", "threshold": 3000, "action": "human_review"},
            ],
        )
        data["rollout_steps"].append({"description": "Whole region", "traffic_pct": 50})
    return data


def _operations(ops: str, owner: str, complete: bool) -> dict:
    data = {"maintenance_team": "AI Platform team", "knowledge_owner": ops}
    if complete:
        data.update(
            escalation_path="On-call engineer, then the technical owner, then the business owner.",
            review_cadence="monthly",
            next_review_date=(timezone.localdate() + timedelta(days=30)).isoformat(),
            kill_switch_owner=owner,
            runbooks=[
                {"scenario": s, "title": t, "steps": "Check the dashboard; follow the wiki page."}
                for s, t in (
                    ("degraded_answers", "Answers get worse"),
                    ("wrong_routing", "Cases land in the wrong queue"),
                    ("tool_unavailable", "A tool or API is down"),
                    ("user_complaints", "Users complain"),
                )
            ],
        )
    return data


def _monitoring() -> dict:
    return {
        "roi_baseline": "Manual handling cost per case before the pilot: 4.10.",
        "scaling_criteria": "Thirty days inside every threshold and ROI above plan.",
        "monitored_metrics": [
            {"metric": "hallucination_rate", "source": "QA sampling", "threshold": 3},
            {"metric": "error_rate", "source": "Application logs", "threshold": 2},
            {"metric": "tool_call_success_rate", "source": "Prometheus", "threshold": 95},
            {"metric": "p95_latency_ms", "source": "Prometheus", "threshold": 1500},
            {"metric": "uptime_pct", "source": "Status checks", "threshold": 99},
        ],
    }


@transaction.atomic  # one commit per pilot instead of one per workbook
def fill(pilot: Pilot, users: dict, stage: str | None = None) -> bool:
    """Fill the workbooks of one pilot for `stage` (default: its stage). Idempotent: a pilot
    with a strategy workbook is left alone. Returns True when something was written."""
    if m.StrategyWorkbook.objects.filter(pilot=pilot).exists() or pilot.is_stopped:
        return False
    people = _people(pilot, users)
    if people is None:
        return False
    owner_user, owner, lead, ops, reviewer = people
    level = STAGE_ORDER.index(stage or pilot.stage)
    n = pilot.pk
    plan = [("strategy", _strategy(pilot, owner, lead, n, complete=level >= 1))]
    if level >= 1:
        plan.append(("data", _data(owner, reviewer, complete=level >= 2)))
    if level >= 2:
        plan.append(("deployment", _deployment(lead, owner, complete=level >= 3)))
        plan.append(("operations", _operations(ops, owner, complete=level >= 3)))
    if level >= 3:
        plan.append(("monitoring", _monitoring()))
    for phase, data in plan:
        _write(pilot, phase, owner_user, data)
    return True


def complete(pilot: Pilot, users: dict, phase: str) -> None:
    """Finish the strategy or data workbook of a pilot, as its business owner does before
    asking for the gate review that needs it."""
    people = _people(pilot, users)
    if people is None:
        raise ValueError(f"Demo pilot {pilot} has no business owner")
    owner_user, owner, lead, _ops, reviewer = people
    builders = {
        "strategy": lambda: _strategy(pilot, owner, lead, pilot.pk, complete=True),
        "data": lambda: _data(owner, reviewer, complete=True),
    }
    _write(pilot, phase, owner_user, builders[phase]())


def _people(pilot: Pilot, users: dict):
    """(owner user, owner, delivery lead, operations lead, quality reviewer) or None."""
    holders = {r.role: r.user for r in pilot.roles.select_related("user")}
    owner_user = holders.get("business_owner")
    if owner_user is None:
        return None
    owner = owner_user.get_username()
    lead = holders.get("technical_owner", owner_user).get_username()
    ops = holders.get("operations_lead", owner_user).get_username()
    reviewer = users["rita"].get_username() if "rita" in users else owner
    return owner_user, owner, lead, ops, reviewer


def _write(pilot: Pilot, phase: str, owner_user, data: dict) -> None:
    result = workbook_replace(pilot=pilot, phase=phase, by=owner_user, data=data, partial=True)
    if result.errors:
        raise ValueError(f"Demo workbook {phase} of {pilot} is invalid: {result.errors}")


def seed(context: dict) -> None:
    """Catch-up pass for pilots seeded before workbooks existed (active ones only)."""
    for pilot in context["pilots"]:
        fill(Pilot.objects.get(pk=pilot.pk), context["users"])
