"""The dashboard's charts, drawn in Chromium at a desktop and a phone width: no tick label,
legend entry or title runs outside its chart, and at 1440 px the margins the server worked
out (dashboard/chart_margins.py) are the ones drawn, so Plotly did not widen them and draw
the chart a second time."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from portfolio.models import Pilot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "pilotgate-demo"  # noqa: S105
LONG_NAME = "Cross-border customs declaration classifier for inbound parcels (phase two)"
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-figure]')];
  return charts.length > 0 && charts.every(c => c._fullLayout && c.dataset.drawn === '1'
    && c.querySelector('svg.main-svg[aria-hidden="true"]'));
}"""
# For each chart: its text elements that reach outside the SVG they are drawn in, and the
# margins Plotly drew with next to those the server sent.
CHARTS = """() => [...document.querySelectorAll('[data-figure]')].map(el => {
  const svg = el.querySelector('svg.main-svg');
  const box = svg.getBoundingClientRect();
  const outside = [...el.querySelectorAll('svg.main-svg text')]
    .filter(t => t.textContent.trim() && getComputedStyle(t).display !== 'none')
    .filter(t => {
      const r = t.getBoundingClientRect();
      return r.left < box.left - 0.5 || r.right > box.right + 0.5
        || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
    })
    .map(t => t.textContent);
  const sent = el.layout.margin, drawn = el._fullLayout._size;
  return {
    id: el.dataset.figure,
    outside,
    sent: [sent.l, sent.r, sent.t, sent.b],
    drawn: [drawn.l, drawn.r, drawn.t, drawn.b],
    ticks: [...el.querySelectorAll('.ytick text, .xtick text')].map(t => t.textContent),
  };
})"""


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
@override_settings(PILOTGATE_DEMO_PASSWORD=DEMO_PASSWORD)
def test_no_chart_label_is_clipped_and_desktop_margins_need_no_second_pass(
    browser, live_url, login, width, height
):
    call_command("seed_demo")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    login(page, "erin", DEMO_PASSWORD)
    page.goto(live_url("/portfolio/"))
    page.wait_for_function(CHARTS_DRAWN)
    # The pilot at the top of the run-cost chart gets a name far longer than an axis has
    # room for: shortened there, whole in the data (and so on hover).
    top = page.evaluate("document.querySelector('[data-figure=fig-cost]').data[0].y[0]")
    pilot = Pilot.objects.get(name=top)
    pilot.name = LONG_NAME
    pilot.save()
    page.reload()
    page.wait_for_function(CHARTS_DRAWN)
    charts = page.evaluate(CHARTS)
    names = page.evaluate("document.querySelector('[data-figure=fig-cost]').data[0].y")
    assert LONG_NAME in names

    expected = {"signals", "funnel", "at_risk", "time_in_stage", "reviews", "roi", "cost"}
    assert expected <= {c["id"].removeprefix("fig-") for c in charts}, charts
    for chart in charts:
        assert chart["outside"] == [], f"{chart['id']} at {width} px: {chart['outside']}"
    ticks = [t for c in charts for t in c["ticks"]]
    assert LONG_NAME not in ticks
    assert any(t.endswith("…") and LONG_NAME.startswith(t[:-1]) for t in ticks), ticks
    if width == 1440:
        for chart in charts:
            grown = [d - s for s, d in zip(chart["sent"], chart["drawn"], strict=True)]
            assert max(grown) <= 1, f"{chart['id']}: sent {chart['sent']}, drew {chart['drawn']}"
    context.close()
