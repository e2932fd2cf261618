"""Celery tasks of pull sources: retries with backoff, dispatch, and crash safety with a
real Redis broker and real worker processes killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from metrics import pulls, tasks
from metrics.models import MetricSource, PullOutcome, PullRun, Snapshot, SourceStatus
from metrics.pulls import dispatch, run
from tests.factories import PilotFactory, UserFactory
from tests.metrics.pull_servers import http_server
from tests.services import require_postgres, require_redis

ROOT = Path(__file__).resolve().parents[2]


class Stub:
    def __init__(self, points=None):
        self.status = 200
        self.points = points or [["2026-11-20T10:00:00Z", 99.0]]
        self.calls = 0

    def route(self, handler):
        self.calls += 1
        if self.status != 200:
            handler.send_json({"error": "down"}, status=self.status)
        else:
            handler.send_json({"series": self.points})


@pytest.fixture
def stub(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    state = Stub()
    with http_server({"/m": state.route}) as (base, _handler):
        state.url = f"{base}/m"
        yield state


def make_source(pilot, owner, url, name="Stub"):
    return pulls.source_create(
        pilot=pilot,
        by=owner,
        name=name,
        kind="http_json",
        config={"url": url, "metrics": [{"metric": "uptime_pct", "path": "$.series"}]},
    )


def test_backoff_grows_and_stays_under_the_visibility_timeout():
    delays = [tasks.pull_backoff(n) for n in range(10)]
    assert 22 <= delays[0] <= 30 and 45 <= delays[1] <= 60 and 90 <= delays[2] <= 120
    assert max(delays) <= 480 < 600


@pytest.mark.django_db
def test_transient_failures_are_retried_then_counted_once(pilot, owner, stub, monkeypatch):
    stub.status = 503
    source = make_source(pilot, owner, stub.url)
    countdowns = []
    real = tasks.pull_backoff
    monkeypatch.setattr(tasks, "pull_backoff", lambda n: countdowns.append(real(n)) or 0)
    tasks.pull_source.apply(args=[source.pk])
    runs = list(PullRun.objects.filter(source=source).order_by("id"))
    assert [r.will_retry for r in runs] == [True] * tasks.PULL_MAX_RETRIES + [False]
    assert [r.trigger for r in runs] == ["schedule"] + ["retry"] * tasks.PULL_MAX_RETRIES
    assert len(countdowns) == tasks.PULL_MAX_RETRIES and countdowns == sorted(countdowns)
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.consecutive_failures == 1 and stub.calls == tasks.PULL_MAX_RETRIES + 1


@pytest.mark.django_db
def test_a_retry_that_succeeds_leaves_the_source_healthy(pilot, owner, stub, monkeypatch):
    source = make_source(pilot, owner, stub.url)
    stub.status = 502
    monkeypatch.setattr(tasks, "pull_backoff", lambda n: 0)
    real_pull = run.source_pull

    def heal_after_first(**kwargs):
        report = real_pull(**kwargs)
        stub.status = 200
        return report

    monkeypatch.setattr(run, "source_pull", heal_after_first)
    tasks.pull_source.apply(args=[source.pk])
    fresh = MetricSource.objects.get(pk=source.pk)
    assert (fresh.status, fresh.consecutive_failures) == (SourceStatus.OK, 0)
    assert Snapshot.objects.filter(source=source.ingest_source).count() == 1


@pytest.mark.django_db
def test_sources_failing_every_schedule_become_degraded(pilot, owner, stub, monkeypatch, settings):
    settings.PILOTGATE_SOURCE_DEGRADED_AFTER = 2
    monkeypatch.setattr(tasks, "pull_backoff", lambda n: 0)
    stub.status = 500
    source = make_source(pilot, owner, stub.url)
    tasks.pull_source.apply(args=[source.pk])
    assert MetricSource.objects.get(pk=source.pk).status == SourceStatus.NEVER_RUN
    tasks.pull_source.apply(args=[source.pk])
    fresh = MetricSource.objects.get(pk=source.pk)
    assert fresh.status == SourceStatus.DEGRADED and "HTTP 500" in fresh.last_error


@pytest.mark.django_db
def test_beat_dispatch_pulls_every_due_source(pilot, owner, stub, eager_celery):
    sources = [make_source(pilot, owner, stub.url, name=f"s{i}") for i in range(3)]
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tasks.dispatch_due_sources.apply().get() == 3
    assert stub.calls == 3
    for source in sources:
        assert MetricSource.objects.get(pk=source.pk).status == SourceStatus.OK


# --- real Redis, real workers, SIGKILL ---------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"crash-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so SIGKILL takes all of it
    )


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_pull_stores_every_snapshot_exactly_once(tmp_path):
    require_postgres()
    redis_url = require_redis()
    owner = UserFactory(username="crash-owner", roles=["contributor"])
    pilot = PilotFactory(owner=owner)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    total = 20_000
    state = Stub([[(start + timedelta(minutes=i)).isoformat(), 99.0] for i in range(total)])
    queue = f"pilotgate-test-{uuid.uuid4().hex[:8]}"
    with http_server({"/m": state.route}) as (base, _handler):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(django_settings, "PILOTGATE_OUTBOUND_ALLOW_HOSTS", ["127.0.0.1"])
            source = make_source(pilot, owner, f"{base}/m")
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": "8",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "PILOTGATE_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
            # Small batches stretch the ingest out, so the kill lands in its middle.
            "PILOTGATE_PULL_INGEST_BATCH": "100",
            "DJANGO_ENV": "test",
        }
        log = tmp_path / "worker.log"
        first = _start_worker(env, log)
        second = None
        try:
            from celery import Celery

            sender = Celery("pilotgate-test", broker=redis_url)
            sender.conf.broker_transport_options = {"visibility_timeout": 8}
            sender.send_task(
                "metrics.pull_source", args=[source.pk], kwargs={"trigger": "manual"}, queue=queue
            )
            stored_at_kill = _wait_for(
                lambda: Snapshot.objects.filter(source=source.ingest_source).count(),
                lambda n: n >= 500,
                timeout=60,
                log=log,
            )
            _stop(first, signal.SIGKILL)
            assert 0 < stored_at_kill < total, "the kill must land in the middle of the ingest"
            assert PullRun.objects.get(source=source).outcome == PullOutcome.RUNNING
            second = _start_worker(env, log)
            # The unacked message returns after the visibility timeout; the same task id
            # takes over its lease and pulls again.
            _wait_for(
                lambda: MetricSource.objects.get(pk=source.pk).status,
                lambda status: status == SourceStatus.OK,
                timeout=90,
                log=log,
            )
        finally:
            _stop(first, signal.SIGKILL)
            if second is not None:
                _stop(second)
            _purge(redis_url, queue)
    stamps = list(
        Snapshot.objects.filter(source=source.ingest_source).values_list("observed_at", flat=True)
    )
    assert len(stamps) == len(set(stamps)) == total
    runs = list(PullRun.objects.filter(source=source).order_by("id"))
    assert [r.outcome for r in runs] == [PullOutcome.FAILED, PullOutcome.OK]
    assert "worker stopped" in runs[0].error
    # The second pull found what the first had committed (at least the rows counted
    # before the kill; a batch or two more may have landed) and stored only the rest.
    assert runs[1].stored + runs[1].duplicate == total
    assert runs[1].duplicate >= stored_at_kill


def _wait_for(read, done, *, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"timed out; last value {value!r}\n{tail}")
        time.sleep(0.05)


def _purge(redis_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete(queue)
    # Only our own unacked entries: other tests may share this Redis database.
    for tag, payload in client.hgetall("unacked").items():
        if queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def not_eager():
    from config.celery import app

    previous = app.conf.task_always_eager
    yield lambda: setattr(app.conf, "task_always_eager", False)
    app.conf.task_always_eager = previous


@pytest.mark.django_db
def test_large_dispatches_fan_out_in_chunks(monkeypatch, not_eager):
    not_eager()
    chunks, published = [], []
    monkeypatch.setattr(
        tasks.enqueue_pull_batch,
        "apply_async",
        lambda args, kwargs, producer=None, **options: chunks.append((args[0], kwargs)),
    )
    monkeypatch.setattr(
        dispatch, "_enqueue_pull", lambda source_id, **kw: published.append((source_id, kw))
    )
    claimed = [(i, 1.5) for i in range(1, 1_201)]
    pulls.enqueue_pulls(claimed, queue="q")
    assert [len(chunk) for chunk, _ in chunks] == [500, 500, 200]
    assert all(kwargs == {"queue": "q"} for _, kwargs in chunks)
    assert published == []
    # Each fan-out task publishes its chunk, one message per source, jitter kept.
    for chunk, kwargs in chunks:
        tasks.enqueue_pull_batch.run([list(item) for item in chunk], **kwargs)
    assert [source_id for source_id, _ in published] == list(range(1, 1_201))
    assert published[0][1]["countdown"] == 1.5 and published[0][1]["queue"] == "q"


@pytest.mark.django_db
def test_small_dispatches_publish_directly(monkeypatch, not_eager):
    not_eager()
    published = []
    monkeypatch.setattr(
        dispatch, "_enqueue_pull", lambda source_id, **kw: published.append(source_id)
    )
    monkeypatch.setattr(
        tasks.enqueue_pull_batch, "apply_async", lambda *a, **k: pytest.fail("no fan-out")
    )
    pulls.enqueue_pulls([(7, 0.0), (8, 0.0)])
    assert published == [7, 8]
