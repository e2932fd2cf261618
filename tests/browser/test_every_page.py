"""Every page of the demo, as its users see it, at a desktop and a phone width.

One walk over the demo (seeding it takes a while) checks, on every page and at both widths:
axe-core finds no WCAG 2 A/AA violation of any impact, and the page does not scroll
sideways (wide tables scroll inside their own box). It writes a full-page screenshot of each
to test-artifacts/screenshots/ (CI keeps test-artifacts/), for people to look at.

The Back/Forward test walks the dashboard's htmx filters and the browser's history.
"""

import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from gates.models import Gate, Review, Waiver
from metrics.models import MetricSource
from portfolio.models import Pilot
from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, htmx_ready

# Serialized rollback, as for every transactional test (tests/conftest.py): the demo data
# this test seeds is gone before the next test, which starts from the migrations' rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "pilotgate-demo"  # noqa: S105
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('[data-figure]')]"
    ".every(el => el.querySelector('.main-svg'))"
)
CSP_LISTENER = (
    "document.addEventListener('securitypolicyviolation', e => "
    "console.error('CSP violation: ' + e.violatedDirective + ' ' + "
    "e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"
)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    user: str = "admin"  # who looks at it (a demo login, or "" for nobody)
    # A form sent with mistakes: fields to fill (selector, value), then the button to press.
    fill: tuple = ()
    submit: str = ""


