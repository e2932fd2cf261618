"""Real servers for the pull connector tests: a local HTTP server and Prometheus."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.services import require_binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Handler(BaseHTTPRequestHandler):
    """Routes for every way a monitored system can answer."""

    routes: dict = {}
    seen: list = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802
        type(self).seen.append({"path": self.path, "headers": dict(self.headers)})
        route = self.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._send(404, b'{"error": "no such route"}')
            return
        route(self)

    def _send(self, status: int, body: bytes, content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, document, status=200):
        self._send(status, json.dumps(document).encode())


@contextmanager
def http_server(routes: dict):
    """A threaded HTTP server on a free loopback port; yields its base URL and Handler."""
    handler = type("RouteHandler", (Handler,), {"routes": routes, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def write_openmetrics(path: Path, name: str, samples: list[tuple[int, float]]) -> None:
    """Samples as (unix seconds, value), ascending; promtool drops out-of-order ones."""
    lines = [f"# TYPE {name} gauge"]
    lines += [f'{name}{{pilot="p1"}} {value} {stamp}' for stamp, value in samples]
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")


@contextmanager
def prometheus_server(series: dict[str, list[tuple[int, float]]]):
    """A real Prometheus on a free loopback port, backfilled with `series`."""
    prometheus = require_binary("/usr/bin/prometheus")
    promtool = require_binary("/usr/bin/promtool")
    workdir = Path(tempfile.mkdtemp(prefix="pilotgate-prom-"))
    data = workdir / "data"
    data.mkdir()
    for name, samples in series.items():
        om = workdir / f"{name}.om"
        write_openmetrics(om, name, samples)
        subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)],
            check=True,
            capture_output=True,
        )
    config = workdir / "prom.yml"
    config.write_text("global: {scrape_interval: 15s}\nscrape_configs: []\n")
    port = free_port()
    log = open(workdir / "prometheus.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=60d",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "prometheus.log").read_text()[-2000:])
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
