"""Benchmark the bulk import of pilots: the onboarding services against a raw bulk_create.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pilotgate_bench python manage.py bench_import

Builds one CSV of `--rows` pilots (default 2,000) with owners, a stage, a risk tier and the
strategy workbook's key fields, then loads the same pilots twice, each from the same state:

(a) baseline: `bulk_create` of the pilots, their two owner roles and their workbooks (no
    checks, no audit, no transitions);
(b) the import as an admin does it: `import_preview` (read, resolve, check every row) then
    `import_confirm` (one transaction through pilot_create, workbook_replace,
    pilot_transition and pilot_role_assign, each audited).

Reports rows per second for each and (b)'s time as a multiple of (a)'s. The target: (b)
under a minute for 2,000 rows. Refuses a database whose name lacks "bench"; the bench
pilots are deleted at the end (their audit events stay: the trail is append-only).
"""

from __future__ import annotations

import io
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

PREFIX = "Bench import pilot"
UNIT = "Bench import unit"
STAGES = ("Discovery", "Pilot", "Readiness", "Scale")
TIERS = ("Low", "Medium", "High")


class Command(BaseCommand):
    help = "Benchmark the bulk import of pilots against a raw bulk_create (rows per second)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=2000)
        parser.add_argument("--owners", type=int, default=50)
        parser.add_argument("--keep", action="store_true", help="keep the imported pilots")

    def handle(self, *args, **opts):
        name = connection.settings_dict.get("NAME") or ""
        if "bench" not in str(name):
            raise CommandError(f"Refusing database {name!r}: its name must contain 'bench'.")
        rows = opts["rows"]
        admin, owners = self._people(opts["owners"])
        data = self._csv(rows, owners)
        self._clean()

        started = time.perf_counter()
        self._bulk(rows, owners)
        baseline = time.perf_counter() - started
        self._clean()

        from onboarding import services

        started = time.perf_counter()
        upload = SimpleUploadedFile("bench-pilots.csv", data, content_type="text/csv")
        batch = services.import_preview(by=admin, upload=upload)
        planned = time.perf_counter() - started
        if batch.plan["counts"]["error"]:
            bad = [r for r in batch.plan["rows"] if r["errors"]][:3]
            raise CommandError(f"the bench file has problems: {bad}")
        done = services.import_confirm(by=admin, batch=batch)
        total = time.perf_counter() - started
        if done["created"] != rows:
            raise CommandError(f"imported {done['created']} of {rows} rows")
        if not opts["keep"]:
            self._clean()

        self.stdout.write(f"bench_import: {rows} pilots with owners, stage and workbook")
        self.stdout.write(
            f"  (a) baseline bulk_create   {baseline:7.2f} s  {rows / baseline:9.0f} rows/s"
        )
        self.stdout.write(
            f"  (b) import preview+confirm {total:7.2f} s  {rows / total:9.0f} rows/s"
            f"  (preview {planned:.2f} s)"
        )
        verdict = "under" if total < 60 else "OVER"
        self.stdout.write(
            f"  ratio (b)/(a) {total / baseline:.1f}x; {verdict} the 60 s target for {rows} rows"
        )

    def _people(self, count: int):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from portfolio.models import BusinessUnit

        User = get_user_model()
        admin, _ = User.objects.get_or_create(username="bench-importer")
        admin.groups.add(Group.objects.get(name="admin"))
        owners = []
        for i in range(count):
            user, _ = User.objects.get_or_create(
                username=f"bench-import-owner-{i}",
                defaults={"email": f"bench-import-owner-{i}@example.com"},
            )
            owners.append(user)
        BusinessUnit.objects.get_or_create(name=UNIT)
        return admin, owners

    def _csv(self, rows: int, owners) -> bytes:
        out = io.StringIO()
        out.write(
            "name,business_unit,business_owner,technical_owner,stage,risk_tier,summary,"
            "business_problem,kpi,expected_annual_benefit,annual_volume,cost_per_transaction,"
            "one_time_build_cost\n"
        )
        for i in range(rows):
            owner, tech = owners[i % len(owners)], owners[(i + 1) % len(owners)]
            out.write(
                f"{PREFIX} {i:05d},{UNIT},{owner.username},{tech.email},"
                f"{STAGES[i % 4]},{TIERS[i % 3]},Imported for the benchmark,"
                f"Slow manual work {i},Hours saved,{1000 + i},{50000 + i},0.05,20000\n"
            )
        return out.getvalue().encode()

    @transaction.atomic
    def _bulk(self, rows: int, owners) -> None:
        from decimal import Decimal

        from accounts.models import PilotRole
        from portfolio.models import BusinessUnit, Pilot
        from portfolio.workbooks.models import StrategyWorkbook

        unit = BusinessUnit.objects.get(name=UNIT)
        pilots = Pilot.objects.bulk_create(
            [
                Pilot(
                    name=f"{PREFIX} {i:05d}",
                    business_unit=UNIT,
                    unit=unit,
                    stage=STAGES[i % 4].lower(),
                    risk_tier=TIERS[i % 3].lower(),
                    summary="Imported for the benchmark",
                )  # fmt: skip
                for i in range(rows)
            ]
        )
        PilotRole.objects.bulk_create(
            [
                PilotRole(pilot=p, role=role, user=owners[(i + shift) % len(owners)])
                for i, p in enumerate(pilots)
                for role, shift in (("business_owner", 0), ("technical_owner", 1))
            ]
        )
        StrategyWorkbook.objects.bulk_create(
            [
                StrategyWorkbook(
                    pilot=p,
                    business_problem=f"Slow manual work {i}",
                    kpi="Hours saved",
                    expected_annual_benefit=Decimal(1000 + i),
                    annual_volume=50000 + i,
                    cost_per_transaction=Decimal("0.05"),
                    one_time_build_cost=Decimal(20000),
                )  # fmt: skip
                for i, p in enumerate(pilots)
            ]
        )

    def _clean(self) -> None:
        from portfolio.models import Pilot

        Pilot.objects.filter(name__startswith=PREFIX).delete()