def demo_pages() -> list[Page]:
    # The pilot with the most to show: open alerts, metric charts, reviews.
    from django.db.models import Exists, OuterRef

    from metrics.models import MetricRollup

    charted = MetricRollup.objects.filter(pilot=OuterRef("pk"))
    busy = (
        Pilot.objects.filter(Exists(charted), signal__open_alerts__gt=0)
        .order_by("-signal__open_alerts", "pk")
        .first()
    ) or Pilot.objects.order_by("pk").first()
    review = Review.objects.filter(status="pending").order_by("pk").first()
    source = MetricSource.objects.order_by("pk").first()
    gate = Gate.objects.order_by("pk").first()
    # A review a lead (grace) has approved and another (gus) may still decide; a pilot
    # whose signal says stop (the waiver form warns).
    decided = Review.objects.filter(status="pending", decisions__isnull=False).first() or review
    stopping = Pilot.objects.filter(signal__code="stop").order_by("pk").first() or busy
    assert review is not None and source is not None, "the demo has a pending review and a source"
    pk = busy.pk
    olivias = Pilot.objects.filter(
        roles__user__username="olivia", roles__role="business_owner", status="active"
    ).order_by("pk")[0]
    # An owner's pilot with a next gate and no pending review: its request page and task list.
    owned = (
        Pilot.objects.filter(
            roles__user__username="olivia", roles__role="business_owner", status="active"
        )
        .exclude(stage="scale")
        .exclude(reviews__status="pending")
        .order_by("pk")
        .first()
    )
    assert owned is not None, "olivia owns an active pilot with no pending review"
    # A waiver grace granted and may revoke: its criterion by label, not by id.
    waiver = (
        Waiver.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        .filter(granted_by__username="grace")
        .order_by("pk")
        .first()
    )
    assert waiver is not None, "the demo has an active waiver grace granted"
    # Its alerts as someone who manages them: the one form for several alerts.
    manager = busy.roles.filter(role="business_owner").values_list("user__username", flat=True)
    pages = [
        Page("login", "/accounts/login/", user=""),
        Page("dashboard", "/portfolio/", user="erin"),
        Page("dashboard-filtered", "/portfolio/?stage=pilot&signal=stop", user="erin"),
        Page("pilot-list", "/pilots/"),
        Page("pilot-list-attention", "/pilots/?attention=alerts"),
        Page("pilot", f"/pilots/{pk}/"),
        Page("pilot-owner-view", f"/pilots/{review.pilot_id}/", user="olivia"),
        Page("pilot-alerts-manager", f"/pilots/{pk}/#alerts", user=manager.first() or "admin"),
        Page("pilot-edit", f"/pilots/{pk}/edit/"),
        Page("pilot-roles", f"/pilots/{pk}/roles/"),
        Page("pilot-new", "/pilots/new/", user="olivia"),
        Page("pilot-new-errors", "/pilots/new/", user="olivia", submit="Register pilot"),
        Page(
            "workbook-strategy-errors",
            f"/pilots/{olivias.pk}/workbooks/strategy/",
            user="olivia",
            fill=(("#id_annual_volume", "-5"),),
            submit="Save workbook",
        ),
        Page("pilot-task-list", f"/pilots/{owned.pk}/", user="olivia"),
        Page("review-request", f"/gates/pilots/{owned.pk}/request/", user="olivia"),
        Page("checklist", f"/gates/pilots/{owned.pk}/checklists/ml_test_score/", user="olivia"),
        Page("checklist-iso", f"/gates/pilots/{owned.pk}/checklists/iso_42001/", user="olivia"),
        Page("crosswalk", "/gates/crosswalk/"),
        Page("workbook-data-owner", f"/pilots/{owned.pk}/workbooks/data/", user="olivia"),
        *(
            Page(f"workbook-{phase}", f"/pilots/{pk}/workbooks/{phase}/")
            for phase in ("strategy", "data", "deployment", "operations", "monitoring")
        ),
        Page("memo", f"/pilots/{pk}/memo/"),
        Page("my-work-owner", "/my-work/", user="olivia"),
        Page("my-work-lead", "/my-work/", user="grace"),
        Page("review-queue", "/gates/reviews/", user="grace"),
        Page("review-detail", f"/gates/reviews/{review.pk}/", user="grace"),
        Page("review-detail-decided", f"/gates/reviews/{decided.pk}/", user="grace"),
        Page("waiver-new", f"/gates/pilots/{pk}/waivers/new/", user="grace"),
        Page("waiver-new-stop", f"/gates/pilots/{stopping.pk}/waivers/new/", user="grace"),
        Page("waiver-revoke", f"/gates/waivers/{waiver.pk}/revoke/", user="grace"),
        Page("review-detail-to-decide", f"/gates/reviews/{decided.pk}/", user="gus"),
        Page("review-request-pending", f"/gates/pilots/{review.pilot_id}/request/", user="olivia"),
        Page("criteria", "/gates/criteria/", user="grace"),
        Page("criteria-edit", f"/gates/criteria/{gate.pk}/", user="grace"),
        Page("sources", f"/metrics/pilots/{source.pilot_id}/sources/"),
        Page("source-detail", f"/metrics/sources/{source.pk}/"),
        Page("source-new", f"/metrics/pilots/{source.pilot_id}/sources/new/"),
        Page("csv-upload", f"/metrics/pilots/{source.pilot_id}/csv/"),
        Page("eu-ai-act-profile", f"/regulation/pilots/{owned.pk}/", user="olivia"),
        Page(
            "eu-ai-act-profile-errors",
            f"/regulation/pilots/{owned.pk}/",
            user="olivia",
            submit="Save the profile",
        ),
        Page("eu-ai-act-overview", "/regulation/", user="erin"),
        Page("eu-ai-act-obligations", "/regulation/obligations/", user="grace"),
        Page("eu-ai-act-obligation-edit", "/regulation/obligations/fria/", user="grace"),
        Page("eu-ai-act-annex-iv", f"/regulation/pilots/{owned.pk}/documents/annex-iv/"),
        Page("tokens", "/accounts/tokens/"),
        Page("password", "/accounts/password/"),
        Page("two-factor", "/accounts/mfa/"),
        Page("sessions", "/accounts/sessions/"),
    ]
    return pages


