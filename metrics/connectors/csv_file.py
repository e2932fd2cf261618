"""CSV connector: read an uploaded file of snapshots row by row.

Columns (header row required, names case-insensitive, any order, extra columns ignored):
`pilot` (the pilot's id), `metric` (a catalog key), `observed_at` (ISO 8601 with a time
zone, or Unix seconds) and `value` (a number). The file is read as a stream with a byte
limit, so a huge upload neither fills memory nor stops the rows before the limit from
being reported.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from metrics.connectors.values import ValueProblem, parse_time, parse_value

REQUIRED_COLUMNS = ("pilot", "metric", "observed_at", "value")
MAX_FIELD_CHARS = 1000
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


class CsvFileError(ValueError):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True)
class CsvRow:
    number: int  # line number in the file; the header is line 1
    pilot: str = ""
    metric: str = ""
    observed_at: datetime | None = None
    value: float | None = None
    error: str = ""


class _ByteCap:
    """A binary stream that raises once more than `limit` bytes were read."""

    def __init__(self, raw, limit: int):
        self.raw, self.limit, self.read_bytes = raw, limit, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size and size > 0 else 64 * 1024)
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise CsvFileError(f"the file is larger than {self.limit:,} bytes")
        return data


def _lines(stream, limit: int) -> Iterator[str]:
    """Text lines of a UTF-8 stream. Lines are split on bytes (a UTF-8 character never
    contains a newline byte), so one badly encoded line cannot spoil the others: its bad
    bytes survive as surrogates and `_row` rejects just that row."""
    capped = _ByteCap(stream, limit)
    pending = b""
    first = True
    while True:
        chunk = capped.read(64 * 1024)
        pending += chunk
        *complete, pending = pending.split(b"\n")
        if not chunk and pending:
            complete.append(pending)
            pending = b""
        for line in complete:
            if first:
                line = line.removeprefix(codecs.BOM_UTF8)
                first = False
            yield line.decode("utf-8", errors="surrogateescape") + "\n"
        if not chunk:
            break


def read_rows(stream, *, max_bytes: int) -> Iterator[CsvRow]:
    """Yield one CsvRow per data row; a row that cannot be read carries `error`.

    Raises CsvFileError before the first row when the header is unusable. A problem
    later in the file (too large, not UTF-8) ends the iteration with one error row, so
    the rows before it are still reported and stored.
    """
    reader = csv.reader(_lines(stream, max_bytes))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CsvFileError(f"the header cannot be read: {exc}") from exc
    if header is None:
        raise CsvFileError("the file is empty")
    names = [name.strip().lower() for name in header]
    if any(_NOT_UTF8.search(name) for name in names):
        raise CsvFileError("the header is not UTF-8 text; save the file as UTF-8 CSV")
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise CsvFileError(
            "the header row lacks "
            + ", ".join(missing)
            + "; it needs "
            + ", ".join(REQUIRED_COLUMNS)
        )
    where = {column: names.index(column) for column in REQUIRED_COLUMNS}
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield CsvRow(
                number=reader.line_num + 1, error="the file is not UTF-8 text from here on"
            )
            return
        except CsvFileError as exc:
            yield CsvRow(number=reader.line_num + 1, error=f"reading stopped: {exc}")
            return
        except csv.Error as exc:
            yield CsvRow(number=reader.line_num, error=f"the row cannot be read: {exc}")
            return
        if not any(field.strip() for field in fields):
            continue
        yield _row(reader.line_num, fields, where)


def _row(number: int, fields: list[str], where: dict[str, int]) -> CsvRow:
    if len(fields) < len(where) or max(where.values()) >= len(fields):
        return CsvRow(number=number, error=f"the row has {len(fields)} fields; expected 4 or more")
    cells = {column: fields[index].strip() for column, index in where.items()}
    if any(_NOT_UTF8.search(text) for text in cells.values()):
        return CsvRow(number=number, error="the row is not UTF-8 text; save the file as UTF-8 CSV")
    long = [column for column, text in cells.items() if len(text) > MAX_FIELD_CHARS]
    if long:
        return CsvRow(number=number, error=f"{long[0]}: longer than {MAX_FIELD_CHARS} characters")
    try:
        observed_at = parse_time(cells["observed_at"])
    except ValueProblem as exc:
        return CsvRow(
            number=number, pilot=cells["pilot"], metric=cells["metric"], error=f"observed_at: {exc}"
        )
    try:
        value = parse_value(cells["value"])
    except ValueProblem as exc:
        return CsvRow(
            number=number, pilot=cells["pilot"], metric=cells["metric"], error=f"value: {exc}"
        )
    if not cells["metric"]:
        return CsvRow(number=number, pilot=cells["pilot"], error="metric: empty")
    return CsvRow(
        number=number,
        pilot=cells["pilot"],
        metric=cells["metric"],
        observed_at=observed_at,
        value=value,
    )
