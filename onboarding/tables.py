"""Read an uploaded table (CSV or Excel .xlsx) into rows of text by column name.

The format is told by the bytes, not the file name: an .xlsx is a ZIP archive (it starts
with "PK"); anything else must be UTF-8 text that the csv module reads. Values become
text as a person would type them (Excel's 1500.0 reads "1500", a date "2026-03-01"), so
one set of checks serves both formats.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

MAX_CELL_CHARS = 8000
# An .xlsx is compressed: refuse one that would unpack to more than this many times its
# size (a "zip bomb") before openpyxl reads it.
MAX_UNPACK_RATIO = 100


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why, for the `file` field."""


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]  # as written in the header, trimmed and lower-cased
    rows: tuple[tuple[int, dict[str, str]], ...]  # (line or row number, column -> text)
    format: str  # "csv" or "xlsx"


def _header(cells) -> tuple[str, ...]:
    names = tuple(" ".join(str(c or "").split()).lower().replace(" ", "_") for c in cells)
    if not any(names):
        raise TableError("the first row must name the columns; it is empty")
    seen = set()
    for name in names:
        if name and name in seen:
            raise TableError(f"the column {name!r} appears twice in the header row")
        seen.add(name)
    return names


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


def _rows(header, lines, max_rows: int):
    rows = []
    for number, cells in lines:
        values = [_text(c) for c in cells]
        if not any(values):
            continue
        if len(rows) >= max_rows:
            raise TableError(f"the file has more than {max_rows:,} rows; split it")
        if any(len(v) > MAX_CELL_CHARS for v in values):
            values = [v[:MAX_CELL_CHARS] for v in values]
        extra = values[len(header) :]
        if any(extra):
            row = {"__extra__": "this row has more cells than the header has columns"}
        else:
            row = {}
        row.update(
            {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name}
        )
        rows.append((number, row))
    return tuple(rows)


def _read_csv(data: bytes, max_rows: int) -> Table:
    if b"\x00" in data[:8192]:
        raise TableError("this is not a CSV or Excel (.xlsx) file")
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        raise TableError("the file is not UTF-8 text; save it as “CSV UTF-8” or .xlsx") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        first = next(reader, None)
        if first is None:
            raise TableError("the file is empty")
        header = _header(first)
        lines = ((reader.line_num, cells) for cells in reader)
        return Table(header, _rows(header, lines, max_rows), "csv")
    except csv.Error as exc:
        raise TableError(f"the CSV cannot be read: {exc}") from exc


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if "xl/workbook.xml" not in archive.namelist():
                raise TableError("this is not a CSV or Excel (.xlsx) file")
    except zipfile.BadZipFile:
        raise TableError("this is not a CSV or Excel (.xlsx) file") from None
    if unpacked > MAX_UNPACK_RATIO * max(len(data), 1024 * 1024):
        raise TableError("the workbook unpacks to far more than its size; save it again")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(f"the Excel file cannot be read ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        first = next(cells, None)
        if first is None:
            raise TableError("the first sheet is empty")
        header = _header(first)
        lines = ((number, row) for number, row in enumerate(cells, start=2))
        return Table(header, _rows(header, lines, max_rows), "xlsx")
    finally:
        book.close()


def read_table(data: bytes, *, max_rows: int) -> Table:
    if not data:
        raise TableError("the file is empty")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, max_rows)
    return _read_csv(data, max_rows)
