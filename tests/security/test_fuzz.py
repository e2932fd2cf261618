"""Schemathesis against a live Pilotgate: every default check, the stateful phase, as each
role in turn, on a freshly seeded database. Deselect locally with `-m "not fuzz"`.

Budget: FUZZ_MAX_EXAMPLES cases per operation and phase per role (default 22), which
gives well over 5,000 cases in total; the run report of every role is kept under
test-artifacts/fuzz/ when it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.live import ROOT, live_server

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "22"))
MIN_TOTAL_CASES = 5000
SEED = int(os.environ.get("FUZZ_SEED", "20261126"))
# Unauthenticated and revoked callers are covered by schemathesis' ignored_auth check and
# by the authorization matrix.
ROLES = ["admin", "governance_lead", "executive", "owner", "contributor"]
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"

# Operations whose OpenAPI description is not yet precise enough for schemathesis'
# conformance checks (it generates schema-valid input they refuse, or they answer outside
# their documented schema). They are still fuzzed with every other check, 500s included;
# only these three checks are skipped for them until their owners tighten the schema
# (enums for choice parameters, documented formats, the response serializer).
KNOWN_SCHEMA_GAPS = {
    "POST /api/pilots/": "sec: schemathesis adds an `errors` member to bodies; not understood yet",
    "GET /api/pilots/{id}/evaluation/": "gates: to_stage is free text in the schema",
    "GET /api/pilots/{id}/reviews/": "gates: response differs from its serializer",
    "POST /api/pilots/{id}/reviews/": "gates: to_stage/evidence_links formats undocumented",
    "GET /api/reviews/": "gates: filter values undocumented",
    "POST /api/reviews/{id}/decisions/": "gates: conditions required per decision undocumented",
    "GET /api/pilots/{id}/metrics/": "ingest: metric/since/until formats undocumented",
    "POST /api/snapshots/": "ingest: row fields and limits undocumented",
    "PUT /api/pilots/{id}/workbooks/{phase}/": "wb: workbook body is free-form in the schema",
    "PATCH /api/pilots/{id}/workbooks/{phase}/": "wb: workbook body is free-form in the schema",
    "GET /api/portfolio/summary/": "dash: filter values undocumented",
    "GET /api/pilots/{pilot_pk}/sources/": "sources: config/last_error are null for readers",
    "POST /api/pilots/{pilot_pk}/sources/": "sources: config shape per kind undocumented",
    "GET /api/sources/{id}/": "sources: config/last_error are null for readers",
    "PATCH /api/sources/{id}/": "sources: config shape per kind undocumented",
    "DELETE /api/sources/{id}/": "sources: documented with the others for consistency",
    "POST /api/sources/{id}/pull/": "sources: pull result shape undocumented",
}
GAP_CHECKS = "positive_data_acceptance,negative_data_rejection,response_schema_conformance"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("fuzz")) as server:
        yield server


def _schemathesis(live, role: str, report: Path, gaps: bool) -> subprocess.CompletedProcess:
    entry = [sys.executable, str(Path(__file__).with_name("run_schemathesis.py"))]
    if gaps:
        select = [arg for name in KNOWN_SCHEMA_GAPS for arg in ("--include-name", name)]
        select += ["--exclude-checks", GAP_CHECKS]
    else:
        select = [arg for name in KNOWN_SCHEMA_GAPS for arg in ("--exclude-name", name)]
    command = [
        *entry, "run", f"{live.url}/api/schema/",
        "--header", f"Authorization: Bearer {live.tokens[role]}",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--workers", "2",
        "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(report),
        "--no-color", "--output-truncate", "true",
        *select,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)


def test_schemathesis_finds_nothing_as_any_role(live, tmp_path):
    totals = {}
    failed = {}
    for role, gaps in [(role, gaps) for role in ROLES for gaps in (False, True)]:
        run = f"{role}-gaps" if gaps else role
        report = tmp_path / f"{run}.json"
        result = _schemathesis(live, role, report, gaps)
        assert report.exists(), f"no report for {role}:\n{result.stdout[-3000:]}{result.stderr}"
        data = json.loads(report.read_text())
        totals[run] = data["test_cases"]["generated"]
        assert data["operations"]["errored"] == 0, result.stdout[-5000:]
        if not gaps:  # the gap operations alone may have no links to follow
            assert data["phases"]["stateful"]["status"] != "skip", "the stateful phase must run"
        if data["failures"] or data["errors"] or result.returncode != 0:
            failed[run] = result.stdout
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(report, ARTIFACTS / report.name)
            (ARTIFACTS / f"{run}.txt").write_text(result.stdout + result.stderr)
    total = sum(totals.values())
    print(f"schemathesis cases per run: {totals}; total {total}")
    (tmp_path / "totals.json").write_text(json.dumps(totals))
    assert not failed, "\n\n".join(
        f"=== as {role} ===\n{out[-6000:]}" for role, out in failed.items()
    )
    assert total >= MIN_TOTAL_CASES, f"only {total} cases generated: {totals}"
    server_errors = [
        line for line in live.log.read_text().splitlines() if "Traceback" in line
    ]  # fmt: skip
    assert server_errors == [], live.log.read_text()[-5000:]
