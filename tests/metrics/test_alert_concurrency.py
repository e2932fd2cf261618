"""Two workers checking the same breach at once on real PostgreSQL connections: one alert."""

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from metrics.models import Alert, MetricDefinition
from metrics.thresholds import Breach, alert_open_or_escalate
from tests.factories import PilotFactory, UserFactory
from tests.gates.test_concurrency import run_at_once
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def breach(pilot_id, metric, kind, threshold, observed):
    return Breach(
        pilot_id=pilot_id,
        metric=metric,
        kind=kind,
        op=">",
        threshold=threshold,
        observed=observed,
        observed_at=timezone.now(),
        action="investigate",
    )


def races(username, first, second, rounds=5):
    """`rounds` times from no alert: the two breaches (kind, threshold) of error_rate at 9
    checked at once on two connections; yields each round's outcomes, both calls done."""
    require_postgres()
    pilot = PilotFactory(owner=UserFactory(username=username, roles=["contributor"]))
    metric = MetricDefinition.objects.get(key="error_rate")
    for _ in range(rounds):
        Alert.objects.all().delete()
        outcomes = run_at_once(
            *(
                lambda b=b: alert_open_or_escalate(breach(pilot.pk, metric, *b, 9))
                for b in (first, second)
            )
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        yield pilot, outcomes


def test_two_connections_opening_the_same_breach_leave_one_alert():
    for pilot, outcomes in races("race-alert-owner", ("monitor", 4), ("monitor", 4)):
        assert Alert.objects.filter(pilot=pilot).count() == 1
        assert sorted(value is None for _, value in outcomes) == [False, True]


def test_a_worse_breach_racing_a_milder_one_ends_as_one_alert_of_the_worse_kind():
    for pilot, _ in races("race-alert-owner2", ("monitor", 4), ("stop", 8)):
        alert = Alert.objects.get(pilot=pilot)
        assert alert.kind == "stop" and alert.threshold == 8
    opened = AuditEvent.objects.filter(action="alert.open", pilot_id=pilot.pk).count()
    assert opened == 5
