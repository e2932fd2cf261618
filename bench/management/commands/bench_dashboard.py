"""Benchmark the dashboard, a pilot page and the summary API on a large portfolio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dash \
        .venv/bin/python manage.py bench_dashboard --pilots 10000 --snapshots 10000000

Needs PostgreSQL and a database of its own: it refuses a database whose name does not
contain "bench", because it loads millions of rows into it.
"""

import os
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from bench import dashboard as bench

GOALS = {"dashboard": (200.0, 1.5), "pilot page": (150.0, None)}


class Command(BaseCommand):
    help = "Build a large portfolio with COPY and time the dashboard, pilot page and API."

    def add_arguments(self, parser):
        parser.add_argument("--pilots", type=int, default=10_000)
        parser.add_argument("--snapshots", type=int, default=10_000_000)
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--skip-build", action="store_true", help="Reuse the loaded data.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_dashboard needs PostgreSQL (set DATABASE_URL).")
        name = connection.settings_dict["NAME"]
        if "bench" not in name:
            raise CommandError(f"Refusing to load benchmark data into {name!r}: use a *bench* db.")
        from django.contrib.auth import get_user_model

        from portfolio.models import Pilot

        log = self.stdout.write
        if not options["skip_build"]:
            call_command("migrate", verbosity=0)
            if Pilot.objects.exists():
                raise CommandError(f"{name} already has pilots; drop it or use --skip-build.")
            started = time.perf_counter()
            built = bench.build(pilots=options["pilots"], snapshots=options["snapshots"], log=log)
            log(
                f"built {built.pilots:,} pilots, {built.snapshots:,} snapshots, "
                f"{built.rollups:,} rollups in {time.perf_counter() - started:.1f} s"
            )
            year_pilot_id = built.year_pilot_id
        else:
            year_pilot_id = Pilot.objects.order_by("id").values_list("id", flat=True)[1]
            bench.rebuild_aggregates(log)
        executive = get_user_model().objects.get(username="bench-exec")
        client = Client()
        client.force_login(executive)

        repeat = options["repeat"]
        cases = [
            ("dashboard", "dashboard, unfiltered", "/portfolio/"),
            (
                "dashboard",
                "dashboard, business unit + status",
                "/portfolio/?business_unit=Claims&status=active",
            ),
            ("dashboard", "dashboard, stage + risk tier", "/portfolio/?stage=pilot&risk_tier=high"),
            ("pilot page", "pilot page, a year of history", f"/pilots/{year_pilot_id}/"),
            ("api", "summary API, unfiltered", "/api/portfolio/summary/"),
            (
                "api",
                "summary API, business unit + status",
                "/api/portfolio/summary/?business_unit=Claims&status=active",
            ),
        ]
        # Other work on the machine moves every figure: say how busy it was.
        log("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        log(f"\n{'case':42} {'queries':>7} {'median':>9} {'p95':>9} {'raw SQL':>9} {'ratio':>6}")
        for kind, label, url in cases:
            m = bench.measure(client, label, url, repeat=repeat)
            verdict = ""
            goal = GOALS.get(kind)
            if goal:
                ok = m.median_ms <= goal[0] and (goal[1] is None or m.ratio <= goal[1])
                verdict = "  meets goal" if ok else "  MISSES goal"
            log(
                f"{label:42} {m.queries:>7} {m.median_ms:>7.1f}ms {m.p95_ms:>7.1f}ms "
                f"{m.raw_median_ms:>7.1f}ms {m.ratio:>5.2f}x{verdict}"
            )
        log("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
