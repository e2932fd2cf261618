"""Settings behave as documented; each case runs manage.py in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOOD_SECRET = "k3Y-" + "x7Qp9" * 12
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
    assert "SECRET_KEY must be set" in result.stderr


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
