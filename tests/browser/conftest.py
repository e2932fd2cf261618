"""Playwright driving Debian's Chromium (never a downloaded browser).

Fixtures: `browser_type_launch_args` (overrides pytest-playwright's), `login(page, user)`,
`live_url(path)`, and the gate-review set-up the journeys share: `reviewable_pilot(...)` and
`pending_review(...)`; `review_queue_row(page, pilot_name)` opens the review queue from the
main navigation. Screenshots of failing tests go to test-artifacts/.
"""

import os
from pathlib import Path

import pytest

from tests.services import unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery"

# Playwright's sync API keeps an event loop running in the test thread for the whole
# session; the ORM calls the tests and fixtures make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


def htmx_ready(page) -> None:
    """Wait until the page has loaded and htmx has wired up its elements.

    Playwright's click returns once a navigation starts, and a visible heading
    only proves the HTML arrived: htmx (a deferred script) may not yet listen
    for the change or click the test is about to make.
    """
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


@pytest.fixture
def live_url(live_server):
    def make(path: str = "/") -> str:
        return f"{live_server.url}{path}"

    return make


def submit_login(page, url: str, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the login form at `url` (the real one); wait for nothing after."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def login(live_url):
    """Log `user` (a User or a username) in through the real login form; their password is
    PASSWORD unless given. Whoever was signed in on the page's browser context before is
    signed out first; an empty username leaves nobody signed in."""

    def do(page, user, password: str = PASSWORD) -> None:
        page.context.clear_cookies()
        username = getattr(user, "username", user)
        if not username:
            return
        submit_login(page, live_url("/accounts/login/"), username, password)
        page.wait_for_load_state("networkidle")

    return do


def review_queue_row(page, pilot_name: str):
    """Open the review queue from the main navigation; the row of `pilot_name`'s review."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    return page.get_by_role("row", name=pilot_name)


@pytest.fixture
def reviewable_pilot():
    """Make a Discovery pilot its owner can take to review: the Discovery → Pilot gate gets
    criteria it meets (a named technical owner, nothing that needs a workbook filled).
    Returns (owner "opal", pilot); the technical owner is "tariq"."""
    from accounts.models import PilotRole
    from gates.models import CriteriaVersion, Gate
    from tests.factories import PilotFactory, UserFactory

    def make(name: str = "Refund reason tagger", risk_tier: str = "low"):
        owner = UserFactory(username="opal", roles=["contributor"])
        tech = UserFactory(username="tariq", roles=["contributor"])
        gate = Gate.objects.get(from_stage="discovery", to_stage="pilot")
        CriteriaVersion.objects.create(
            gate=gate,
            number=gate.versions.count() + 1,
            criteria=[
                {
                    "key": "technical_owner_named",
                    "kind": "roles_named",
                    "label": "Technical owner named",
                    "params": {"roles": ["technical_owner"]},
                    "mandatory": True,
                    "risk_tiers": [],
                }
            ],
        )
        pilot = PilotFactory(name=name, owner=owner, risk_tier=risk_tier)
        PilotRole.objects.create(pilot=pilot, role="technical_owner", user=tech)
        return owner, pilot

    return make


@pytest.fixture
def pending_review(reviewable_pilot):
    """Make a reviewable pilot whose owner has asked for the Discovery → Pilot review.
    Returns (owner, pilot, review)."""
    from gates.services import review_request

    def make(name: str = "Refund reason tagger", risk_tier: str = "low"):
        owner, pilot = reviewable_pilot(name, risk_tier)
        return owner, pilot, review_request(pilot=pilot, to_stage="pilot", by=owner)

    return make


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        if page is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{item.name}.png"), full_page=True)
            except Exception:  # noqa: BLE001, S110  (a screenshot must never hide the failure)
                pass
