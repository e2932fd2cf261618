"""Margins sized from a figure's labels before Plotly draws it (dashboard/chart_margins.py);
tests/browser/test_chart_labels.py checks them against Chromium's drawing."""

from dashboard import charts
from dashboard.chart_margins import LABEL_LIMIT, fit_margins, shorten, text_width


def _bars(names: list[str], **layout) -> dict:
    trace = charts._trace("bar", y=names, x=[1] * len(names), orientation="h")
    return charts._figure([trace], "Pilots", **layout)


def test_text_width_grows_with_the_text_and_counts_wide_characters_wider():
    assert text_width("") == 0
    assert text_width("Claims") < text_width("Claims triage")
    assert text_width("iiii") < text_width("MMMM")
    assert text_width("東京") > text_width("ab")
    assert text_width("Łódź") > 0


def test_shorten_cuts_long_labels_with_an_ellipsis_only():
    assert shorten("Claims triage") == "Claims triage"
    long = "x" * (LABEL_LIMIT + 10)
    assert shorten(long) == "x" * (LABEL_LIMIT - 1) + "…"
    assert len(shorten(long)) == LABEL_LIMIT


def test_left_margin_fits_the_longest_category_label_and_never_shrinks():
    short = _bars(["A", "B"])["layout"]["margin"]
    long = _bars(["A", "A much longer pilot name here"])["layout"]["margin"]
    assert long["l"] > short["l"] >= charts.LAYOUT["margin"]["l"]
    assert long["l"] >= text_width("A much longer pilot name here")
    assert long["t"] == charts.LAYOUT["margin"]["t"]


def test_over_long_names_are_shortened_on_the_axis_but_kept_whole_in_the_data():
    name = "Cross-border customs declaration classifier for inbound parcels"
    figure = _bars([name, "Claims triage"])
    axis = figure["layout"]["yaxis"]
    assert figure["data"][0]["y"][0] == name  # the hover label shows it whole
    assert axis["tickvals"] == [name, "Claims triage"]
    assert axis["ticktext"] == [shorten(name), "Claims triage"]
    assert figure["layout"]["margin"]["l"] < text_width(name)


def test_bottom_margin_makes_room_for_the_axis_title_and_a_legend():
    bare = _bars(["A"])["layout"]["margin"]["b"]
    titled = _bars(["A"], xaxis={"title": {"text": "Pilots"}})["layout"]["margin"]["b"]
    two = charts._figure(
        [
            charts._trace("bar", name="Planned", y=["A"], x=[1], orientation="h"),
            charts._trace("bar", name="Realized", y=["A"], x=[2], orientation="h"),
        ],
        "Two series",
    )
    assert titled > bare
    assert two["layout"]["margin"]["b"] > bare


def test_crowded_category_labels_are_given_room_to_turn():
    names = [f"{n}. Candidate pilot number {n}" for n in range(1, 13)]
    trace = charts._trace("bar", x=names, y=list(range(12)))
    turned = charts._figure([trace], "Ranked")["layout"]["margin"]["b"]
    level = charts._figure([charts._trace("bar", x=["A", "B"], y=[1, 2])], "Two")["layout"]
    assert turned > level["margin"]["b"] + 40


def test_existing_margins_are_kept_when_larger():
    figure = {
        "data": [charts._trace("bar", y=["A"], x=[1], orientation="h")],
        "layout": {"margin": {"l": 300, "r": 16, "t": 48, "b": 200}, "yaxis": {}},
    }
    margin = fit_margins(figure)["layout"]["margin"]
    assert margin["l"] == 300 and margin["b"] == 200
