"""The figures are written as plain Plotly JSON (no graph_objects per request): Plotly's own
schema must accept every one of them."""

import plotly.graph_objects as go
import pytest

pytestmark = pytest.mark.django_db


def test_every_dashboard_figure_passes_plotlys_validation(executive, portfolio_facts, client_for):
    response = client_for(executive).get("/portfolio/", {"budget": "50000"})
    figures = response.context["figures"]
    assert set(figures) == {
        "funnel",
        "signals",
        "at_risk",
        "time_in_stage",
        "roi",
        "cost",
        "reliability",
        "reviews",
        "planner",
    }
    for name, figure in figures.items():
        validated = go.Figure(figure).to_plotly_json()  # raises on an unknown property
        assert [t["type"] for t in validated["data"]] == [t["type"] for t in figure["data"]]
        assert figure["data"], name


def test_plotly_rejects_a_misspelt_trace_property():
    """The check above can fail: a wrong property name is an error, not ignored."""
    with pytest.raises(ValueError, match="colour"):
        go.Figure({"data": [{"type": "bar", "x": [1], "colour": "red"}], "layout": {}})
