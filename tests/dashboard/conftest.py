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
