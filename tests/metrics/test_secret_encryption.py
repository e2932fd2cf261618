"""Source secrets are encrypted at rest, still sent on pulls, never logged, and rotatable."""

import base64
import io
import logging

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import AuditEvent
from config.encryption import DecryptionError, derive_key
from config.env import fernet_keys
from metrics import pulls
from metrics.models import MetricSource
from tests.metrics.pull_servers import http_server

SECRET = "tok-9c1e-rather-secret"
# Fixed keys: xdist workers must collect the same parametrized test ids.
OLD_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()
NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
BEFORE = ("metrics", "0005_rollup_portfolio_trend_index")
AFTER = ("metrics", "0006_encrypt_source_secrets")


@pytest.fixture
def stub(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]

    def route(handler):
        handler.send_json({"latency": {"now": 99.5}})

    with http_server({"/metrics": route}) as (base, handler):
        yield f"{base}/metrics", handler


def make_source(pilot, owner, url="https://metrics.example.com/x", secret=SECRET):
    return pulls.source_create(
        pilot=pilot,
        by=owner,
        name=f"Status page {MetricSource.objects.count()}",
        kind="http_json",
        config={"url": url, "metrics": [{"metric": "uptime_pct", "path": "$.latency.now"}]},
        secret_header_name="X-Api-Key" if secret else "",
        secret_header_value=secret,
    )


def raw_secret(source) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_header_value FROM metrics_metricsource WHERE id = %s", [source.pk]
        )
        return cursor.fetchone()[0]


def opens_with(key: str, token: str) -> bool:
    try:
        return Fernet(key.encode()).decrypt(token.encode()).decode() == SECRET
    except InvalidToken:
        return False


@pytest.mark.django_db
def test_the_database_column_never_holds_the_plaintext(pilot, owner):
    source = make_source(pilot, owner)
    stored = raw_secret(source)
    assert SECRET not in stored and stored.startswith("gAAAAA")  # a Fernet token
    assert MetricSource.objects.get(pk=source.pk).secret_header_value == SECRET
    # Encryption is randomised: the same secret twice gives two different tokens.
    assert raw_secret(make_source(pilot, owner)) != stored


@pytest.mark.django_db
def test_no_secret_stays_an_empty_string_so_lists_can_flag_it(pilot, owner):
    from metrics.sources.selectors import pilot_sources

    with_secret, without = make_source(pilot, owner), make_source(pilot, owner, secret="")
    assert raw_secret(without) == ""
    flags = {s.pk: s.secret_set for s in pilot_sources(pilot=pilot)}
    assert flags == {with_secret.pk: True, without.pk: False}


@pytest.mark.django_db
def test_a_pull_sends_the_decrypted_header_and_logs_no_secret(pilot, owner, stub, caplog):
    url, handler = stub
    source = make_source(pilot, owner, url=url)
    caplog.set_level(logging.DEBUG)
    report = pulls.source_pull(source_id=source.pk)
    assert report.run.outcome == "ok"
    assert handler.seen[-1]["headers"]["X-Api-Key"] == SECRET
    assert SECRET not in caplog.text
    assert raw_secret(source) not in caplog.text


@pytest.mark.django_db
def test_the_default_key_is_derived_from_secret_key_and_survives_its_rotation(
    settings, pilot, owner
):
    settings.FIELD_ENCRYPTION_KEY = []
    source = make_source(pilot, owner)
    assert opens_with(derive_key(settings.SECRET_KEY), raw_secret(source))
    # Django's way of rotating SECRET_KEY: the old one moves to SECRET_KEY_FALLBACKS.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert MetricSource.objects.get(pk=source.pk).secret_header_value == SECRET


@pytest.mark.django_db
def test_rotation_re_encrypts_with_the_first_key_so_the_old_one_can_go(
    settings, pilot, owner, stub
):
    url, handler = stub
    settings.FIELD_ENCRYPTION_KEY = [OLD_KEY]
    source = make_source(pilot, owner, url=url)
    assert opens_with(OLD_KEY, raw_secret(source))

    settings.FIELD_ENCRYPTION_KEY = [NEW_KEY, OLD_KEY]  # step 1: the new key first
    assert MetricSource.objects.get(pk=source.pk).secret_header_value == SECRET
    out = io.StringIO()
    call_command("rotate_field_encryption", stdout=out)
    assert "Re-encrypted 1 values" in out.getvalue()
    token = raw_secret(source)
    assert opens_with(NEW_KEY, token) and not opens_with(OLD_KEY, token)
    event = AuditEvent.objects.get(action="encryption.rotate")
    assert event.after == {
        "rewritten": {
            "metrics.metricsource.secret_header_value": 1,
            "notify.channel.url": 0,
            "webhooks.subscription.secret": 0,
        }
    }

    settings.FIELD_ENCRYPTION_KEY = [NEW_KEY]  # step 3: the old key is gone
    assert pulls.source_pull(source_id=source.pk).run.outcome == "ok"
    assert handler.seen[-1]["headers"]["X-Api-Key"] == SECRET


@pytest.mark.django_db
def test_a_value_no_key_opens_fails_loudly_without_showing_it(settings, pilot, owner):
    settings.FIELD_ENCRYPTION_KEY = [OLD_KEY]
    source = make_source(pilot, owner)
    token = raw_secret(source)
    settings.FIELD_ENCRYPTION_KEY = [NEW_KEY]
    with pytest.raises(DecryptionError) as caught:
        MetricSource.objects.get(pk=source.pk)
    assert SECRET not in str(caught.value) and token not in str(caught.value)
    assert "FIELD_ENCRYPTION_KEY" in str(caught.value)


@pytest.mark.parametrize("raw", ["not-a-key", "c2hvcnQ=", f"{NEW_KEY},oops"])
def test_a_malformed_key_setting_is_refused(raw):
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        fernet_keys(raw)


def test_keys_are_read_in_order_from_a_comma_separated_setting():
    assert fernet_keys(f" {NEW_KEY} , {OLD_KEY} ") == [NEW_KEY, OLD_KEY]
    assert fernet_keys("") == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plaintext_and_reverses(pilot, owner):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old_apps = executor.loader.project_state([BEFORE]).apps
        legacy = old_apps.get_model("metrics", "MetricSource").objects.create(
            pilot_id=pilot.pk,
            kind="http_json",
            name="Legacy",
            config={},
            secret_header_name="X-Api-Key",
            secret_header_value=SECRET,
            created_by_id=owner.pk,
        )
        assert raw_secret(legacy) == SECRET  # plaintext, as before this change

        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        assert SECRET not in raw_secret(legacy)
        assert MetricSource.objects.get(pk=legacy.pk).secret_header_value == SECRET

        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        assert raw_secret(legacy) == SECRET
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
