"""End to end with real components: push over the API, a real Celery worker on a real
Redis broker computes rollups, alerts and the signal in the PostgreSQL test database."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import token_create
from metrics.models import Alert, MetricDefinition, MetricRollup, PilotSignal
from portfolio.workbooks.models import RollbackTrigger
from tests.services import require_postgres, require_redis, start_celery_worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_db5():
    base = require_redis()
    url = base.rsplit("/", 1)[0] + "/5"
    import redis

    redis.Redis.from_url(url).flushdb()  # our own database number only: stale test tasks
    from celery import current_app

    from config.celery import app

    # shared_task resolves the *current* app when called; a Celery() made by another
    # test in this process may have become current, with its own broker.
    previous_app = current_app._get_current_object()
    app.set_current()
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"visibility_timeout": 600}
    app.conf.task_always_eager = False
    forget_connections(app)  # the next publish connects to the broker configured above
    yield url
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
    forget_connections(app)
    previous_app.set_current()


def forget_connections(app) -> None:
    """Drop the app's cached connection and producer pools (an earlier test in this
    process may have published to another broker through them)."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(condition, timeout=180.0):  # generous: CI machines can be very busy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_pushed_snapshots_are_rolled_up_and_alerted_by_a_real_worker(pilot, owner, redis_db5):
    require_postgres()
    error_rate = MetricDefinition.objects.get(key="error_rate")
    RollbackTrigger.objects.create(pilot=pilot, metric=error_rate, threshold=5, action="disable_ai")
    worker = start_celery_worker(redis_url=redis_db5)
    try:
        _, secret = token_create(by=owner, name="e2e")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        rows = [
            {
                "pilot": pilot.pk,
                "metric": "error_rate",
                "observed_at": (hour + timedelta(minutes=m)).isoformat(),
                "value": 1 + (m % 4),  # 1, 2, 3, 4 repeating
            }
            for m in range(60)
        ]
        rows.append(
            {**rows[-1], "observed_at": (hour + timedelta(minutes=70)).isoformat(), "value": 9}
        )
        response = api.post("/api/snapshots/", rows, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["stored"] == 61

        if not wait_for(lambda: Alert.objects.filter(pilot=pilot).exists()):
            import redis

            queued = redis.Redis.from_url(redis_db5).llen("celery")
            pytest.fail(f"no alert; {queued} message(s) still queued\n{worker_output(worker)}")
        first_hour = MetricRollup.objects.get(
            pilot=pilot, metric=error_rate, period="hour", bucket_start=hour
        )
        assert (first_hour.count, first_hour.total, first_hour.minimum, first_hour.maximum) == (
            60,
            150,
            1,
            4,
        )
        day = MetricRollup.objects.get(pilot=pilot, metric=error_rate, period="day")
        assert day.count == 61 and day.last == 9
        alert = Alert.objects.get(pilot=pilot)
        assert (alert.kind, alert.observed_value, alert.action) == ("rollback", 9, "disable_ai")
        assert wait_for(lambda: PilotSignal.objects.filter(pilot=pilot, open_alerts=1).exists())

        # A re-push is all duplicates and leaves the worker's results as they were.
        again = api.post("/api/snapshots/", rows, format="json")
        assert again.json()["duplicate"] == 61
    finally:
        output = worker_output(worker)
    assert "metrics.process_ingest" in output


def worker_output(worker) -> str:
    if worker.poll() is None:
        worker.terminate()
    try:
        output, _ = worker.communicate(timeout=30)
    except Exception:  # noqa: BLE001 - a stuck worker is killed; its output is for debugging
        worker.kill()
        output, _ = worker.communicate()
    return output or ""
