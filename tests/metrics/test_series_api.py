from datetime import UTC, datetime, timedelta

import pytest

from metrics.models import MetricDefinition
from metrics.rollups import refresh
from metrics.services import snapshots_ingest

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def history(pilot):
    rows = [
        {
            "pilot": pilot.pk,
            "metric": "error_rate",
            "observed_at": T0 + timedelta(hours=h),
            "value": h % 10,
        }
        for h in range(24 * 40)
    ]
    for i in range(0, len(rows), 500):
        snapshots_ingest(rows=rows[i : i + 500], source="t")
    metric = MetricDefinition.objects.get(key="error_rate")
    refresh([(pilot.pk, metric.pk, T0, T0 + timedelta(days=40))])
    return pilot


def url(pilot, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/pilots/{pilot.pk}/metrics/?{query}"


def test_short_range_returns_raw_points(history, api_for, executive):
    response = api_for(executive).get(
        url(
            history, metric="error_rate", since="2026-10-01T00:00:00Z", until="2026-10-01T05:00:00Z"
        )
    )
    assert response.status_code == 200
    body = response.json()
    assert body["resolution"] == "raw"
    assert [p["value"] for p in body["points"]] == [0, 1, 2, 3, 4]


def test_long_ranges_use_hourly_then_daily_rollups(history, api_for, owner):
    api = api_for(owner)
    hourly = api.get(
        url(
            history, metric="error_rate", since="2026-10-01T00:00:00Z", until="2026-10-11T00:00:00Z"
        )
    ).json()
    assert hourly["resolution"] == "hour" and len(hourly["points"]) == 240
    daily = api.get(
        url(
            history, metric="error_rate", since="2026-10-01T00:00:00Z", until="2026-11-10T00:00:00Z"
        )
    ).json()
    assert daily["resolution"] == "day" and len(daily["points"]) == 40
    first = daily["points"][0]
    # A day of h % 10 for h in 0..23: 0..9, 0..9, 0..3 -> sum 96, 24 points.
    assert (first["count"], first["value"], first["min"], first["max"]) == (24, 4.0, 0, 9)


@pytest.mark.parametrize(
    "params,field",
    [
        ({}, "metric"),
        ({"metric": "nope"}, "metric"),
        ({"metric": "error_rate", "since": "last-week"}, "since"),
        ({"metric": "error_rate", "until": "2026-10-01T00:00:00"}, "until"),
    ],
)
def test_bad_query_is_400_naming_the_field(pilot, api_for, owner, params, field):
    response = api_for(owner).get(url(pilot, **params))
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("since", "until", "read_since"),
    [
        # An empty range has no points; the answer says which range was read.
        ("2026-10-02T00:00:00Z", "2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z"),
        # Over three years: cut to the 3 x 366 days before `until`.
        ("2016-10-02T00:00:00Z", "2026-10-01T00:00:00Z", "2023-09-29T00:00:00Z"),
        # RFC 3339 spellings: lower-case t and z, a leap second.
        ("2026-09-30t23:59:60z", "2026-10-01T00:00:00Z", "2026-09-30T23:59:59.999999Z"),
    ],
)
def test_odd_but_valid_ranges_are_read_as_the_answer_says(
    pilot, api_for, owner, since, until, read_since
):
    response = api_for(owner).get(url(pilot, metric="error_rate", since=since, until=until))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["since"], body["until"]) == (read_since, until)
    assert body["points"] == [] or since < until


def test_hidden_pilot_series_is_404(confidential_pilot, api_for, outsider):
    response = api_for(outsider).get(url(confidential_pilot, metric="error_rate"))
    assert response.status_code == 404


def test_anonymous_is_refused(pilot, api_for):
    assert api_for(None).get(url(pilot, metric="error_rate")).status_code in (401, 403)
