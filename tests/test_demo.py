import pytest
from django.core.management import call_command

from accounts.audit import audit_verify
from accounts.models import AuditEvent, PilotRole
from portfolio.models import Pilot

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_stage_status_unit_and_tier_and_is_idempotent():
    call_command("seed_demo")
    pilots = Pilot.objects.count()
    events = AuditEvent.objects.count()
    assert 35 <= pilots <= 60
    for field, expected in [
        ("stage", {"discovery", "pilot", "readiness", "scale"}),
        ("status", {"active", "on_hold", "stopped"}),
        ("risk_tier", {"low", "medium", "high"}),
    ]:
        assert set(Pilot.objects.values_list(field, flat=True)) == expected
    assert Pilot.objects.values("business_unit").distinct().count() >= 6
    assert Pilot.objects.filter(confidential=True).exists()
    assert PilotRole.objects.filter(role="business_owner").count() == pilots

    call_command("seed_demo")
    assert Pilot.objects.count() == pilots
    assert AuditEvent.objects.count() == events
    assert audit_verify().ok


def test_every_demo_role_can_log_in(client, settings):
    call_command("seed_demo")
    for username in ("admin", "grace", "gus", "erin", "olivia", "casey"):
        assert client.login(username=username, password=settings.PILOTGATE_DEMO_PASSWORD)
