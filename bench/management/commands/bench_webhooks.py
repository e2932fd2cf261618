"""Benchmark of webhook delivery: N events fanned out to S subscriptions through real
Celery workers on Redis to a local receiver; p50/p95 from event to arrival, beside the
raw HTTP client's throughput to the same receiver, measured in the same run.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python manage.py bench_webhooks --events 1000 --subscriptions 10

The issue's full size is --events 10000 (100,000 deliveries); `make bench` runs a scaled
run (1,000 events, 10,000 deliveries) because on a 2-core machine the full one takes
longer than the rest of the benchmarks together. Events are published in one burst, so
the lag includes the time the backlog takes to drain. Run it against a scratch database:
it removes its pilot, events and subscriptions at the end (audit events stay).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from metrics.connectors.http import ssl_context
from outbox.models import Event
from outbox.services import publish
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Subscription, new_secret

_ARRIVALS: list[tuple[str, float]] = []
_LOCK = threading.Lock()


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived = time.time()
        with _LOCK:
            _ARRIVALS.append((self.headers.get("webhook-id", ""), arrived))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "p95 event-to-delivery of webhooks through real workers, beside raw HTTP throughput."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1000)
        parser.add_argument("--subscriptions", type=int, default=10)
        parser.add_argument("--workers", type=int, default=4, help="worker processes")
        parser.add_argument("--raw-requests", type=int, default=2000)
        parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait")

    def handle(self, *args, **options):
        if not settings.REDIS_URL:
            raise CommandError("Set REDIS_URL: the benchmark needs a real broker.")
        from accounts.models import User
        from portfolio.models import Pilot

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
        settings.PILOTGATE_WEBHOOK_QUEUE = queue
        settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
        user, _ = User.objects.get_or_create(username="bench", defaults={"is_active": True})
        pilot = Pilot.objects.create(name="bench webhooks", business_unit="Bench")
        subscriptions = []
        worker = None
        try:
            raw = self._raw_throughput(port, options["raw_requests"])
            subscriptions = [
                Subscription.objects.create(
                    url=f"http://127.0.0.1:{port}/s{i}",
                    event_types=["alert.opened"],
                    secret=new_secret(),
                    created_by=user,
                )  # fmt: skip
                for i in range(options["subscriptions"])
            ]
            worker, log = self._start_workers(queue, options["workers"])
            self._warm_up(pilot, options)
            self._run(pilot, options, raw, log)
        finally:
            if worker is not None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=60)
            server.shutdown()
            Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).delete()
            Event.objects.filter(pilot_id=pilot.pk).delete()
            pilot.delete()
            self._purge(queue)

    def _body(self) -> bytes:
        body = {
            "type": "alert.opened", "timestamp": "2026-12-02T10:00:00+00:00",
            "data": {"alert_id": 1, "metric": "accuracy_pct", "severity": "critical",
                     "value": 81.5, "threshold": 90.0,
                     "pilot": {"id": 1, "name": "bench", "stage": "pilot",
                               "url": "http://127.0.0.1:8000/pilots/1/"}},
        }  # fmt: skip
        return json.dumps(body, separators=(",", ":")).encode()

    def _raw_throughput(self, port: int, count: int) -> dict:
        """POSTs per second of one process: a new connection each (as a delivery makes),
        and one kept-alive connection (the ceiling of the client itself)."""
        url = f"http://127.0.0.1:{port}/raw"
        body = self._body()
        headers = services.sign(
            secret=new_secret(), message_id="msg_raw", body=body,
            at=timezone.now(),
        )  # fmt: skip
        started = time.perf_counter()
        for _ in range(count):
            with httpx.Client(trust_env=False, verify=ssl_context()) as client:
                client.post(url, content=body, headers=headers)
        fresh = count / (time.perf_counter() - started)
        started = time.perf_counter()
        with httpx.Client(trust_env=False, verify=ssl_context()) as client:
            for _ in range(count):
                client.post(url, content=body, headers=headers)
        kept = count / (time.perf_counter() - started)
        with _LOCK:
            _ARRIVALS.clear()
        self.stdout.write(
            f"raw httpx POST, one process: {fresh:,.0f}/s with a new connection each, "
            f"{kept:,.0f}/s over one kept-alive connection ({count:,} requests each)"
        )
        return {"fresh": fresh, "kept": kept}

    def _start_workers(self, queue: str, workers: int):
        log = Path(tempfile.mkstemp(prefix="bench-webhooks-", suffix=".log")[1])
        env = {
            **os.environ,
            "PILOTGATE_OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
            "PILOTGATE_WEBHOOK_QUEUE": queue,
            "PILOTGATE_WEBHOOK_REQUIRE_HTTPS": "false",
        }
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
                "--concurrency", str(workers), "--loglevel", "WARNING", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h",
            ],
            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return worker, log

    def _publish(self, pilot, count: int) -> None:
        for n in range(count):
            with transaction.atomic():  # each event commits, then fans out (as in requests)
                publish(
                    "alert.opened", pilot=pilot,
                    payload={"alert_id": n, "metric": "accuracy_pct", "severity": "critical",
                             "value": 81.5, "threshold": 90.0},
                )  # fmt: skip

    def _wait(self, expected: int, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with _LOCK:
                arrived = len(_ARRIVALS)
            if arrived >= expected:
                return
            if time.monotonic() > deadline:
                raise CommandError(f"only {arrived} of {expected} deliveries arrived; see {log}")
            time.sleep(0.2)

    def _warm_up(self, pilot, options) -> None:
        """One event through the workers, so their start-up is not counted as lag."""
        self._publish(pilot, 1)
        self._wait(options["subscriptions"], 120, Path("(worker log)"))
        Delivery.objects.filter(subscription__created_by__username="bench").delete()
        with _LOCK:
            _ARRIVALS.clear()

    def _run(self, pilot, options, raw: dict, log: Path) -> None:
        events, subs = options["events"], options["subscriptions"]
        expected = events * subs
        first_id = (
            Event.objects.filter(pilot_id=pilot.pk)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
        )
        started = time.perf_counter()
        self._publish(pilot, events)
        published = time.perf_counter() - started
        self._wait(expected, options["timeout"], log)
        total = time.perf_counter() - started
        occurred = {
            message_id: at.timestamp()
            for message_id, at in Event.objects.filter(
                pilot_id=pilot.pk, pk__gt=first_id
            ).values_list("message_id", "occurred_at")
        }
        with _LOCK:
            lags = [at - occurred[mid] for mid, at in _ARRIVALS if mid in occurred]
        succeeded = Delivery.objects.filter(
            subscription__created_by__username="bench", status=DeliveryStatus.SUCCEEDED
        ).count()
        rate = expected / total
        self.stdout.write(
            f"webhooks: {events:,} events x {subs} subscriptions = {expected:,} deliveries "
            f"({succeeded:,} recorded delivered) through {options['workers']} worker processes "
            f"in {total:.1f} s: {rate:,.0f} deliveries/s; publishing the burst took "
            f"{published:.1f} s"
        )
        self.stdout.write(
            f"event-to-delivery: p50 {statistics.median(lags):.2f} s, p95 "
            f"{_percentile(lags, 95):.2f} s, max {max(lags):.2f} s (burst: includes the "
            "backlog's drain)"
        )
        self.stdout.write(
            f"ratio: pipeline {rate:,.0f}/s = {rate / raw['fresh']:.2f} x the raw client's "
            f"new-connection rate of one process, {rate / raw['kept']:.2f} x its kept-alive rate"
        )

    def _purge(self, queue: str) -> None:
        from config.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        except Exception as exc:  # noqa: BLE001 - a missing queue is fine
            self.stdout.write(f"(queue purge skipped: {type(exc).__name__})")
