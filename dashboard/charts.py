"""Plotly figures for the dashboard and the pilot page, built from selector data.

Each point carries a link in `customdata` (static/js/charts.js follows it on click), so every
chart drills down to the pilots behind it. The same numbers are shown as tables in the
templates; figures only draw them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from config.money import currency, with_currency
from dashboard.chart_margins import fit_margins
from dashboard.filters import AGE_BUCKETS, RISK_FLAGS
from portfolio.models import Status

# Colour-blind safe (Okabe-Ito), each readable on white.
STATUS_COLOURS = {"active": "#0072B2", "on_hold": "#E69F00", "stopped": "#D55E00"}
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"]
LAYOUT = {
    # The smallest margins; _figure widens each to fit the figure's own labels (see
    # fit_margins), and every axis keeps automargin as a guard against clipping.
    "margin": {"l": 16, "r": 16, "t": 48, "b": 16, "pad": 4},
    "height": 340,
    "font": {"family": "system-ui, sans-serif", "size": 13, "color": "#1b1f24"},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    # The legend sits at the figure's own bottom edge (container coordinates), below the
    # x-axis title, and pushes the bottom margin; placed in plot coordinates it overlapped
    # the axis title whenever the tick labels were long.
    "legend": {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "yref": "container",
        "y": 0,
        "yanchor": "bottom",
    },
}
AXES = ("xaxis", "yaxis", "yaxis2")

Link = Callable[..., str]


def _num(value) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _trace(kind: str, **props) -> dict:
    """One Plotly trace as its JSON: the properties given and its type.

    Built as a plain dict rather than through plotly.graph_objects, whose validators cost
    about as much per request as the dashboard's SQL; tests/dashboard/test_charts.py checks
    every figure against Plotly's schema instead.
    """
    return {"type": kind, **props}


def _figure(traces: list[dict], title: str, *, wide: bool = False, **layout) -> dict:
    """Plotly's figure JSON: the traces, and a layout we write ourselves (go.Figure would
    add its default template, about 10 kB of JSON per figure). Its margins fit its labels
    (chart_margins); `wide` for a chart that spans the page's width."""
    full = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        **LAYOUT,
        **layout,
    }
    for axis in AXES:
        if axis in full or axis != "yaxis2":
            full[axis] = {"automargin": True, **full.get(axis, {})}
    return fit_margins({"data": traces, "layout": full}, wide=wide)


def funnel_figure(summary: dict, link: Link) -> dict:
    funnel = summary["funnel"]
    labels = [row["label"] for row in funnel]
    traces = []
    status_labels = dict(Status.choices)
    for status in Status.values:
        traces.append(
            _trace(
                "bar",
                name=status_labels[status],
                y=labels,
                x=[row["by_status"][status] for row in funnel],
                orientation="h",
                marker={"color": STATUS_COLOURS[status]},
                customdata=[link(stage=row["stage"], status=status) for row in funnel],
                hovertemplate="%{y}, " + status_labels[status] + ": %{x}<extra></extra>",
            )
        )
    return _figure(
        traces,
        "Pilots by stage and status",
        barmode="stack",
        yaxis={"autorange": "reversed"},
        xaxis={"title": {"text": "Pilots"}},
    )


def signal_figure(signals: dict, stages: list[tuple[str, str]], link: Link) -> dict:
    rows = signals["rows"]
    z = [[row["by_stage"][s] for s, _ in stages] for row in rows]
    fig = _trace(
        "heatmap",
        z=z,
        x=[label for _, label in stages],
        y=[row["label"] for row in rows],
        text=z,
        texttemplate="%{text}",
        colorscale=[[0, "#f6f8fa"], [1, "#0b5cad"]],
        showscale=False,
        # Gapless bricks are drawn as a scaled image made crisp by an inline style
        # attribute, which our CSP blocks (blurring it); with gaps they are drawn as cells.
        xgap=1,
        ygap=1,
        customdata=[[link(signal=row["signal"], stage=s) for s, _ in stages] for row in rows],
        hovertemplate="%{y} in %{x}: %{z}<extra></extra>",
    )
    return _figure([fig], "Signal by stage", wide=True, yaxis={"autorange": "reversed"})


def money_axis(label: str) -> dict:
    """An axis of amounts: titled with the currency, ticks like "€180k"."""
    return {
        "title": {"text": with_currency(label)},
        "tickprefix": currency().prefix,
        "tickformat": "~s",
    }


