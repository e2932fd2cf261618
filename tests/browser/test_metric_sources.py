"""An owner connects a source, pulls it with the htmx button, and sees it healthy."""

import re

import pytest
from playwright.sync_api import expect

from metrics.models import MetricSource, Snapshot
from tests.browser.conftest import htmx_ready
from tests.factories import PilotFactory, UserFactory
from tests.metrics.pull_servers import http_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_celery():
    """The queued pull runs right away in the server thread (the worker has its own tests)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_owner_adds_a_source_and_pulls_it_now(page, live_url, login, settings, eager_celery):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    owner = UserFactory(username="olga", roles=["contributor"])
    pilot = PilotFactory(name="Refund assistant", owner=owner)
    routes = {"/m": lambda h: h.send_json({"uptime": 99.25})}
    with http_server(routes) as (base, handler):
        login(page, owner)
        page.goto(live_url(pilot.get_absolute_url()))
        page.get_by_role("link", name="Manage sources and uploads").click()
        page.get_by_role("link", name="Add a source").click()
        page.get_by_role("textbox", name=re.compile(r"^Name\b")).fill("Status JSON")
        page.get_by_label("Kind").select_option("http_json")
        page.get_by_role("textbox", name=re.compile(r"^URL\b")).fill(f"{base}/m")
        page.get_by_label("Metrics").fill("uptime_pct | $.uptime")
        page.get_by_label("Secret header name").fill("X-Api-Key")
        page.get_by_label("Secret header value").fill("browser-secret-1")
        page.get_by_role("button", name="Add source").click()

        row = page.get_by_role("row", name=re.compile("Status JSON"))
        expect(row).to_contain_text("Not pulled yet")
        assert "browser-secret-1" not in page.content()
        htmx_ready(page)
        # The button posts with htmx and swaps just this row.
        row.get_by_role("button", name=re.compile("Pull now")).click()
        swapped = page.get_by_role("row", name=re.compile("Status JSON"))
        expect(swapped.get_by_role("status")).to_contain_text("Pull queued")
        assert handler.seen[-1]["headers"]["X-Api-Key"] == "browser-secret-1"
        page.reload()
        expect(page.get_by_role("row", name=re.compile("Status JSON"))).to_contain_text("Healthy")
    source = MetricSource.objects.get(name="Status JSON")
    assert Snapshot.objects.get(source=source.ingest_source).value == 99.25
