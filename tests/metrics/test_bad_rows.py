"""One bad row never takes more than itself down: the push API, CSV uploads, connectors
and rollups each meet values and times past what can be stored or summed."""

import io
import json
from datetime import UTC, datetime

import pytest

from metrics import pulls, rollups
from metrics.connectors.values import ValueProblem, parse_time, parse_value
from metrics.models import MetricDefinition, MetricRollup, Snapshot
from tests.metrics.test_push_api import bearer

pytestmark = pytest.mark.django_db
URL = "/api/snapshots/"

# (field, JSON text of the bad value): each was a 400 with empty errors for the whole batch.
BAD_CELLS = [
    ("value", "1e400"),
    ("value", "-1e400"),
    ("value", "9" * 400),
    ("value", "1.7e308"),
    ("value", '"1e400"'),
    ("value", "1000000000000.5"),
    ("observed_at", '"0001-01-01T00:30:00+01:00"'),
    ("observed_at", '"0001-01-01T00:00:00Z"'),
    ("observed_at", '"1969-12-31T23:59:59Z"'),
    ("pilot", "9" * 30),
    ("pilot", "-1"),
]


def row_text(for_pilot, hour, **override) -> str:
    cells = {
        "pilot": str(for_pilot.pk),
        "metric": '"p95_latency_ms"',
        "observed_at": f'"2026-11-10T{hour:02d}:00:00Z"',
        "value": "412.5",
        **override,
    }
    return "{" + ", ".join(f'"{k}": {v}' for k, v in cells.items()) + "}"


@pytest.mark.parametrize(("field", "bad"), BAD_CELLS)
def test_a_batch_with_one_unstorable_row_is_207_and_keeps_the_good_rows(pilot, owner, field, bad):
    body = f"[{row_text(pilot, 9)}, {row_text(pilot, 10, **{field: bad})}, {row_text(pilot, 11)}]"
    response = bearer(owner).post(URL, body, content_type="application/json")
    assert response.status_code == 207, response.content
    answer = response.json()
    assert [r["index"] for r in answer["rejected_rows"]] == [1]
    assert list(answer["rejected_rows"][0]["errors"]) == [field]
    assert list(answer["errors"]) == [f"rows[1].{field}"]
    assert answer["errors"][f"rows[1].{field}"][0]
    assert sorted(Snapshot.objects.values_list("observed_at__hour", flat=True)) == [9, 11]


def test_values_at_the_limit_are_stored_and_just_past_it_refused(pilot, owner):
    rows = [
        {"pilot": pilot.pk, "metric": "realized_benefit", "observed_at": at, "value": value}
        for at, value in [
            ("2026-11-10T09:00:00Z", 1e12),
            ("2026-11-10T10:00:00Z", -1e12),
            ("1970-01-01T00:00:00Z", 1),
            ("2026-11-10T11:00:00Z", 1e12 * (1 + 1e-15)),
        ]
    ]
    answer = bearer(owner).post(URL, rows, format="json").json()
    assert answer["stored"] == 3 and [r["index"] for r in answer["rejected_rows"]] == [3]


def test_csv_upload_rejects_only_the_unstorable_rows(pilot, owner):
    text = (
        "pilot,metric,observed_at,value\n"
        f"{pilot.pk},p95_latency_ms,2026-11-20T10:00:00Z,410\n"
        f"{pilot.pk},p95_latency_ms,2026-11-20T10:05:00Z,1e400\n"
        f"{pilot.pk},p95_latency_ms,0001-01-01T00:30:00+01:00,3\n"
        f"{pilot.pk},p95_latency_ms,2026-11-20T10:10:00Z,{'9' * 400}\n"
        f"{pilot.pk},p95_latency_ms,2026-11-20T10:15:00Z,420\n"
    )
    record = pulls.csv_import(
        pilot=pilot, by=owner, file=io.BytesIO(text.encode()), file_name="w.csv"
    )
    assert (record.stored, record.rejected) == (2, 3)
    reasons = {r["row"]: r["reason"] for r in record.row_report if r["status"] == "rejected"}
    assert set(reasons) == {3, 4, 5}
    assert reasons[4].startswith("observed_at")
    assert reasons[3].startswith("value") and reasons[5].startswith("value")


@pytest.mark.parametrize("raw", ["0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00+00:01"])
def test_connector_time_before_year_one_in_utc_is_a_problem_not_a_crash(raw):
    with pytest.raises(ValueProblem, match="falls outside the years 1 to 9999"):
        parse_time(raw)


def test_connector_value_of_hundreds_of_digits_is_a_problem_not_a_crash():
    with pytest.raises(ValueProblem, match="finite"):
        parse_value(int("9" * 400))


def test_a_value_stored_before_the_bounds_cannot_stop_the_rollup_of_its_hour(pilot):
    """Two values of 1.7e308 overflow any float sum; the rollup of their hour and day
    used to fail on every try. They are left out and the rest is rolled up."""
    metric = MetricDefinition.objects.get(key="p95_latency_ms")
    hour = datetime(2026, 11, 10, 9, tzinfo=UTC)
    Snapshot.objects.bulk_create(
        Snapshot(
            pilot=pilot, metric=metric, observed_at=hour.replace(minute=m), value=v, source="s"
        )
        for m, v in [(1, 100.0), (2, 1.7e308), (3, 1.7e308), (4, 300.0)]
    )
    rollups.refresh([(pilot.pk, metric.pk, hour, hour.replace(minute=4))])
    buckets = {b.period: b for b in MetricRollup.objects.filter(pilot=pilot, metric=metric)}
    assert set(buckets) == {"hour", "day"}
    for b in buckets.values():
        assert (b.count, b.total, b.maximum) == (2, 400.0, 300.0)


def test_the_push_body_with_1e400_is_still_valid_json_to_the_parser(pilot, owner):
    # Python reads 1e400 as infinity; the row is judged, not the request refused.
    body = json.loads(f"[{row_text(pilot, 9, value='1e400')}]")
    assert body[0]["value"] == float("inf")
