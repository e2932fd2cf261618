"""A real local HTTP receiver for webhook tests, and settings that let it be reached."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """Records every POST per path; answers per path with a scripted status and delay."""

    def __init__(self):
        self.requests: dict[str, list[dict]] = defaultdict(list)
        self.statuses: dict[str, list[int]] = {}
        self.delays: dict[str, float | list[float]] = {}
        self.arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.arrived:
                    outer.requests[self.path].append(
                        {"headers": dict(self.headers), "body": body, "at": time.monotonic()}
                    )
                    outer.arrived.notify_all()
                    script = outer.statuses.get(self.path)
                    status = script.pop(0) if script else 200
                delay = outer.delays.get(self.path, 0)
                if isinstance(delay, list):  # one delay per request, then none
                    delay = delay.pop(0) if delay else 0
                if delay:
                    time.sleep(delay)
                answer = b'{"ok": true}' if status < 300 else b"receiver says no"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up (timeout) or was killed

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, path: str, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests[path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.arrived.wait(left)
            return list(self.requests[path])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _reach_the_local_receiver(settings):
    settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1"]
    settings.PILOTGATE_WEBHOOK_REQUIRE_HTTPS = False
    settings.PILOTGATE_WEBHOOK_QUEUE = "webhooks-unit-tests"


@pytest.fixture
def queued(monkeypatch):
    """The delivery ids queued (instead of sending them to a broker)."""
    ids: list[int] = []
    monkeypatch.setattr("webhooks.services._enqueue", lambda delivery_ids: ids.extend(delivery_ids))
    return ids
