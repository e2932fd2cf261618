"""The import benchmark (`manage.py bench_import`) on a few rows, in a scratch database: a
change to the import or its models that breaks the benchmark shows here, not at the next
`make bench`."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.dashboard.test_bench_smoke import ROOT, bench_database_url  # noqa: F401


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_ENV": "development"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_the_import_benchmark_imports_and_reports_rows_per_second(bench_database_url):  # noqa: F811
    migrated = _manage(bench_database_url, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr[-4000:]
    result = _manage(bench_database_url, "bench_import", "--rows", "40", "--owners", "5")
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert re.search(r"\(a\) baseline bulk_create\s+[\d.]+ s\s+\d+ rows/s", out), out
    assert re.search(r"\(b\) import preview\+confirm\s+[\d.]+ s\s+\d+ rows/s", out), out
    assert re.search(r"ratio \(b\)/\(a\) [\d.]+x", out), out


def test_the_benchmark_refuses_a_database_not_named_for_it():
    url = os.environ.get("DATABASE_URL", "")
    if "bench" in url:
        pytest.skip("the test database is itself a bench database")
    result = _manage(url or "sqlite:////tmp/not-a-scratch.sqlite3", "bench_import")
    assert result.returncode != 0
    assert "must contain 'bench'" in result.stderr
