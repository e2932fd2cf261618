"""Benchmark snapshot ingest on PostgreSQL: raw COPY vs the ingest service vs the push API.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pg_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pg_bench python manage.py bench_ingest

Loads `--rows` snapshots (default 1,000,000) three times into `metrics_snapshot` (the same
table, the same unique index), in batches of `--batch` rows (default 10,000), each batch
its own transaction:

(a) raw psycopg binary COPY of already-resolved ids (no validation, no idempotency);
(b) `metrics.services.snapshots_ingest` in this process (validation, COPY into a temp
    table, INSERT ... ON CONFLICT DO NOTHING RETURNING, audit event, task enqueued);
(c) `POST /api/snapshots/` over HTTP to a gunicorn server this command starts
    (`--workers` processes, as many client threads), with a real API token.

Bench rows are deleted (and the table vacuumed) before each phase so each starts from the
same state. The post-ingest work (rollups, thresholds, signals) runs on workers, so it is
timed separately at the end over everything phase (c) stored. Use a scratch database: the
bench pilots and their data are deleted at the end, their audit events stay.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

BENCH_PREFIX = "Benchmark pilot"
METRICS = [
    ("p95_latency_ms", 200.0, 2000.0),
    ("error_rate", 0.0, 10.0),
    ("hallucination_rate", 0.0, 8.0),
    ("uptime_pct", 97.0, 100.0),
    ("tool_call_success_rate", 80.0, 100.0),
    ("adoption_rate", 10.0, 90.0),
    ("outcome_quality", 50.0, 95.0),
    ("bypass_rate", 0.0, 30.0),
    ("cost_per_transaction", 0.01, 1.0),
    ("exception_volume", 0.0, 500.0),
]


class Command(BaseCommand):
    help = "Benchmark snapshot ingest: raw COPY vs ingest service vs push API (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--batch", type=int, default=10_000)
        parser.add_argument("--pilots", type=int, default=20)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
            help="broker for the post-ingest tasks both (b) and (c) enqueue; flushed at the end",
        )
        parser.add_argument("--keep", action="store_true", help="keep the bench pilots and data")

    def handle(self, *args, **opts):
        import logging

        logging.getLogger("httpx").setLevel(logging.WARNING)
        if connection.vendor != "postgresql":
            raise CommandError("bench_ingest needs PostgreSQL: set DATABASE_URL.")
        from metrics.models import MetricDefinition

        self.rows_total = opts["rows"]
        self.batch = opts["batch"]
        self.metric_ids = dict(MetricDefinition.objects.values_list("key", "id"))
        self.user = self._bench_user()
        self.pilot_ids = self._bench_pilots(opts["pilots"])
        series = len(self.pilot_ids) * len(METRICS)
        steps = -(-self.rows_total // series)
        self.start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=steps + 5)
        self._configure_broker(opts["redis_url"])
        self.stdout.write(
            f"{self.rows_total:,} rows, batches of {self.batch:,}, {len(self.pilot_ids)} pilots "
            f"x {len(METRICS)} metrics x {steps:,} minutes"
        )
        try:
            a = self._phase("a  raw binary COPY", self._load_copy)
            b = self._phase("b  ingest service", self._load_service)
            c = self._phase("c  push API over HTTP", lambda: self._load_api(opts))
            processing = self._processing()
        finally:
            self._flush_broker(opts["redis_url"])
            if not opts["keep"]:
                self._cleanup()
        self.stdout.write("")
        self.stdout.write(f"a  raw COPY        {a:>12,.0f} rows/s")
        self.stdout.write(f"b  ingest service  {b:>12,.0f} rows/s   b/a = {b / a:.2f}  (goal 0.5)")
        self.stdout.write(f"c  push API        {c:>12,.0f} rows/s   c/a = {c / a:.2f}  (goal 0.3)")
        self.stdout.write(
            f"post-ingest rollups+alerts+signals over c's rows: {processing:,.0f} rows/s"
        )

    # --- data ---------------------------------------------------------------------------

    def _bench_user(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        user, _ = get_user_model().objects.get_or_create(username="bench-ingest")
        user.groups.add(Group.objects.get(name="admin"))
        return get_user_model().objects.get(pk=user.pk)

    def _bench_pilots(self, count: int) -> list[int]:
        from portfolio.models import Pilot

        ids = []
        for n in range(count):
            pilot, _ = Pilot.objects.get_or_create(
                name=f"{BENCH_PREFIX} {n + 1}", defaults={"business_unit": "Benchmark"}
            )
            ids.append(pilot.pk)
        return ids

    def _batches(self) -> Iterator[list[tuple[int, str, datetime, float]]]:
        """(pilot id, metric key, time, value) in time order, `batch` rows at a time."""
        batch: list[tuple[int, str, datetime, float]] = []
        produced = 0
        minute = 0
        while produced < self.rows_total:
            at = self.start + timedelta(minutes=minute)
            for p_index, pilot_id in enumerate(self.pilot_ids):
                for m_index, (key, low, high) in enumerate(METRICS):
                    # Deterministic, in range, varied: no RNG cost inside the timings.
                    share = ((minute * 7919 + p_index * 104729 + m_index * 1299709) % 1000) / 999
                    batch.append((pilot_id, key, at, round(low + (high - low) * share, 3)))
                    produced += 1
                    if len(batch) == self.batch or produced == self.rows_total:
                        yield batch
                        batch = []
                    if produced == self.rows_total:
                        return
            minute += 1

    # --- phases ---------------------------------------------------------------------------

    def _phase(self, label: str, load) -> float:
        self._reset()
        self.stdout.write(f"{label} ...")
        self.stdout.flush()
        elapsed = load()
        stored = self._count()
        if stored != self.rows_total:
            raise CommandError(f"{label}: stored {stored:,} of {self.rows_total:,} rows")
        rate = self.rows_total / elapsed
        self.stdout.write(f"{label}: {elapsed:.1f} s, {rate:,.0f} rows/s")
        return rate

    def _load_copy(self) -> float:
        from metrics.models import Snapshot

        table = Snapshot._meta.db_table
        sql = (
            f"COPY {table} (pilot_id, metric_id, observed_at, value, source, ingested_at)"
            " FROM STDIN (FORMAT BINARY)"
        )
        elapsed = 0.0
        for batch in self._batches():
            now = timezone.now()
            rows = [(p, self.metric_ids[k], at, v, "bench:copy", now) for p, k, at, v in batch]
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.cursor.copy(sql) as copy:
                    copy.set_types(["int8", "int8", "timestamptz", "float8", "text", "timestamptz"])
                    for row in rows:
                        copy.write_row(row)
            elapsed += time.perf_counter() - started
        return elapsed

    def _load_service(self) -> float:
        from metrics.services import snapshots_ingest

        elapsed = 0.0
        for batch in self._batches():
            rows = [
                {"pilot": p, "metric": k, "observed_at": at, "value": v} for p, k, at, v in batch
            ]
            started = time.perf_counter()
            snapshots_ingest(rows=rows, source="bench:service", by=self.user)
            elapsed += time.perf_counter() - started
        return elapsed

    def _load_api(self, opts) -> float:
        from accounts.services import token_create

        _, secret = token_create(by=self.user, name=f"bench {time.time():.0f}")
        bodies = [
            json.dumps(
                {
                    "source": "bench:api",
                    "rows": [
                        {"pilot": p, "metric": k, "observed_at": at.isoformat(), "value": v}
                        for p, k, at, v in batch
                    ],
                }
            ).encode()
            for batch in self._batches()
        ]
        port = _free_port()
        server = self._start_server(port, opts)
        try:
            return self._post_all(port, secret, bodies, threads=opts["workers"])
        finally:
            server.terminate()
            try:
                server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()

    def _start_server(self, port: int, opts) -> subprocess.Popen:
        root = Path(__file__).resolve().parents[3]
        env = {
            **os.environ,
            "REDIS_URL": opts["redis_url"],
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_ENV": os.environ.get("DJANGO_ENV", "development"),
        }
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers",
                str(opts["workers"]),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=root,
            env=env,
        )
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                    return server
            except httpx.HTTPError:
                time.sleep(0.2)
        server.kill()
        raise CommandError("the gunicorn server did not start")

    def _post_all(self, port: int, secret: str, bodies: list[bytes], threads: int) -> float:
        import httpx

        work: queue.Queue[bytes] = queue.Queue()
        for body in bodies:
            work.put(body)
        failures: list[str] = []
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

        def client():
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
                while True:
                    try:
                        body = work.get_nowait()
                    except queue.Empty:
                        return
                    response = http.post("/api/snapshots/", content=body, headers=headers)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:300]}")

        started = time.perf_counter()
        workers = [threading.Thread(target=client) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise CommandError(f"push API failed: {failures[0]}")
        return elapsed

    def _processing(self) -> float:
        """Run the post-ingest work the workers would do, for everything (c) stored."""
        from metrics.services import snapshots_process

        end = self.start + timedelta(days=30)
        spans = [
            (pilot_id, self.metric_ids[key], self.start, end)
            for pilot_id in self.pilot_ids
            for key, _, _ in METRICS
        ]
        started = time.perf_counter()
        snapshots_process(spans=spans)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"post-ingest processing: {elapsed:.1f} s")
        return self.rows_total / elapsed

    # --- housekeeping --------------------------------------------------------------------

    def _count(self) -> int:
        from metrics.models import Snapshot

        return Snapshot.objects.filter(pilot_id__in=self.pilot_ids).count()

    def _reset(self) -> None:
        from metrics.models import MetricRollup, Snapshot

        Snapshot.objects.filter(pilot_id__in=self.pilot_ids).delete()
        MetricRollup.objects.filter(pilot_id__in=self.pilot_ids).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Snapshot._meta.db_table}")

    def _cleanup(self) -> None:
        from portfolio.models import Pilot

        self._reset()
        Pilot.objects.filter(pk__in=self.pilot_ids).delete()

    def _configure_broker(self, url: str) -> None:
        from config.celery import app

        app.conf.broker_url = url
        app.conf.broker_transport_options = {"visibility_timeout": 600}
        app.conf.task_always_eager = False
        app._pool = None
        app.amqp._producer_pool = None

    def _flush_broker(self, url: str) -> None:
        # Only the bench's own database number: the queued post-ingest tasks of (b) and (c).
        import redis

        try:
            redis.Redis.from_url(url).flushdb()
        except redis.RedisError as exc:
            self.stderr.write(f"could not flush {url}: {exc}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
