"""Reading uploaded CSV files row by row."""

import io
from datetime import UTC, datetime

import pytest

from metrics.connectors.csv_file import CsvFileError, read_rows


def rows(text: str | bytes, max_bytes=1_000_000):
    data = text.encode() if isinstance(text, str) else text
    return list(read_rows(io.BytesIO(data), max_bytes=max_bytes))


def test_good_rows_are_parsed_with_their_line_numbers():
    parsed = rows(
        "\ufeffPilot,Metric,observed_at,value,comment\n"
        "3,p95_latency_ms,2026-11-26T10:00:00Z,412.5,ok\n"
        "\n"
        '3,uptime_pct,1795690000,"99.9",\n'
    )
    assert [(r.number, r.pilot, r.metric, r.observed_at, r.value, r.error) for r in parsed] == [
        (2, "3", "p95_latency_ms", datetime(2026, 11, 26, 10, tzinfo=UTC), 412.5, ""),
        (4, "3", "uptime_pct", datetime.fromtimestamp(1795690000, tz=UTC), 99.9, ""),
    ]


def test_bad_rows_carry_a_reason_and_do_not_stop_the_rest():
    parsed = rows(
        "pilot,metric,observed_at,value\n"
        "3,a,2026-11-26T10:00:00,1\n"
        "3,a,yesterday,1\n"
        "3,a,2026-11-26T10:00:00Z,abc\n"
        "3,a,2026-11-26T10:00:00Z,inf\n"
        "3,,2026-11-26T10:00:00Z,1\n"
        "3,a\n"
        "3,a,2026-11-26T10:00:00Z,<b>5</b>\n"
        "3,a,2026-11-26T11:00:00Z,7\n"
    )
    assert [(r.number, r.error) for r in parsed] == [
        (
            2,
            "observed_at: time '2026-11-26T10:00:00' has no time zone; "
            "add Z or an offset like +01:00",
        ),
        (3, "observed_at: time 'yesterday' is not ISO 8601 (2026-01-31T12:00:00Z) or Unix seconds"),
        (4, "value: value 'abc' is not a number"),
        (5, "value: value 'inf' is not a finite number"),
        (6, "metric: empty"),
        (7, "the row has 2 fields; expected 4 or more"),
        (8, "value: value '<b>5</b>' is not a number"),
        (9, ""),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("pilot,metric,value\n1,a,2\n", "lacks observed_at")],
)
def test_unusable_header_fails_the_file(text, message):
    with pytest.raises(CsvFileError, match=message):
        rows(text)


def test_size_cap_stops_reading_but_keeps_rows_before_it():
    body = "pilot,metric,observed_at,value\n" + "3,a,2026-11-26T10:00:00Z,1\n" * 20_000
    parsed = rows(body, max_bytes=200_000)
    assert parsed[-1].error.startswith("reading stopped: the file is larger than 200,000 bytes")
    assert 1000 < len(parsed) < 20_000
    assert all(not r.error for r in parsed[:-1])


def test_non_utf8_text_ends_with_an_error_row():
    data = (
        b"pilot,metric,observed_at,value\n3,a,2026-11-26T10:00:00Z,1\n" + b"3,\xff\xfe,x,1\n" * 10
    )
    parsed = rows(data)
    assert parsed[0].error == "" and "not UTF-8" in parsed[-1].error
