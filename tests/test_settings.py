"""Settings behave as documented; each case runs manage.py in a fresh process."""

import base64
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Random per run: a fixed key in this file would be a published one.
GOOD_SECRET = secrets.token_urlsafe(64)
PRODUCTION = {"DJANGO_ENV": "production", "ALLOWED_HOSTS": "pilotgate.example.com"}
BACKENDS = (
    "from django.conf import settings as s;"
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL,"
    " s.CACHES['default']['BACKEND'])"
)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    inherited = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_the_default_secret_key():
    result = manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="pilotgate.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY is a published default" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = manage("check", DJANGO_ENV="production", SECRET_KEY="short")
    assert result.returncode != 0


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="pilotgate.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_settings_fail_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_ENV="development")
    assert result.returncode != 0


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "perhaps"), ("DJANGO_ENV", "staging")])
def test_bad_environment_values_fail_loudly(name, value):
    result = manage("check", **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_embedded_default_uses_sqlite_and_the_filesystem_broker():
    code = BACKENDS
    result = manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_database_and_redis_urls_switch_the_backends():
    code = BACKENDS
    result = manage(
        "shell",
        "-c",
        code,
        DATABASE_URL="postgres://u@db.example:5432/pg",
        REDIS_URL="redis://cache.example:6379/2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "django.db.backends.postgresql",
        "redis://cache.example:6379/2",
        "django.core.cache.backends.redis.RedisCache",
    ]


def _derived(secret: str) -> str:
    from config.encryption import derive_key

    return derive_key(secret)


DEV_KEY = "insecure-development-key-change-me"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        # Long enough for the old length-only checks, and public all the same.
        ("AUDIT_HMAC_KEY", DEV_KEY, "AUDIT_HMAC_KEY is a published default"),
        ("AUDIT_HMAC_KEY", "django-insecure-" + "k" * 40, "AUDIT_HMAC_KEY is a placeholder"),
        ("AUDIT_HMAC_KEY", "ab" * 32, "AUDIT_HMAC_KEY repeats too few"),
        ("AUDIT_HMAC_KEY", DEV_KEY + "-but-longer", "AUDIT_HMAC_KEY is a published default"),
        (
            "SECRET_KEY",
            "django-insecure-" + string.ascii_letters,
            "SECRET_KEY is a placeholder",
        ),
        ("SECRET_KEY", "012345678" * 7, "SECRET_KEY repeats too few"),
        ("SECRET_KEY", DEV_KEY * 2, "SECRET_KEY is a published default"),
        ("FIELD_ENCRYPTION_KEY", _derived(DEV_KEY), "key 1 is derived from a published default"),
        (
            "FIELD_ENCRYPTION_KEY",
            base64.urlsafe_b64encode(bytes(32)).decode(),
            "key 1 repeats too few different bytes",
        ),
        ("PILOTGATE_DEMO_PASSWORD", "pilotgate-demo", "PILOTGATE_DEMO_PASSWORD is a published"),
        ("PILOTGATE_DEMO_PASSWORD", "short-one", "PILOTGATE_DEMO_PASSWORD is shorter than 16"),
    ],
    ids=lambda value: value if len(value) < 30 else None,
)
def test_production_refuses_published_or_guessable_secrets(name, value, reason):
    env = {**PRODUCTION, "SECRET_KEY": GOOD_SECRET, "AUDIT_HMAC_KEY": secrets.token_hex(32)}
    env[name] = value
    result = manage("check", **env)
    assert result.returncode != 0
    assert reason in result.stderr, result.stderr[-2000:]


def test_production_accepts_random_values_for_every_secret_setting():
    from cryptography.fernet import Fernet

    result = manage(
        "check",
        **PRODUCTION,
        SECRET_KEY=GOOD_SECRET,
        AUDIT_HMAC_KEY=secrets.token_urlsafe(40),
        FIELD_ENCRYPTION_KEY=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        PILOTGATE_DEMO_PASSWORD=secrets.token_urlsafe(20),
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_production_has_no_demo_password_so_demo_users_cannot_be_seeded(tmp_path):
    result = manage(
        "seed_demo", **PRODUCTION, SECRET_KEY=GOOD_SECRET, PILOTGATE_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "Set PILOTGATE_DEMO_PASSWORD" in result.stderr
