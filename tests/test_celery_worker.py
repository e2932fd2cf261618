"""A real Celery worker process on a real Redis broker runs our tasks."""

import pytest
from celery import Celery

from accounts.audit import audit_record
from tests.services import require_postgres, require_redis, start_celery_worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_url():
    base = require_redis()
    return base.rsplit("/", 1)[0] + "/1"


def test_worker_runs_the_audit_verify_task_against_the_real_database(owner, redis_url):
    require_postgres()
    for n in range(3):
        audit_record(actor=owner, action="test.event", object_type="test", object_id=n)
    worker = start_celery_worker(redis_url=redis_url)
    try:
        client = Celery(broker=redis_url, backend=redis_url)
        result = client.send_task("accounts.audit_verify")
        outcome = result.get(timeout=60)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert outcome == {"ok": True, "checked": 3, "broken_id": None}, output
    assert "accounts.audit_verify" in output
