"""Margins that fit a figure's labels, worked out before Plotly draws it.

With `automargin` alone, Plotly draws a chart, measures its tick labels and legend, finds the
margins too small, and draws it all again: on a cold dashboard that second pass was about a
third of the time spent drawing. Here each margin is sized from the figure's own text (an
estimate of its width at the font size used, from per-character widths that are the larger
of Arial's and DejaVu Sans's), so Plotly's measurement finds nothing to widen and draws
once. `automargin` stays on every axis as the guard: if an estimate falls short (a narrower
screen where Plotly stands the tick labels upright, a font wider than both), Plotly still
widens the margin rather than clip a label.

Very long category labels (pilot names) are shortened with an ellipsis on the axis; the
full text stays in the data, so the hover label shows it whole.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

# Advance widths of printable ASCII (" " to "~") in thousandths of an em.
_ASCII = (
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 55, 84, 32, 36, 32, 37, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 34, 29, 66, 56,
    91, 76, 79, 60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 37, 39, 84, 50, 50, 61, 63,
    55, 63, 62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59,
    59, 52, 64, 55, 64, 84,
)  # fmt: skip
FONT_SIZE = 13  # the figures' font (charts.LAYOUT)
LINE = 1.3  # a line of text, in ems
PUSH_PAD = 12  # Plotly pads every automargin push by min(12, margins)
PAD = 4  # layout.margin.pad: between the plot area and its tick labels
TITLE_GAP = 8  # an axis title's distance from its tick labels
LEGEND_ROW = 20  # a horizontal legend's row at FONT_SIZE
LEGEND_ITEM = 46  # a legend item's symbol and gaps, besides its text
# The figure widths margins are sized for, those at 1440 px: a chart on a half-width panel of
# the dashboard, one across the page, one on a pilot page (whose legends wrap soonest). On a
# narrower screen Plotly may need more (labels turned, legend wrapped) and widens them.
HALF_WIDTH = 570
WIDE_WIDTH = 1190
LEGEND_WIDTH = 470
TICK = 7  # tick marks drawn outside the axis (heatmaps draw them by default), and their gap
LABEL_LIMIT = 32  # characters of a category label on an axis, beyond which it is shortened
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width in px of `text` at `size` px: an upper estimate for common sans fonts."""
    total = 0
    for char in str(text):
        code = ord(char)
        if 32 <= code < 127:
            total += _ASCII[code - 32]
        elif unicodedata.east_asian_width(char) in "WF":
            total += 100
        elif unicodedata.combining(char):
            continue
        else:
            total += 80
    return total * size / 100


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text`, cut to `limit` characters with an ellipsis if it is longer."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _values(traces: list[dict], letter: str, axis_id: str) -> list:
    """Every value the traces put on one axis ("x", "y" or "y2")."""
    out = []
    for trace in traces:
        if trace.get(f"{letter}axis", letter) != axis_id:
            continue
        values = trace.get(letter) or []
        if values and isinstance(values[0], list):  # a heatmap's z is 2-D; x and y are not
            values = [v for row in values for v in row]
        out.extend(v for v in values if v is not None)
    return out


def _kind(values: list) -> str:
    if not values:
        return "numeric"
    if all(isinstance(v, dt.date) or (isinstance(v, str) and _DATE.match(v)) for v in values):
        return "date"
    if any(isinstance(v, str) for v in values):
        return "category"
    return "numeric"


def _number_label(values: list, axis: dict) -> str:
    """The widest tick label Plotly is likely to write on a numeric axis."""
    biggest = max((abs(float(v)) for v in values), default=1.0)
    digits = len(str(int(math.ceil(biggest)))) if biggest >= 1 else 1
    if axis.get("tickformat") == "~s" or biggest >= 10_000:
        label = "888.8k"  # SI-prefixed: at most three digits, a decimal and a prefix
    else:
        label = "8" * digits + (".88" if biggest < 10 else "")
    sign = "−" if any(float(v) < 0 for v in values) else ""
    return sign + axis.get("tickprefix", "") + label + axis.get("ticksuffix", "")


def _tick_labels(axis: dict, values: list) -> tuple[str, list[str]]:
    """The axis's kind and the tick labels it will show (category labels shortened)."""
    kind = _kind(values)
    if kind == "category":
        labels = list(dict.fromkeys(str(v) for v in values))
        long = [label for label in labels if len(label) > LABEL_LIMIT]
        if long and "ticktext" not in axis:
            axis["tickmode"] = "array"
            axis["tickvals"] = labels
            axis["ticktext"] = [shorten(label) for label in labels]
        return kind, [str(t) for t in axis.get("ticktext", labels)]
    if kind == "date":
        return kind, ["Sep 30"]  # "Sep 30" over "2026": two lines
    return kind, [_number_label(values, axis)]


def _title_space(axis: dict) -> float:
    title = (axis.get("title") or {}).get("text")
    return FONT_SIZE * LINE + TITLE_GAP if title else 0


def _legend_rows(traces: list[dict], plot_width: float) -> int:
    names = [t["name"] for t in traces if t.get("name") and t.get("showlegend", True)]
    if len(names) < 2:
        return 0
    rows, used = 1, 0.0
    for name in names:
        item = LEGEND_ITEM + text_width(name)
        if used and used + item > plot_width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def _overlap(widths: list[float], spacing: float) -> bool:
    """Whether two neighbouring labels, side by side, would touch (Plotly's test)."""
    return any((a + b) / 2 + 2 > spacing for a, b in zip(widths, widths[1:], strict=False))


def fit_margins(figure: dict, *, wide: bool = False) -> dict:
    """Widen the figure's layout margins (never narrow them) to fit its tick labels, axis
    titles and legend; shorten over-long category labels on the axis. Returns the figure."""
    layout, traces = figure["layout"], figure["data"]
    margin = {**layout["margin"]}
    width = WIDE_WIDTH if wide else HALF_WIDTH
    line = FONT_SIZE * LINE
    ticks = TICK if any(t.get("type") == "heatmap" for t in traces) else 0
    side = PUSH_PAD + PAD + 2 + ticks

    left = right = 0.0
    bottom = 0.0
    for axis_id, letter in (("y", "y"), ("y2", "y")):
        name = "yaxis" if axis_id == "y" else "yaxis2"
        if name not in layout:
            continue
        axis = layout[name]
        _, labels = _tick_labels(axis, _values(traces, letter, axis_id))
        need = side + max(text_width(label) for label in labels) + _title_space(axis)
        if axis.get("side") == "right":
            right = max(right, need)
        else:
            left = max(left, need)

    xaxis = layout.get("xaxis")
    if xaxis is not None:
        kind, labels = _tick_labels(xaxis, _values(traces, "x", "x"))
        widest = max(text_width(label) for label in labels)
        label_height = line * (2 if kind == "date" else 1)
        if kind == "category":
            # Plotly turns category labels that would touch: 30° if the ticks are far
            # enough apart for turned labels not to touch, else upright.
            # (Judged on typical widths, 0.9 of the upper estimate: near the line, a label
            # guessed turned would leave a gap under a chart whose labels stay level.)
            widths = [0.9 * text_width(label) for label in labels]
            spacing = (width - max(left, margin["l"]) - max(right, margin["r"])) / len(labels)
            if _overlap(widths, spacing):
                angle = 30 if spacing >= math.sqrt(3) * 1.25 * FONT_SIZE else 90
                rad = math.radians(angle)
                label_height = widest * math.sin(rad) + line * math.cos(rad)
                # A label turned 30° runs to the right of its tick; the last one may run
                # past the plot's edge.
                if angle == 30:
                    right = max(right, widest * math.cos(rad) - spacing / 2 + PUSH_PAD)
        bottom = side + label_height + _title_space(xaxis)
        left = max(left, widest / 2 + PUSH_PAD if kind != "category" else 0)

    plot_width = (LEGEND_WIDTH if not wide else WIDE_WIDTH) - max(left, margin["l"])
    rows = _legend_rows(traces, plot_width - max(right, margin["r"]))
    if rows:
        bottom += rows * LEGEND_ROW + 12

    for key, need in (("l", left), ("r", right), ("b", bottom)):
        margin[key] = max(margin[key], math.ceil(need))
    layout["margin"] = margin
    return figure
