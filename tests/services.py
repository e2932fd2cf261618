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
