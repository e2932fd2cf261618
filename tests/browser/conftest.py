"""Playwright driving Debian's Chromium (never a downloaded browser).

Fixtures: `browser_type_launch_args` (overrides pytest-playwright's), `login(page, user)`
and `live_url(path)`. Screenshots of failing tests go to test-artifacts/.
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


@pytest.fixture
def login(live_url):
    """Log `user` in through the real login form (their password is PASSWORD)."""

    def do(page, user, password: str = PASSWORD) -> None:
        page.goto(live_url("/accounts/login/"))
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("networkidle")

    return do


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
