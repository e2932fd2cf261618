"""Start the test OpenID Provider (tests/oidc/provider.mjs, the `oidc-provider` package)
and point Pilotgate's single sign-on at it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "pilotgate-test"
CLIENT_SECRET = "test-client-secret-not-a-real-one"  # noqa: S105
PROVIDER_ID = "sso"
PROVIDER_NAME = "Example SSO"
GROUP_ROLES = {
    "pg-admins": "admin",
    "pg-governance": "governance_lead",
    "pg-executives": "executive",
}


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen

    def control(self, path: str, payload: dict) -> None:
        request = urllib.request.Request(  # noqa: S310  (our own local test server)
            f"{self.issuer}/__test/{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            pass

    def set_account(self, login: str, **changes) -> None:
        self.control(f"accounts/{login}", changes)

    def set_mode(self, mode: str) -> None:
        self.control("mode", {"mode": mode})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app_url: str) -> OidcProvider:
    node = shutil.which("node")
    if not node or not (ROOT / "node_modules" / "oidc-provider").exists():
        unavailable("node with the oidc-provider package (npm ci)")
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": f"{app_url}/accounts/oidc/{PROVIDER_ID}/login/callback/",
        "POST_LOGOUT_REDIRECT_URI": f"{app_url}/accounts/login/",
    }
    process = subprocess.Popen(  # noqa: S603
        [node, str(SCRIPT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("ready "):
            return OidcProvider(issuer=line.split()[1], process=process)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("the test OpenID Provider did not start")


def stop(provider: OidcProvider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        provider.process.kill()


def configure(settings, issuer: str) -> None:
    """Pilotgate's settings for this provider (what OIDC_* environment variables give)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": PROVIDER_NAME,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {
                        "server_url": issuer,
                        "scope": ["openid", "profile", "email", "groups"],
                        "oauth_pkce_enabled": True,
                        "fetch_userinfo": True,
                    },
                }
            ],
        }
    }
    settings.OIDC_GROUP_ROLES = GROUP_ROLES
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], issuer]},
    }
