import pytest
from django.utils import timezone

from tests.factories import PilotFactory, UserFactory


@pytest.fixture
def frozen_now():
    return timezone.now()


@pytest.fixture
def small_portfolio(owner, technical_owner, frozen_now):
    """Six pilots whose numbers the tests work out by hand.

    | name     | unit    | stage     | status  | risk   | days in stage | owner     | conf. |
    | Alpha    | Claims  | discovery | active  | low    | 10            | owner     | no    |
    | Bravo    | Claims  | discovery | active  | high   | 50 (stale)    | owner     | no    |
    | Charlie  | Finance | pilot     | on_hold | medium | 100           | techowner | no    |
    | Delta    | Finance | pilot     | active  | medium | 200 (stale)   | techowner | no    |
    | Echo     | Sales   | scale     | active  | low    | 400           | owner     | no    |
    | Secret   | Claims  | readiness | stopped | high   | 31            | owner     | yes   |
    """
    from datetime import timedelta

    def make(name, unit, stage, status, risk, days, who, confidential=False):
        return PilotFactory(
            name=name,
            business_unit=unit,
            stage=stage,
            status=status,
            risk_tier=risk,
            stage_entered_at=frozen_now - timedelta(days=days, hours=1),
            owner=who,
            confidential=confidential,
        )

    return {
        "alpha": make("Alpha", "Claims", "discovery", "active", "low", 10, owner),
        "bravo": make("Bravo", "Claims", "discovery", "active", "high", 50, owner),
        "charlie": make("Charlie", "Finance", "pilot", "on_hold", "medium", 100, technical_owner),
        "delta": make("Delta", "Finance", "pilot", "active", "medium", 200, technical_owner),
        "echo": make("Echo", "Sales", "scale", "active", "low", 400, owner),
        "secret": make("Secret", "Claims", "readiness", "stopped", "high", 31, owner, True),
    }


@pytest.fixture
def many_pilots():
    """make(n): n more pilots spread over stages, statuses and units (query-count tests)."""
    from datetime import timedelta

    stages = ["discovery", "pilot", "readiness", "scale"]
    statuses = ["active", "on_hold", "stopped"]

    made = []

    def make(n):
        owner = UserFactory(roles=["contributor"])
        now = timezone.now()
        start = len(made)
        made.extend(range(n))
        return [
            PilotFactory(
                name=f"Bulk {i:04d}",
                business_unit=f"Unit {i % 5}",
                stage=stages[i % 4],
                status=statuses[i % 3],
                confidential=i % 7 == 0,
                stage_entered_at=now - timedelta(days=(i * 37) % 400),
                owner=owner,
            )
            for i in range(start, start + n)
        ]

    return make


def add_rollup(pilot, key, day, *, total, count=1, p95=None):
    from metrics.models import MetricDefinition, MetricRollup

    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return MetricRollup.objects.create(
        pilot=pilot,
        metric=MetricDefinition.objects.get(key=key),
        period="day",
        bucket_start=start,
        count=count,
        minimum=total / count,
        maximum=total / count,
        total=total,
        p95=p95 if p95 is not None else total / count,
        last=total / count,
        last_at=start,
    )


def add_alert(pilot, key, kind, *, status="open", value=1.0, at=None):
    from metrics.models import Alert, MetricDefinition

    return Alert.objects.create(
        pilot=pilot,
        metric=MetricDefinition.objects.get(key=key),
        kind=kind,
        op=">",
        threshold=0.5,
        observed_value=value,
        observed_at=at or timezone.now(),
        action="investigate",
        status=status,
    )


