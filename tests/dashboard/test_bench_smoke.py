"""The dashboard benchmark (`manage.py bench_dashboard`) on a tiny portfolio, on PostgreSQL.

It loads its data with COPY into the real tables, so a column added to a model breaks it;
that went unnoticed until the next benchmark run. Here it builds 20 pilots and times every
page once, through the management command (wherever its code lives), in a database of its
own: the command refuses any database whose name lacks "bench"."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.services import require_postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench_database_url():
    require_postgres()
    settings = connection.settings_dict
    params = {
        "host": settings.get("HOST") or "127.0.0.1",
        "port": settings.get("PORT") or 5432,
        "user": settings.get("USER") or "postgres",
        "password": settings.get("PASSWORD") or None,
    }
    name = f"pilotgate_bench_smoke_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['password']}" if params["password"] else ""
    yield f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_dashboard_benchmark_builds_and_times_a_tiny_portfolio(bench_database_url):
    env = {**os.environ, "DATABASE_URL": bench_database_url, "DJANGO_ENV": "development"}
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "bench_dashboard",
            "--pilots",
            "20",
            "--snapshots",
            "2000",
            "--repeat",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    built = re.search(r"built ([\d,]+) pilots, ([\d,]+) snapshots, ([\d,]+) rollups", out)
    assert built is not None, out
    assert built.group(1) == "20"
    assert int(built.group(2).replace(",", "")) > 0
    assert int(built.group(3).replace(",", "")) > 0
    # Every case was requested (each asserts a 200) and timed against its raw SQL.
    for case in (
        "dashboard, unfiltered",
        "dashboard, business unit + status",
        "dashboard, stage + risk tier",
        "pilot page, a year of history",
        "summary API, unfiltered",
        "summary API, business unit + status",
    ):
        assert re.search(rf"^{re.escape(case)}\s+\d+\s+[\d.]+ms", out, re.M), (case, out)
