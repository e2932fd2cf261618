"""Find amounts of money shown without the currency in a rendered page.

A page's tables are read as a person reads them: a column whose header names an amount
(cost, benefit, value, budget), or a row whose header does, must show every figure as
format_money writes it ("€180,000", "-€1,250.50") or say it is missing ("—", "No data yet",
"Not set yet", ...). Definition lists (<dt>/<dd>) are read the same way.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MONEY_WORDS = re.compile(r"\b(cost|benefit|value|budget)\b", re.I)
NOT_MONEY = re.compile(r"\b(ROI|hours?|minutes?|%|rate|score|payback)\b", re.I)
MISSING = ("—", "No data yet", "Not set yet", "Not measured yet", "No economic case yet", "n/a", "")


def money_pattern(symbol: str = "€") -> re.Pattern:
    return re.compile(rf"^-?{re.escape(symbol)}\d{{1,3}}(,\d{{3}})*(\.\d+)?$")


class _Cells(HTMLParser):
    """Tables as rows of (tag, text) cells, and <dt>/<dd> pairs."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[tuple[str, str]]]] = []
        self.pairs: list[tuple[str, str]] = []
        self._cell: list[str] | None = None
        self._tag = ""
        self._dt: str | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th", "dt", "dd"):
            self._cell, self._tag = [], tag

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append((tag, " ".join("".join(self._cell).split())))
            self._cell = None
        elif tag in ("dt", "dd") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if tag == "dt":
                self._dt = text
            elif self._dt is not None:
                self.pairs.append((self._dt, text))
                self._dt = None
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _is_money_label(label: str) -> bool:
    return bool(MONEY_WORDS.search(label)) and not NOT_MONEY.search(label)


def _figure(text: str) -> str:
    """The figure in a cell, without a trailing note like '(3 reporting)' or the planner's
    'estimated' / 'measured' mark."""
    text = re.sub(r"\s*\(.*\)$", "", text).strip()
    return re.sub(r"\s+(estimated|measured)$", "", text)


def _judged(html: str):
    """(label, cell text) of every cell that shows an amount, by its row or column header."""
    parser = _Cells()
    parser.feed(html)
    for table in parser.tables:
        header = next((row for row in table if row and all(t == "th" for t, _ in row)), None)
        for row in table:
            if row is header or not row:
                continue
            if row[0][0] == "th" and _is_money_label(row[0][1]):
                yield from ((row[0][1], text) for tag, text in row[1:] if tag == "td")
            elif header and len(header) == len(row):
                yield from (
                    (head, text)
                    for (_, head), (tag, text) in zip(header, row, strict=True)
                    if tag == "td" and _is_money_label(head)
                )
    for label, text in parser.pairs:
        if _is_money_label(label):
            yield label, text


def bare_amounts(html: str, symbol: str = "€") -> list[tuple[str, str]]:
    """(label, cell text) of every amount shown without the currency."""
    ok = money_pattern(symbol)
    found = []
    for label, text in _judged(html):
        figure = _figure(text)
        if figure in MISSING or any(figure.startswith(m) for m in MISSING if m):
            continue
        if not ok.match(figure):
            found.append((label, text))
    return found


def money_cells(html: str) -> int:
    """How many cells the scan judged as amounts (so a scan that found none fails)."""
    return sum(1 for _ in _judged(html))


def section(html: str, marker: str) -> str:
    """The <section> whose opening tag holds `marker` (an id or aria-labelledby)."""
    start = html.index(marker)
    start = html.rindex("<section", 0, start)
    depth, at = 0, start
    for match in re.finditer(r"<(/?)section\b", html[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            at = start + match.end()
            break
    return html[start:at]