def money_hover(name: str, *, horizontal: bool = False) -> str:
    """Hover text of an amount: "Claims triage, Planned annual cost: €180,000". The pilot
    is on the x axis of vertical bars and on the y axis of horizontal ones."""
    label, amount = ("y", "x") if horizontal else ("x", "y")
    return f"%{{{label}}}, {name}: {currency().prefix}%{{{amount}:,.0f}}<extra></extra>"


def economics_figures(econ: dict, pilot_link: Link) -> dict[str, dict]:
    pilots = econ["pilots"]
    names = [p["name"] for p in pilots]
    links = [pilot_link(p["id"]) for p in pilots]

    # Horizontal bars, one row per pilot: names stay readable (rotated under vertical bars
    # they took most of the chart's height), and the chart grows with the pilots shown.
    height = max(LAYOUT["height"], 110 + 26 * len(pilots))
    names_axis = {"autorange": "reversed", "automargin": True}

    def bars(name: str, key: str, color: str, hover: str | None = None) -> dict:
        return _trace(
            "bar",
            name=name,
            y=names,
            x=[_num(p[key]) for p in pilots],
            orientation="h",
            marker={"color": color},
            customdata=links,
            **({"hovertemplate": hover} if hover else {}),
        )

    roi = _figure(
        [
            bars("Planned ROI %", "planned_roi", PALETTE[0]),
            bars("Realized ROI %", "realized_roi", PALETTE[2]),
        ],
        "First-year ROI, planned versus realized",
        barmode="group",
        height=height,
        yaxis=names_axis,
        # No axis title under these two: beside a column of pilot names a phone leaves the
        # bars too little width to hold one; the ticks carry the unit ("40%", "€50k").
        xaxis={"ticksuffix": "%"},
    )
    cost = _figure(
        [
            bars(
                "Planned annual cost",
                "annual_cost",
                PALETTE[0],
                money_hover("Planned annual cost", horizontal=True),
            ),
            bars(
                "Realized annual run cost",
                "realized_annual_cost",
                PALETTE[3],
                money_hover("Realized annual run cost", horizontal=True),
            ),
        ],
        # The currency in the title (short enough for a phone), the legend says which is which.
        with_currency("Annual run cost"),
        barmode="group",
        height=height,
        yaxis=names_axis,
        xaxis={k: v for k, v in money_axis("Per year").items() if k != "title"},
    )
    return {"roi": roi, "cost": cost}


def reliability_figure(reliability: dict, labels: dict[str, str], link: Link) -> dict:
    traces = []
    for index, (key, points) in enumerate(reliability["series"].items()):
        traces.append(
            _trace(
                "scatter",
                name=labels.get(key, key),
                x=[p["day"] for p in points],
                y=[p["value"] for p in points],
                mode="lines+markers",
                line={"color": PALETTE[index % len(PALETTE)]},
                yaxis="y2" if key == "p95_latency_ms" else "y",
                customdata=[link() for _ in points],
            )
        )
    return _figure(
        traces,
        f"Reliability over the last {reliability.get('days', 30)} days",
        wide=True,
        yaxis={"title": {"text": "Rate / %"}},
        yaxis2={"title": {"text": "p95 latency (ms)"}, "overlaying": "y", "side": "right"},
    )


def at_risk_figure(at_risk: dict, link: Link) -> dict:
    flags = list(RISK_FLAGS)
    return _figure(
        [
            _trace(
                "bar",
                x=[RISK_FLAGS[f] for f in flags],
                y=[at_risk["counts"][f] for f in flags],
                marker={"color": PALETTE[3]},
                customdata=[link(flag=f) for f in flags],
                hovertemplate="%{x}: %{y}<extra></extra>",
            )
        ],
        "Pilots at risk",
        yaxis={"title": {"text": "Pilots"}},
    )


def time_in_stage_figure(summary: dict, link: Link) -> dict:
    rows = summary["time_in_stage"]
    traces = []
    for index, (key, label, _low, _high) in enumerate(AGE_BUCKETS):
        traces.append(
            _trace(
                "bar",
                name=label,
                x=[r["label"] for r in rows],
                y=[r["buckets"][key] for r in rows],
                marker={"color": PALETTE[index % len(PALETTE)]},
                customdata=[link(stage=r["stage"], age=key) for r in rows],
                hovertemplate="%{x}, " + label + ": %{y}<extra></extra>",
            )
        )
    return _figure(
        traces, "Time in current stage", barmode="stack", yaxis={"title": {"text": "Pilots"}}
    )


