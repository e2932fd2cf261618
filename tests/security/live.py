"""A live Pilotgate for black-box tests: fresh SQLite file, migrated, demo data seeded,
one API token per demo user, served by gunicorn on a free port. Torn down by PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# One demo user per role the fuzzer runs as (portfolio/demo.py).
ROLE_USERS = {
    "admin": "admin",
    "governance_lead": "grace",
    "executive": "erin",
    "owner": "olivia",
    "contributor": "casey",
}

_TOKENS = """
import json
from django.utils import timezone
from accounts.models import ApiToken, User
from accounts.services import token_create
out = {}
for role, username in json.loads(ROLES).items():
    _, out[role] = token_create(by=User.objects.get(username=username), name="fuzz " + role)
token, out["revoked"] = token_create(by=User.objects.get(username="olivia"), name="fuzz revoked")
ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
print("TOKENS=" + json.dumps(out))
"""


@dataclass
class LiveServer:
    url: str
    tokens: dict[str, str]
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env.update(
        PILOTGATE_VAR_DIR=str(var_dir),
        DJANGO_ENV="development",
        DEBUG="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        # The fuzzer is one client sending thousands of requests: throttling is tested
        # elsewhere (tests/security/test_hardening.py).
        API_RATE_TOKEN="1000000/min",
        API_RATE_USER="1000000/min",
        API_RATE_ANON="1000000/min",
        API_RATE_SNAPSHOTS="1000000/min",
        API_RATE_AUTH_FAILURES="1000000/min",
        LOG_LEVEL="WARNING",
    )
    return env


def _manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


@contextmanager
def live_server(var_dir: Path):
    var_dir.mkdir(parents=True, exist_ok=True)
    env = environment(var_dir)
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    env_tokens = {**env, "ROLES": json.dumps(ROLE_USERS)}
    script = "import os; ROLES = os.environ['ROLES']\n" + _TOKENS
    out = _manage(env_tokens, "shell", "-c", script)
    tokens = json.loads(out.split("TOKENS=", 1)[1].strip())
    port = _free_port()
    log = var_dir / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--timeout",
                "60",
                # Request-line limit and error answers: ./gunicorn.conf.py, as in production.
                "--error-logfile",
                "-",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            else:
                raise RuntimeError("the live server did not come up within 30 s")
            yield LiveServer(url=url, tokens=tokens, log=log)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


if __name__ == "__main__":  # manual use: python -m tests.security.live VAR_DIR
    with live_server(Path(sys.argv[1])) as live:
        print(live.url, json.dumps(live.tokens), flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
