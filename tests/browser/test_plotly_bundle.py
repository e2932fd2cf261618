"""The pages load our custom plotly.js bundle (bin/build_plotly.js): it must know every trace
type we draw (plotly.js would otherwise fall back to another type, or draw nothing,
silently), and only those (a type we stop drawing should leave the bundle)."""

import re
from pathlib import Path

import pytest

from dashboard import charts
from tests.browser.test_dashboard_journey import charts_drawn, portfolio  # noqa: F401
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_custom_plotly_bundle_draws_every_trace_type_the_product_uses(
    page,
    live_url,
    login,
    portfolio,  # noqa: F811
):
    drawn_in_code = set(re.findall(r'_trace\(\s*"(\w+)"', Path(charts.__file__).read_text()))
    assert {"bar", "heatmap", "scatter"} <= drawn_in_code

    login(page, UserFactory(username="erin", roles=["executive"]))
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    for path in ("/portfolio/", portfolio.get_absolute_url()):
        page.goto(live_url(path))
        charts_drawn(page)
        known = set(page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
        assert known == drawn_in_code, known ^ drawn_in_code
        on_page = set(
            page.evaluate(
                """() => [...document.querySelectorAll('script[type="application/json"]')]
                   .flatMap(s => { try { return JSON.parse(s.textContent).data || []; }
                                   catch (e) { return []; } })
                   .map(t => t.type)"""
            )
        )
        assert on_page and on_page <= known
        # Each drawn trace is of its own type, not a fallback.
        drawn = set(
            page.evaluate(
                """() => [...document.querySelectorAll('[data-figure]')]
                   .flatMap(el => (el._fullData || []).map(t => t.type))"""
            )
        )
        assert drawn == on_page
    plotly = {url for url in scripts if "plotly" in url}
    assert plotly and all("/plotly-custom-" in url for url in plotly)
    assert not any(url.endswith("/plotly.min.js") for url in scripts)
