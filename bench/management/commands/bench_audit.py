"""Benchmark of concurrent audited writes: appends per second with one chain (the single
global lock of before, the baseline) and with the audit's chains, in the same run.

    DATABASE_URL=postgres://... .venv/bin/python manage.py bench_audit

Each writer is a thread with its own connection. A write is one transaction, as a service
makes it: the audit append, then the rest of the service's work (`--work-ms`, a
`pg_sleep` standing for its other statements), then the commit; the chain's lock is held
from the append to the commit. The events it writes stay (the audit is append-only), so it
refuses a database whose name lacks "bench"; the chains verify at the end.
"""

from __future__ import annotations

import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction

from accounts import audit


def _one_global_lock() -> int:
    """The lock of before: every append waits for the one lock (here chain 1's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [audit._LOCK_CLASS, 1])
    return audit.LEGACY_CHAIN


def _writes_per_second(writers: int, seconds: float, work_ms: float) -> tuple[float, int]:
    stop = time.perf_counter() + seconds
    counts = [0] * writers
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def writer(index: int) -> None:
        try:
            start.wait(timeout=30)
            while time.perf_counter() < stop:
                with transaction.atomic():
                    audit.audit_record(
                        actor=None,
                        action="bench.write",
                        object_type="bench",
                        object_id=index,
                        after={"n": counts[index]},
                    )
                    if work_ms:
                        with connection.cursor() as cursor:
                            cursor.execute("SELECT pg_sleep(%s)", [work_ms / 1000])
                counts[index] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the command
            errors.append(exc)
        finally:
            connections.close_all()

    began = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise CommandError(f"a writer failed: {errors[0]!r}")
    elapsed = time.perf_counter() - began
    return sum(counts) / elapsed, sum(counts)


class Command(BaseCommand):
    help = "Concurrent audited writes per second: one chain (baseline) vs the audit's chains."

    def add_arguments(self, parser):
        parser.add_argument("--writers", type=int, default=8, help="concurrent transactions")
        parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
        parser.add_argument(
            "--work-ms", type=float, default=2.0, help="the rest of each write's transaction"
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_audit needs PostgreSQL (set DATABASE_URL).")
        name = connection.settings_dict["NAME"]
        if "bench" not in name:
            # Its audit events stay for good (the audit is append-only).
            raise CommandError(
                f"Refusing to write benchmark audit events into {name!r}: use a *bench* db."
            )
        writers, seconds, work = options["writers"], options["seconds"], options["work_ms"]
        chains = audit.CHAINS
        scoped = audit._lock_chain
        audit._lock_chain = _one_global_lock
        try:
            before, n_before = _writes_per_second(writers, seconds, work)
        finally:
            audit._lock_chain = scoped
        after, n_after = _writes_per_second(writers, seconds, work)
        result = audit.audit_verify()
        self.stdout.write(
            f"audited writes, {writers} writers, {work:g} ms of work per transaction:\n"
            f"  one chain (baseline): {before:8.1f} writes/s ({n_before} in {seconds:g} s)\n"
            f"  {chains} chains:        {after:8.1f} writes/s ({n_after} in {seconds:g} s)\n"
            f"  ratio: {after / before:.2f}x the baseline\n"
            f"  chains verify: {'yes' if result.ok else 'NO: ' + result.problem} "
            f"({result.checked} events)"
        )
        if not result.ok:
            raise CommandError("the audit chains do not verify after the benchmark")
