"""The Content-Security-Policy holds in a real browser: no page of the demo triggers a
violation (an inline script or style, a resource from elsewhere), vendored code included."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from gates.models import Review
from metrics.models import MetricSource
from portfolio.models import Pilot
from tests.dashboard.conftest import add_rollup
from tests.factories import PilotFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "pilotgate-demo"  # noqa: S105


def _collect_violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        # Our listener below reports each violation with its source file; Chrome's own
        # console line about it carries no source, so only ours are collected.
        lambda message: seen.append(message.text) if message.text.startswith("CSP ") else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + "
        "e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"
    )
    return seen


@override_settings(PILOTGATE_DEMO_PASSWORD=DEMO_PASSWORD)
def test_no_page_of_the_demo_violates_the_csp(page, live_url, login):
    call_command("seed_demo")
    admin = User.objects.get(username="admin")
    pilot = Pilot.objects.order_by("pk").first()
    paths = [
        "/pilots/",
        f"/pilots/{pilot.pk}/",
        f"/pilots/{pilot.pk}/edit/",
        f"/pilots/{pilot.pk}/roles/",
        f"/pilots/{pilot.pk}/workbooks/strategy/",
        f"/pilots/{pilot.pk}/workbooks/operations/",
        f"/pilots/{pilot.pk}/memo/",
        "/portfolio/",
        "/gates/reviews/",
        "/gates/criteria/",
        f"/metrics/pilots/{pilot.pk}/sources/",
        "/accounts/tokens/",
        "/accounts/password/",
        "/api/docs/",
        "/admin/",
    ]
    review = Review.objects.order_by("pk").first()
    if review:
        paths.append(f"/gates/reviews/{review.pk}/")
    source = MetricSource.objects.order_by("pk").first()
    if source:
        paths.append(f"/metrics/sources/{source.pk}/")
    violations = _collect_violations(page)
    login(page, admin, password=DEMO_PASSWORD)
    for path in paths:
        page.goto(live_url(path))
        page.wait_for_load_state("networkidle")
        if path == "/api/docs/":
            page.wait_for_selector(".swagger-ui .information-container", timeout=15000)
    # Plotly.js included: its stylesheets are linked, not injected (bin/plotly_css.py).
    assert violations == [], "\n".join(violations)


def test_charts_draw_without_a_csp_violation_and_keep_plotlys_styles(page, live_url, login):
    """Plotly.js would add its stylesheet as an inline <style>, which the CSP blocks; the
    page links the same rules as a static file instead (static/vendor/plotly-*/plotly.css)."""
    owner = UserFactory(username="olga", roles=["contributor"])
    pilot = PilotFactory(name="Claims triage", business_unit="Claims", owner=owner)
    now = timezone.now()
    for day in range(30):
        add_rollup(pilot, "p95_latency_ms", now - timedelta(days=day), total=700 + day)
        add_rollup(pilot, "hallucination_rate", now - timedelta(days=day), total=0.02)
    violations = _collect_violations(page)
    login(page, UserFactory(username="erin", roles=["executive"]))
    for path in ("/portfolio/", f"/pilots/{pilot.pk}/"):
        page.goto(live_url(path))
        page.wait_for_function(
            "() => document.querySelector('[data-figure]') && [...document.querySelectorAll("
            "'[data-figure]')].every(el => el.querySelector('.main-svg'))"
        )
        page.locator("[data-figure] .main-svg").first.hover()
        page.wait_for_load_state("networkidle")
        # Plotly's own rules apply (its SVG layers are stacked, not laid out one under the
        # other), and come from the static file: no <style> of plotly's in the page.
        position = page.eval_on_selector(
            "[data-figure] .main-svg", "el => getComputedStyle(el).position"
        )
        assert (path, position) == (path, "absolute")
        assert page.locator("head style").count() == 0
    assert violations == [], "\n".join(violations)
