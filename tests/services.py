"""Real services for tests: skip on a bare laptop, fail when REQUIRE_SERVICES=1 (CI)."""

import os
import shutil
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def unavailable(what: str) -> None:
    message = f"{what} is not available"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        unavailable("PostgreSQL (set DATABASE_URL)")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_redis() -> str:
    url = (
        os.environ.get("TEST_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or "redis://127.0.0.1:6379/0"
    )
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if not port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        unavailable(f"Redis at {url}")
    return url


def require_binary(path: str) -> str:
    found = shutil.which(path) or (path if os.path.exists(path) else None)
    if not found:
        unavailable(path)
    return found


def database_url_for_subprocess() -> str:
    """A DATABASE_URL naming the database the tests are using right now (PostgreSQL)."""
    from django.db import connection

    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def start_celery_worker(
    *,
    redis_url: str,
    extra_env: dict | None = None,
    queues: str = "celery",
    pool: str = "solo",
    concurrency: int = 1,
):
    """Start a real `celery worker` process against Redis and the test database."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "DJANGO_ENV": "development",
        **(extra_env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queues,
            "--loglevel",
            "INFO",
            "--hostname",
            f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process
