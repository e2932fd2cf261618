import pytest

from accounts.models import PilotRole


@pytest.fixture
def ops_lead(db):
    from tests.factories import UserFactory

    return UserFactory(username="opslead", roles=["contributor"])


@pytest.fixture
def pilot_with_ops(pilot, ops_lead):
    PilotRole.objects.create(pilot=pilot, role="operations_lead", user=ops_lead)
    return pilot


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process (the worker itself is tested in test_worker_e2e)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
