"""End-of-life alerts with a frozen clock: opened N days before, once per asset, pilot
and date, audited; stopped pilots and far-off dates get none."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from inventory.models import AIModel, EndOfLifeAlert, PilotAsset
from inventory.services import end_of_life_alerts_open
from inventory.tasks import end_of_life_alerts
from tests.factories import PilotFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)


@pytest.fixture
def retiring(vendor):
    vendor.contract_end = TODAY + timedelta(days=90)
    vendor.save()
    return AIModel.objects.create(
        provider="P", name="Old", version="1", vendor=vendor,
        end_of_life_on=TODAY + timedelta(days=30),
    )  # fmt: skip


def test_alerts_open_within_the_notice_and_only_once(retiring, owner, settings):
    settings.INVENTORY_END_OF_LIFE_NOTICE_DAYS = 60
    live = PilotFactory(owner=owner, stage="scale")
    stopped = PilotFactory(owner=owner, status="stopped")
    for pilot in (live, stopped):
        PilotAsset.objects.create(pilot=pilot, kind="model", model=retiring, purpose="x")
    opened = end_of_life_alerts_open(today=TODAY)
    assert [(a.pilot_id, a.what, a.ends_on) for a in opened] == [
        (live.pk, "end of life", TODAY + timedelta(days=30))
    ]
    # The vendor's contract ends in 90 days: outside the 60-day notice, no alert yet.
    assert end_of_life_alerts_open(today=TODAY) == []  # idempotent
    assert EndOfLifeAlert.objects.count() == 1
    assert AuditEvent.objects.filter(action="inventory.end_of_life_alert").count() == 1
    # Thirty days later the contract end is inside the notice too.
    later = end_of_life_alerts_open(today=TODAY + timedelta(days=31))
    assert [a.what for a in later] == ["contract end"]


def test_a_past_date_or_a_shorter_notice_opens_nothing(retiring, owner):
    pilot = PilotFactory(owner=owner)
    PilotAsset.objects.create(pilot=pilot, kind="model", model=retiring, purpose="x")
    assert end_of_life_alerts_open(today=TODAY, days=10) == []
    assert end_of_life_alerts_open(today=TODAY + timedelta(days=200), days=60) == []


def test_the_daily_task_uses_todays_date(retiring, owner, monkeypatch):
    """The clock frozen (timezone.now, which localdate reads) on two mornings."""
    pilot = PilotFactory(owner=owner)
    PilotAsset.objects.create(pilot=pilot, kind="model", model=retiring, purpose="x")
    early = datetime(2026, 8, 1, 6, 30, tzinfo=UTC)  # five months before: nothing due yet
    monkeypatch.setattr(timezone, "now", lambda: early)
    assert end_of_life_alerts() == 0
    due = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: due)
    assert end_of_life_alerts() == 1
    assert end_of_life_alerts() == 0


def test_the_pilot_page_shows_the_alert(retiring, owner, client_for):
    pilot = PilotFactory(owner=owner)
    PilotAsset.objects.create(pilot=pilot, kind="model", model=retiring, purpose="x")
    end_of_life_alerts_open(today=TODAY)
    page = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert "P Old 1: end of life on 1 Jan 2027" in page
