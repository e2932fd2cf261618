"""The weekly executive digest, and the settings that refuse a contradictory mail setup."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from notify import services
from notify.catalog import WEEKLY_DIGEST
from notify.models import Email
from outbox.catalog import EventType
from outbox.services import publish
from tests.factories import PilotFactory
from tests.notify.helpers import deliver_all


@pytest.mark.django_db
def test_the_weekly_digest_tells_executives_what_changed_with_the_figures(
    executive, owner, outsider, mailoutbox, settings
):
    settings.PILOTGATE_CURRENCY = "EUR"
    claims = PilotFactory(name="Claims triage", owner=owner)
    secret = PilotFactory(name="Merger memo", owner=owner, confidential=True)
    publish(EventType.STAGE_CHANGED, pilot=claims,
            payload={"from_stage": "discovery", "to_stage": "pilot", "from_status": "active",
                     "to_status": "active"})  # fmt: skip
    publish(EventType.STAGE_CHANGED, pilot=secret,
            payload={"from_stage": "pilot", "to_stage": "pilot", "from_status": "active",
                     "to_status": "on_hold", "reason": "Legal review"})  # fmt: skip
    # A contributor who opted in sees only the pilots they may see.
    services.preferences_set(user=outsider, by=outsider, modes={WEEKLY_DIGEST: "immediate"})
    Email.objects.all().delete()
    assert services.weekly_digest_send() == 2
    assert services.weekly_digest_send() == 0  # once a week
    deliver_all()
    by_person = {m.to[0]: m for m in mailoutbox if m.subject.startswith("Pilotgate weekly")}
    assert set(by_person) == {executive.email, outsider.email}
    text = by_person[executive.email].body
    assert "Claims triage moved from Discovery to Pilot" in text
    assert "Merger memo is now on hold" in text  # a new hold, for a reader who may see it
    assert "Pilots in the portfolio: 2" in text
    assert "Planned net value a year: €0" in text  # money in the site's currency
    assert "/portfolio/" in text  # the link to the dashboard
    html = by_person[executive.email].alternatives[0].content
    assert "<h2" in html and "Claims triage" in html
    assert "Merger memo" not in by_person[outsider.email].body
    assert owner.email not in by_person  # not an executive, did not opt in


def test_both_tls_and_ssl_are_refused_at_start():
    env = {**os.environ, "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1",
           "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
    root = Path(settings.BASE_DIR)
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; choose one" in run.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EMAIL_PORT", "70000", "EMAIL_PORT must be a port number"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT must be an integer"),
        ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT must be at least 1 second"),
        ("NOTIFY_RETRY_SECONDS", "-5", "NOTIFY_RETRY_SECONDS must be a positive integer"),
    ],
)
def test_bad_mail_settings_are_refused_by_name(name, value, message):
    env = {**os.environ, name: value, "DJANGO_SETTINGS_MODULE": "config.settings"}
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0 and message in run.stderr