@pytest.fixture
def portfolio_facts(small_portfolio, frozen_now):
    """Signals, alerts, economic cases and rollups on top of small_portfolio.

    | pilot   | signal   | stop rec. | unresolved alerts | net value | first-year cost |
    | Alpha   | scale    |           | 0                 | 83,000    | 37,000          |
    | Bravo   | hold     |           | 2 (+1 resolved)   | 45,000    | 15,000          |
    | Charlie | stop     | yes       | 0                 | no case   |                 |
    | Delta   | redesign |           | 1                 | -40,000   | 50,000          |
    | Echo    | (none)   |           | 0                 | 990,000   | 10,000          |
    | Secret  | stop     | yes       | 0                 | 7,000     | 1,000           |
    """
    from datetime import timedelta
    from decimal import Decimal as D

    from metrics.models import PilotSignal
    from portfolio.models import StrategyWorkbook

    p = small_portfolio
    for name, code, stop in [
        ("alpha", "scale", False),
        ("bravo", "hold", False),
        ("charlie", "stop", True),
        ("delta", "redesign", False),
        ("secret", "stop", True),
    ]:
        PilotSignal.objects.create(
            pilot=p[name],
            code=code,
            label=code.title(),
            reasons=[f"Reason for {name}"],
            stop_recommended=stop,
            stop_reason="Adoption below the stop condition" if stop else "",
        )
    add_alert(p["bravo"], "hallucination_rate", "monitor")
    add_alert(p["bravo"], "p95_latency_ms", "rollback", status="acknowledged")
    add_alert(p["bravo"], "uptime_pct", "monitor", status="resolved")
    add_alert(p["delta"], "error_rate", "stop")
    # What metrics.signal_refresh.refresh stores after those alerts change (tested in
    # tests/dashboard/test_aggregates.py); the fixture keeps its hand-picked signal codes.
    PilotSignal.objects.filter(pilot__in=[p["bravo"]]).update(open_alerts=2)
    PilotSignal.objects.filter(pilot__in=[p["delta"]]).update(open_alerts=1)

    # Alpha: run 10,000 + review 6,000 (100 h at 60) + failure 1,000 = 17,000; net 83,000.
    StrategyWorkbook.objects.create(
        pilot=p["alpha"],
        expected_annual_benefit=D(100000),
        annual_volume=D(10000),
        cost_per_transaction=D(1),
        human_review_rate_pct=D(10),
        minutes_per_review=D(6),
        loaded_hourly_cost=D(60),
        failure_handling_cost=D(1000),
        one_time_build_cost=D(20000),
    )
    StrategyWorkbook.objects.create(
        pilot=p["bravo"],
        expected_annual_benefit=D(50000),
        failure_handling_cost=D(5000),
        one_time_build_cost=D(10000),
    )
    StrategyWorkbook.objects.create(
        pilot=p["delta"],
        expected_annual_benefit=D(10000),
        annual_volume=D(100000),
        cost_per_transaction=D("0.5"),
    )
    StrategyWorkbook.objects.create(
        pilot=p["echo"],
        expected_annual_benefit=D(1000000),
        annual_volume=D(1000),
        cost_per_transaction=D(10),
        one_time_build_cost=D(0),
    )
    StrategyWorkbook.objects.create(
        pilot=p["secret"], expected_annual_benefit=D(7000), one_time_build_cost=D(1000)
    )

    yesterday = frozen_now - timedelta(days=1)
    before = frozen_now - timedelta(days=2)
    add_rollup(p["alpha"], "hallucination_rate", yesterday, total=0.2, count=4)
    add_rollup(p["bravo"], "hallucination_rate", yesterday, total=0.3, count=2)
    add_rollup(p["secret"], "hallucination_rate", yesterday, total=5.0, count=5)
    add_rollup(p["alpha"], "p95_latency_ms", yesterday, total=300, count=1, p95=400)
    add_rollup(p["bravo"], "p95_latency_ms", yesterday, total=300, count=1, p95=600)
    add_rollup(p["alpha"], "roi_pct", before, total=100)
    add_rollup(p["alpha"], "roi_pct", yesterday, total=140)
    add_rollup(p["alpha"], "monthly_run_cost", yesterday, total=1000)
    # Older than the trend window: never counted.
    add_rollup(p["alpha"], "hallucination_rate", frozen_now - timedelta(days=90), total=9.0)
    return p


@pytest.fixture
def reviews_and_sources(portfolio_facts, frozen_now, governance_lead):
    """Closed reviews (request to close, in days) and metric sources on portfolio_facts.

    | pilot   | gate                  | status    | cycle days |
    | Alpha   | discovery -> pilot    | approved  | 6          |
    | Bravo   | discovery -> pilot    | rejected  | 10         |
    | Charlie | pilot -> readiness    | on_hold   | 3          |
    | Secret  | readiness -> scale    | stopped   | 2          |
    | Echo    | readiness -> scale    | withdrawn | (ignored)  |
    | Alpha   | discovery -> pilot    | rejected  | 400 days ago (ignored) |
    | Delta   | pilot -> readiness    | pending, requested 5 days ago      |
    Sources: Delta degraded, Echo healthy.
    """
    from datetime import timedelta

    from gates.models import CriteriaVersion, Gate, Review
    from metrics.models import MetricSource, PilotSignal

    p = portfolio_facts
    versions = {
        (g.from_stage, g.to_stage): CriteriaVersion.objects.create(
            gate=g, number=g.versions.count() + 1, criteria=[], note="test"
        )
        for g in Gate.objects.all()
    }

    def review(pilot, frm, to, status, requested_days_ago, closed_days_ago=None):
        return Review.objects.create(
            pilot=pilot,
            from_stage=frm,
            to_stage=to,
            status=status,
            criteria_version=versions[(frm, to)],
            requested_by=governance_lead,
            requested_at=frozen_now - timedelta(days=requested_days_ago),
            closed_at=(
                None if closed_days_ago is None else frozen_now - timedelta(days=closed_days_ago)
            ),
        )

    review(p["alpha"], "discovery", "pilot", "approved", 10, 4)
    review(p["bravo"], "discovery", "pilot", "rejected", 20, 10)
    review(p["charlie"], "pilot", "readiness", "on_hold", 30, 27)
    review(p["secret"], "readiness", "scale", "stopped", 40, 38)
    review(p["echo"], "readiness", "scale", "withdrawn", 50, 1)
    review(p["alpha"], "discovery", "pilot", "rejected", 420, 400)
    review(p["delta"], "pilot", "readiness", "pending", 5)
    for pilot, status in ((p["delta"], "degraded"), (p["echo"], "ok")):
        MetricSource.objects.create(pilot=pilot, kind="http_json", name="Monitoring", status=status)
    PilotSignal.objects.filter(pilot=p["delta"]).update(degraded_sources=1)
    return p
