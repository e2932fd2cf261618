"""Staleness and the signal are true on every surface without new data (issue 14, item 3).

The clock is frozen by replacing django.utils.timezone.now, which every read of "now" in
the signal, the pages and the dashboard goes through.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from config.env import env_stage_days
from dashboard import selectors as dashboard
from dashboard.filters import parse_filters
from metrics import signal_refresh as signals
from metrics.models import PilotSignal
from metrics.services import snapshots_ingest, snapshots_process
from portfolio.models import Pilot
from portfolio.workbooks import models as wb
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db

REAL_NOW = timezone.now


@pytest.fixture
def clock(monkeypatch):
    """clock(moment) freezes timezone.now() at that moment."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def reporting_pilot(owner) -> Pilot:
    """A pilot whose metrics say scale carefully today."""
    pilot = PilotFactory(owner=owner, stage="pilot")
    wb.StrategyWorkbook.objects.create(
        pilot=pilot,
        expected_annual_benefit=200_000,
        annual_volume=100_000,
        cost_per_transaction="0.50",
        human_review_rate_pct=0,
        minutes_per_review=0,
        loaded_hourly_cost=0,
        failure_handling_cost=0,
        one_time_build_cost=0,
    )
    wb.SuccessMetric.objects.create(pilot=pilot, metric_id="adoption_rate", baseline=0, target=40)
    wb.SuccessMetric.objects.create(pilot=pilot, metric_id="error_rate", baseline=5, target=2)
    at = REAL_NOW() - timedelta(hours=1)
    rows = [
        {"pilot": pilot.pk, "metric": "adoption_rate", "observed_at": at, "value": 45},
        {"pilot": pilot.pk, "metric": "error_rate", "observed_at": at, "value": 1},
    ]
    snapshots_ingest(rows=rows, source="t", process=False)
    from metrics.models import MetricDefinition

    ids = dict(MetricDefinition.objects.values_list("key", "pk"))
    snapshots_process(
        spans=[(pilot.pk, ids["adoption_rate"], at, at), (pilot.pk, ids["error_rate"], at, at)]
    )
    return pilot


def test_a_pilot_that_stopped_reporting_loses_its_signal_everywhere(
    owner, client_for, api_for, clock, executive
):
    pilot = reporting_pilot(owner)
    assert PilotSignal.objects.get(pk=pilot.pk).code == "scale"
    assert api_for(owner).get(f"/api/pilots/{pilot.pk}/signal/").json()["code"] == "scale"

    later = clock(REAL_NOW() + timedelta(days=60))
    # Pages and the API compute where they read: no new data, no signal from old data.
    body = api_for(owner).get(f"/api/pilots/{pilot.pk}/signal/").json()
    assert body["code"] == "insufficient_data"
    assert body["explanation"]["cell"]["value"] == "unknown"
    assert body["explanation"]["cell"]["reliability"] == "unknown"
    assert body["reporting"] is False
    html = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert 'signal-insufficient_data">Insufficient data' in html
    assert "No data in the last 7 days (last report" in html

    # The dashboard reads stored rows: beat refreshes those the clock made out of date.
    assert signals.refresh_expired() == 1
    assert PilotSignal.objects.get(pk=pilot.pk).code == "insufficient_data"
    assert signals.refresh_expired() == 0  # computed after today's midnight: current
    filters, _ = parse_filters({"signal": "insufficient_data"})
    seen = dashboard.dashboard_pilots(user=executive, filters=filters, now=later)
    assert list(seen.values_list("pk", flat=True)) == [pilot.pk]


def test_a_signal_expires_at_the_next_utc_midnight(owner, clock):
    pilot = reporting_pilot(owner)
    computed = PilotSignal.objects.get(pk=pilot.pk).computed_at
    midnight = signals.day_start(computed) + timedelta(days=1)
    clock(midnight - timedelta(microseconds=1))
    assert signals.refresh_expired() == 0
    clock(midnight)
    assert signals.refresh_expired() == 1


def test_the_stale_badge_shows_without_new_data(owner, client_for, clock):
    pilot = PilotFactory(owner=owner, stage="pilot")
    entered = pilot.stage_entered_at
    clock(entered + timedelta(days=90))
    html = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert "In this stage longer than expected" not in html
    clock(entered + timedelta(days=90, seconds=1))
    html = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert "In this stage longer than expected (90 days), no review requested" in html


def test_expected_stage_days_are_a_setting_every_surface_reads(owner, client_for, executive, clock):
    pilot = PilotFactory(owner=owner, stage="pilot")
    now = clock(pilot.stage_entered_at + timedelta(days=31))
    filters, _ = parse_filters({"flag": "stale"})
    assert not dashboard.dashboard_pilots(user=executive, filters=filters, now=now).exists()
    with override_settings(
        PILOTGATE_EXPECTED_STAGE_DAYS={"discovery": 45, "pilot": 30, "readiness": 60}
    ):
        html = client_for(owner).get(pilot.get_absolute_url()).content.decode()
        assert "In this stage longer than expected (30 days)" in html
        stale = dashboard.dashboard_pilots(user=executive, filters=filters, now=now)
        assert list(stale.values_list("pk", flat=True)) == [pilot.pk]
        assert signals.compute_many([pilot.pk], now=now)[pilot.pk].stale


def test_expected_stage_days_are_read_from_the_environment(monkeypatch):
    default = {"discovery": 45, "pilot": 90, "readiness": 60}
    monkeypatch.setenv("X_DAYS", "pilot=30, readiness=20")
    assert env_stage_days("X_DAYS", default) == {"discovery": 45, "pilot": 30, "readiness": 20}
    for bad in ("pilot", "scale=10", "pilot=0", "pilot=abc"):
        monkeypatch.setenv("X_DAYS", bad)
        with pytest.raises(ImproperlyConfigured, match="X_DAYS"):
            env_stage_days("X_DAYS", default)


def test_the_pilot_page_explains_the_cell_with_its_inputs(owner, client_for):
    """Item 8: the decision-table cell, each dimension's status and why, the rule."""
    pilot = reporting_pilot(owner)
    html = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert 'Recommendation: <span class="signal signal-scale">Scale carefully</span>' in html
    assert "<dt>Value: <strong>clear</strong></dt>" in html
    assert "<dt>Reliability and support burden: <strong>stable</strong></dt>" in html
    assert "<dt>Economics (planned): <strong>acceptable</strong></dt>" in html
    assert "1 of 1 value metric meets its target" in html
    assert (
        "Rule applied: Value clear, operations stable, costs acceptable: scale carefully "
        "(a row of the source's decision table)." in html
    )
    assert "<dt>Planned (economic case)</dt><dd>€150,000</dd>" in html
    assert "Not measured yet" in html
