"""Benchmark of the pull pipeline: beat's dispatch of 10,000 due sources, and the p95
lag from a source falling due to its snapshot being stored, through real workers.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python manage.py bench_dispatch

Run it against a scratch database: it creates a "bench" user and pilots (removed at the
end, except for their audit events, which are append-only). Tasks go to a queue of their
own, so a running deployment's workers do not take them.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from metrics import pulls
from metrics.models import MetricSource, Snapshot


class _Stub(BaseHTTPRequestHandler):
    body = b'{"v": 99.5}'

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "Time beat's dispatch of N due sources and the p95 due-to-stored lag."

    def add_arguments(self, parser):
        parser.add_argument("--sources", type=int, default=10_000)
        parser.add_argument("--lag-sources", type=int, default=300)
        parser.add_argument("--workers", type=int, default=2, help="worker concurrency")
        parser.add_argument(
            "--jitter", type=int, default=0, help="dispatch jitter cap in seconds (prod: 20)"
        )

    def handle(self, *args, **options):
        from accounts.models import User
        from portfolio.models import Pilot

        queue = f"bench-{uuid.uuid4().hex[:8]}"
        user, _ = User.objects.get_or_create(username="bench", defaults={"is_active": True})
        pilots = []
        try:
            pilot = Pilot.objects.create(name="bench dispatch", business_unit="Bench")
            pilots.append(pilot)
            self._bench_dispatch(pilot, options["sources"], queue)
            lag_pilot = Pilot.objects.create(name="bench lag", business_unit="Bench")
            pilots.append(lag_pilot)
            self._bench_lag(lag_pilot, options, queue)
        finally:
            for pilot in pilots:
                MetricSource.objects.filter(pilot=pilot).delete()
                pilot.delete()
            self._purge(queue)
        del user

    # --- dispatch ----------------------------------------------------------------------

    def _make_sources(self, pilot, count: int, url: str, due) -> None:
        config = {"url": url, "metrics": [{"metric": "uptime_pct", "path": "$.v"}]}
        MetricSource.objects.bulk_create(
            (
                MetricSource(
                    pilot=pilot, kind="http_json", name=f"s{i}", config=config, next_due_at=due
                )
                for i in range(count)
            ),
            batch_size=2000,
        )

    def _bench_dispatch(self, pilot, count: int, queue: str) -> None:
        now = timezone.now()
        self._make_sources(pilot, count, "http://127.0.0.1:9/", now - timedelta(seconds=1))
        # Only the bench pilot's sources may be due: park everything else for the run.
        others = list(
            MetricSource.objects.exclude(pilot=pilot)
            .filter(enabled=True, next_due_at__lte=now)
            .values_list("id", flat=True)
        )
        MetricSource.objects.filter(id__in=others).update(enabled=False)
        try:
            handed = []

            def enqueue(claimed):
                started = time.perf_counter()
                pulls.enqueue_pulls(claimed, queue=queue)
                handed.append((time.perf_counter() - started, claimed))

            started = time.perf_counter()
            claimed_ids = pulls.sources_dispatch_due(now=now, enqueue=enqueue)
            total = time.perf_counter() - started
        finally:
            MetricSource.objects.filter(id__in=others).update(enabled=True)
        handoff, claimed = handed[0]
        self.stdout.write(
            f"dispatch: {len(claimed_ids):,} due sources claimed and handed to "
            f"{-(-len(claimed) // pulls.FANOUT_CHUNK)} fan-out tasks in {total:.2f} s "
            f"(claim {total - handoff:.2f} s, hand-off {handoff:.2f} s) on {connection.vendor}, "
            f"broker {settings.CELERY_BROKER_URL.split('://')[0]}"
        )
        # What the fan-out tasks then do, timed here in one process: publish one
        # pull_source message per source. Workers share this between them.
        started = time.perf_counter()
        pulls.publish_pulls(claimed, queue=queue)
        publish = time.perf_counter() - started
        self.stdout.write(
            f"fan-out: publishing the {len(claimed):,} pull_source messages takes {publish:.2f} s "
            f"of one process ({len(claimed) / publish:,.0f} messages/s), split over the workers"
        )
        MetricSource.objects.filter(pilot=pilot).delete()
        self._purge(queue)

    # --- due-to-stored lag ---------------------------------------------------------------

    def _bench_lag(self, pilot, options, queue: str) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/m"
        count = options["lag_sources"]
        log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
        env = {
            **os.environ,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "PILOTGATE_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
        }
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                str(options["workers"]),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._warm_up(pilot, url, queue, log)
            due = timezone.now()
            self._make_sources(pilot, count, url, due)
            with self.settings_override(jitter=options["jitter"]):
                pulls.sources_dispatch_due(
                    now=due,
                    enqueue=lambda claimed: pulls.enqueue_pulls(claimed, queue=queue),
                )
            deadline = time.monotonic() + 300
            ids = set(MetricSource.objects.filter(pilot=pilot).values_list("id", flat=True))
            tags = {f"pull:{i}" for i in ids}
            while time.monotonic() < deadline:
                stored = Snapshot.objects.filter(pilot=pilot, source__in=tags).count()
                if stored >= count:
                    break
                time.sleep(0.2)
            lags = [
                (ingested - due).total_seconds()
                for ingested in Snapshot.objects.filter(pilot=pilot, source__in=tags).values_list(
                    "ingested_at", flat=True
                )
            ]
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            server.shutdown()
        if len(lags) < count:
            self.stdout.write(
                f"lag: only {len(lags)} of {count} sources stored within 300 s; see {log}"
            )
        if lags:
            self.stdout.write(
                f"lag: {len(lags):,} sources due at once, {options['workers']} worker processes, "
                f"jitter cap {options['jitter']} s: due-to-stored p50 "
                f"{statistics.median(lags):.2f} s, p95 {_percentile(lags, 95):.2f} s, "
                f"max {max(lags):.2f} s (dispatch at the due moment; beat adds up to 60 s "
                "plus jitter)"
            )

    def _warm_up(self, pilot, url: str, queue: str, log: Path) -> None:
        """One pull through the worker, so its start-up is not counted as lag."""
        config = {"url": url, "metrics": [{"metric": "uptime_pct", "path": "$.v"}]}
        source = MetricSource.objects.create(
            pilot=pilot,
            kind="http_json",
            name="warm-up",
            config=config,
            next_due_at=timezone.now() + timedelta(days=1),
        )
        pulls.enqueue_pulls([(source.pk, 0)], queue=queue)
        deadline = time.monotonic() + 60
        while not Snapshot.objects.filter(source=source.ingest_source).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bench worker did not start; see {log}")
            time.sleep(0.2)
        source.delete()

    class settings_override:  # noqa: N801
        def __init__(self, *, jitter: int):
            self.jitter = jitter

        def __enter__(self):
            self.previous = getattr(settings, "PILOTGATE_PULL_JITTER_SECONDS", 20)
            settings.PILOTGATE_PULL_JITTER_SECONDS = self.jitter

        def __exit__(self, *exc):
            settings.PILOTGATE_PULL_JITTER_SECONDS = self.previous

    def _purge(self, queue: str) -> None:
        from config.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        except Exception as exc:  # noqa: BLE001 - a missing queue is fine
            self.stdout.write(f"(queue purge skipped: {type(exc).__name__})")