def review_cycle_figure(reviews: dict, link: Link) -> dict:
    gates = reviews["gates"]
    return _figure(
        [
            _trace(
                "bar",
                x=[g["label"] for g in gates],
                y=[g["mean_days"] for g in gates],
                marker={"color": PALETTE[1]},
                customdata=[link(stage=g["from_stage"]) for g in gates],
                hovertemplate="%{x}: %{y} days<extra></extra>",
            )
        ],
        "Review cycle time (mean days, last year)",
        yaxis={"title": {"text": "Days"}},
    )


def planner_figure(plan: dict, pilot_link: Link) -> dict:
    rows = plan["rows"]
    traces = [
        _trace(
            "bar",
            name="Expected net annual value",
            x=[f"{r['rank']}. {r['name']}" for r in rows],
            y=[_num(r["net_value"]) for r in rows],
            marker={"color": [PALETTE[2] if r["funded"] else "#8c959f" for r in rows]},
            customdata=[pilot_link(r["id"]) for r in rows],
            hovertemplate=money_hover("Expected net annual value"),
        ),
        _trace(
            "scatter",
            name="Cumulative first-year cost",
            x=[f"{r['rank']}. {r['name']}" for r in rows],
            y=[_num(r["cumulative_cost"]) for r in rows],
            mode="lines+markers",
            line={"color": PALETTE[0]},
            customdata=[pilot_link(r["id"]) for r in rows],
            hovertemplate=money_hover("Cumulative first-year cost"),
        ),
    ]
    shapes = []
    cut = plan.get("cut_after_rank")
    if plan.get("budget") is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": _num(plan["budget"]),
                "y1": _num(plan["budget"]),
                "line": {"color": PALETTE[3], "dash": "dash"},
            }
        )
        if cut is not None and cut < len(rows):
            shapes.append(
                {
                    "type": "line",
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "x0": cut - 0.5,
                    "x1": cut - 0.5,
                    "line": {"color": PALETTE[3], "width": 3},
                }
            )
    return _figure(
        traces,
        "Candidates ranked by expected net value",
        wide=True,
        shapes=shapes,
        yaxis=money_axis("Amount"),
    )


def metric_figure(series: dict, pilot_url: str) -> dict:
    """One metric of one pilot: daily mean, p95 band, target and thresholds, alerts marked."""
    days = [p["day"] for p in series["points"]]
    traces = [
        _trace(
            "scatter",
            name="Daily mean",
            x=days,
            y=[p["mean"] for p in series["points"]],
            mode="lines",
            line={"color": PALETTE[0]},
        )
    ]
    for index, line in enumerate(series["lines"]):
        traces.append(
            _trace(
                "scatter",
                name=line["label"],
                x=[days[0], days[-1]] if days else [],
                y=[line["value"], line["value"]] if days else [],
                mode="lines",
                line={"color": PALETTE[(index + 1) % len(PALETTE)], "dash": "dash"},
            )
        )
    if series["alerts"]:
        traces.append(
            _trace(
                "scatter",
                name="Alerts",
                x=[a["day"] for a in series["alerts"]],
                y=[a["value"] for a in series["alerts"]],
                mode="markers",
                marker={"color": "#D55E00", "size": 11, "symbol": "x"},
                customdata=[f"{pilot_url}#metrics" for _ in series["alerts"]],
            )
        )
    # Each change to the pilot's models, prompts, datasets or vendors: a dotted vertical
    # line, labelled at the top (the pilot page lists the same changes as a table).
    changes = series.get("changes") or []
    shapes = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": c["day"], "x1": c["day"],
         "y0": 0, "y1": 1, "line": {"color": "#555555", "width": 1, "dash": "dot"}}
        for c in changes
    ]  # fmt: skip
    annotations = [
        {"x": c["day"], "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom",
         "text": c["label"], "showarrow": False, "font": {"size": 10, "color": "#555555"}}
        for c in changes
    ]  # fmt: skip
    extra = {"shapes": shapes, "annotations": annotations} if changes else {}
    return _figure(
        traces,
        series["label"],
        height=260,
        yaxis=money_axis("Amount")
        if series.get("money")
        else {"title": {"text": series.get("unit") or ""}},
        **extra,
    )