@override_settings(PILOTGATE_DEMO_PASSWORD=DEMO_PASSWORD)
def test_every_page_is_accessible_fits_a_phone_and_is_photographed(browser, live_url, login):
    call_command("seed_demo")
    assert User.objects.filter(username="admin").exists()
    pages = demo_pages()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for size, (width, height) in VIEWPORTS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        who = None
        for spec in pages:
            if spec.user != who:
                login(page, spec.user, DEMO_PASSWORD)
                who = spec.user
            response = page.goto(live_url(spec.path))
            assert response is not None and response.status == 200, (spec, response)
            page.wait_for_load_state("networkidle")
            if spec.submit:
                for selector, value in spec.fill:
                    page.locator(selector).fill(value)
                page.get_by_role("button", name=spec.submit).click()
                page.wait_for_load_state("networkidle")
                if not page.locator("[data-error-summary]").count():
                    problems.append(f"{spec.name} at {width} px: no error summary")
            page.wait_for_function(CHARTS_DRAWN)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{spec.name} at {width} px is {wide} px wide")
            for v in violations(page):
                problems.append(
                    f"{spec.name} at {width} px: {v['id']} ({v['impact']}) {v['nodes']}"
                )
            page.screenshot(path=str(SCREENSHOTS / f"{spec.name}-{size}.png"), full_page=True)
        context.close()
    assert problems == [], "\n".join(problems)


@pytest.fixture
def filtered_portfolio():
    """Pilots in two units and three stages, with a signal, so each filter changes the page."""
    from metrics.models import PilotSignal
    from tests.factories import PilotFactory, UserFactory

    owner = UserFactory(username="olga", roles=["contributor"])
    for name, unit, stage in [
        ("Claims triage", "Claims", "discovery"),
        ("Fraud scorer", "Claims", "scale"),
        ("Invoice matcher", "Finance", "scale"),
        ("Spend analyser", "Finance", "pilot"),
    ]:
        pilot = PilotFactory(name=name, business_unit=unit, stage=stage, owner=owner)
        PilotSignal.objects.create(pilot=pilot, code="hold", label="Hold and harden")
    return UserFactory(username="erin", roles=["executive"])


def test_back_forward_and_reload_after_filters_keep_charts_selects_and_csp(
    page, live_url, login, filtered_portfolio
):
    """After htmx filters, the browser's Back, Forward and reload each show the page the
    URL names: charts drawn (not restored as blocked inline-styled SVG), selects matching
    the URL, the matching pilots listed, and no Content-Security-Policy violation."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.text.startswith("CSP ") else None)
    page.add_init_script(CSP_LISTENER)
    login(page, filtered_portfolio)
    page.goto(live_url("/portfolio/"))
    htmx_ready(page)
    page.wait_for_function(CHARTS_DRAWN)

    def shows(unit: str, stage: str, count: int) -> None:
        page.wait_for_load_state("load")
        page.wait_for_function(CHARTS_DRAWN)
        expect(page.locator("#results .count strong")).to_have_text(str(count))
        expect(page.locator("#f-bu")).to_have_value(unit)
        expect(page.locator("#f-stage")).to_have_value(stage)
        query = page.evaluate("location.search")
        assert (f"business_unit={unit}" in query) == bool(unit), query
        assert (f"stage={stage}" in query) == bool(stage), query
        # Every chart is a fresh Plotly drawing whose SVG sits inside its own box.
        assert (
            page.locator("[data-figure] .main-svg").count() >= page.locator("[data-figure]").count()
        )
        assert (
            page.locator("[data-figure][data-drawn='1']").count()
            == page.locator("[data-figure]").count()
        )

    shows("", "", 4)
    page.locator("#f-bu").select_option("Claims")
    expect(page).to_have_url(re.compile(r"business_unit=Claims"))
    shows("Claims", "", 2)
    htmx_ready(page)
    page.locator("#f-stage").select_option("scale")
    expect(page).to_have_url(re.compile(r"business_unit=Claims.*stage=scale"))
    shows("Claims", "scale", 1)

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"stage=scale"))
    shows("Claims", "", 2)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"business_unit"))
    shows("", "", 4)
    page.go_forward()
    expect(page).to_have_url(re.compile(r"business_unit=Claims"))
    shows("Claims", "", 2)
    page.go_forward()
    expect(page).to_have_url(re.compile(r"stage=scale"))
    shows("Claims", "scale", 1)
    page.reload()
    shows("Claims", "scale", 1)
    # After a reload, the filters still work and Back still returns.
    htmx_ready(page)
    page.locator("#f-bu").select_option("Finance")
    expect(page).to_have_url(re.compile(r"business_unit=Finance.*stage=scale"))
    shows("Finance", "scale", 1)
    page.go_back()
    shows("Claims", "scale", 1)
    assert seen == [], "\n".join(seen)
