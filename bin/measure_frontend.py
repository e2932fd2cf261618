#!/usr/bin/env python3
"""Front-end measurements: Lighthouse scores and a cold dashboard load in Chromium.

    make lighthouse                                   # starts its own server, as make run does
    .venv/bin/python bin/measure_frontend.py --url http://127.0.0.1:8000   # a running server

Logs in as a demo user (`erin`, the executive; the demo password), then:

1. Lighthouse (npm `lighthouse`, pinned to 12.2.3 in package.json) against Debian's
   Chromium (CHROME_PATH=/usr/bin/chromium, headless, no sandbox) on the dashboard, a
   pilot page and that pilot's strategy workbook, with the session cookie passed in
   --extra-headers. Desktop preset by default (`--preset mobile` for Lighthouse's mobile
   emulation). Reports performance, accessibility and best-practices scores, whose
   targets are >= 90, 100 and >= 95.
2. A cold load of the dashboard through Playwright in the same Chromium: a new browser
   context (empty cache) at 1440x900, timed from navigation start until every chart on
   the page is drawn, plus the JavaScript transferred (compressed bytes on the wire).
   Targets: <= 1.0 s (median of --runs) and <= 1.2 MB. With --main-thread it also traces
   each load and reports the page's main-thread CPU time until the charts are drawn: the
   machine is shared, and other work moves wall time a lot more than this, so it is the
   figure to compare two builds by (run both in one session, alternating).

Without --url, it serves the embedded app as `make run` does (runserver, DEBUG=1, static
files built by collectstatic and served compressed by WhiteNoise) on --port, with the
SQLite demo database under var/ (`make demo`). Writes the Lighthouse reports (JSON) to
test-artifacts/lighthouse/. Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_VERSION = "12.2.3"
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 95}
COLD_LOAD_SECONDS = 1.0
JS_BYTES = 1_200_000
REPORTS = ROOT / "test-artifacts" / "lighthouse"

# Every [data-figure] placeholder holds a drawn Plotly chart (static/js/charts.js marks its
# SVG aria-hidden once Plotly.newPlot has resolved); then the time since navigation start.
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-figure]')];
  const drawn = c => c.classList.contains('js-plotly-plot')
    && c.querySelector('svg.main-svg[aria-hidden="true"] .cartesianlayer');
  if (!charts.length || !charts.every(drawn)) return false;
  return performance.now();
}"""
SCRIPT_BYTES = """() => performance.getEntriesByType('resource')
  .filter(e => e.initiatorType === 'script' || /\\.js(\\?|$)/.test(e.name))
  .map(e => [e.name, e.transferSize, e.decodedBodySize])"""


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "1", "STATIC_BUILT": "1"}
    env.pop("DATABASE_URL", None)
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(  # noqa: S603
        [python, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not start")


def log_in(base: str, username: str, password: str) -> str:
    """The session cookie's value after logging in through the login form."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        if response.status_code != 302:
            raise SystemExit(f"logging in as {username} failed ({response.status_code})")
        return client.cookies["sessionid"]


def pages_to_measure(base: str, session: str) -> dict[str, str]:
    html = httpx.get(f"{base}/portfolio/", cookies={"sessionid": session}, timeout=30).text
    pilot = re.search(r'href="(/pilots/\d+/)"', html)
    if pilot is None:
        raise SystemExit("no pilot linked from the dashboard: load the demo data (make demo)")
    return {
        "dashboard": "/portfolio/",
        "pilot page": pilot.group(1),
        "workbook": f"{pilot.group(1)}workbooks/strategy/",
    }


def lighthouse(url: str, session: str, name: str, preset: str) -> dict[str, int]:
    REPORTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"\W+", "-", name)
    report = REPORTS / f"{slug}-{preset}.json"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as headers:
        json.dump({"Cookie": f"sessionid={session}"}, headers)
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        "--only-categories=performance,accessibility,best-practices",
        f"--extra-headers={headers.name}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    try:
        subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROME})  # noqa: S603
    finally:
        os.unlink(headers.name)
    result = json.loads(report.read_text())
    if result["lighthouseVersion"] != LIGHTHOUSE_VERSION:
        raise SystemExit(
            f"expected Lighthouse {LIGHTHOUSE_VERSION}, ran {result['lighthouseVersion']}"
        )
    if result.get("runtimeError"):
        raise SystemExit(f"Lighthouse failed on {url}: {result['runtimeError']}")
    if result["finalDisplayedUrl"].rstrip("/").endswith("/accounts/login"):
        raise SystemExit(f"Lighthouse was sent to the login page from {url}")
    return {key: round(cat["score"] * 100) for key, cat in result["categories"].items()}


TRACED = ["devtools.timeline", "disabled-by-default-devtools.timeline"]


def main_thread_ms(events: list[dict]) -> float:
    """CPU time (thread time, not wall time) of the page's main thread in a trace: the work
    the load needs, which other processes on the machine slow down far less than wall time."""
    threads = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"
    }
    busy: dict[tuple, float] = {}
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if e.get("name") == "RunTask" and e.get("ph") == "X" and key in threads:
            busy[key] = busy.get(key, 0) + e.get("tdur", 0)
    return max(busy.values(), default=0) / 1000


def cold_loads(url: str, session: str, runs: int, *, trace: bool = False) -> list[dict]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROME, headless=True, args=CHROME_FLAGS[1:])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": session, "url": url}])
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            events, finished = [], []
            cdp.on("Tracing.dataCollected", lambda e, events=events: events.extend(e["value"]))
            cdp.on("Tracing.tracingComplete", lambda e, finished=finished: finished.append(1))
            if trace:
                cdp.send("Tracing.start", {"traceConfig": {"includedCategories": TRACED}})
            response = page.goto(url, wait_until="commit")
            if response.url != url:
                raise SystemExit(f"the dashboard redirected to {response.url}: not logged in?")
            drawn_ms = page.wait_for_function(
                CHARTS_DRAWN, polling="raf", timeout=30_000
            ).json_value()
            if trace:
                cdp.send("Tracing.end")
                while not finished:
                    page.wait_for_timeout(50)
            scripts = page.evaluate(SCRIPT_BYTES)
            charts = page.locator("[data-figure]").count()
            results.append(
                {
                    "seconds": drawn_ms / 1000,
                    "main_thread_ms": main_thread_ms(events) if trace else None,
                    "charts": charts,
                    "js_bytes": sum(transfer for _, transfer, _ in scripts),
                    "js_decoded": sum(decoded for _, _, decoded in scripts),
                    "scripts": scripts,
                }
            )
            context.close()
        browser.close()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running Pilotgate; default: start one")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MEASURE_PORT", 8765)))
    parser.add_argument("--user", default="erin")
    parser.add_argument(
        "--password", default=os.environ.get("PILOTGATE_DEMO_PASSWORD", "pilotgate-demo")
    )
    parser.add_argument("--preset", choices=["desktop", "mobile"], default="desktop")
    parser.add_argument("--runs", type=int, default=5, help="cold loads to take the median of")
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument(
        "--main-thread",
        action="store_true",
        help="also trace each cold load and report the page's main-thread CPU time, a figure "
        "that compares builds on a busy machine (tracing slows the load a little)",
    )
    args = parser.parse_args(argv)

    # Other work on the machine moves every figure: say how busy it was.
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    server = None if args.url else start_server(args.port)
    base = (args.url or f"http://127.0.0.1:{args.port}").rstrip("/")
    missed = []
    try:
        session = log_in(base, args.user, args.password)
        pages = pages_to_measure(base, session)
        if not args.skip_lighthouse:
            print(f"Lighthouse {LIGHTHOUSE_VERSION}, {args.preset}, Chromium at {CHROME}")
            print(f"{'page':<12} {'path':<34} {'perf':>5} {'a11y':>5} {'best':>5}")
            for name, path in pages.items():
                scores = lighthouse(base + path, session, name, args.preset)
                print(
                    f"{name:<12} {path:<34} {scores['performance']:>5} "
                    f"{scores['accessibility']:>5} {scores['best-practices']:>5}"
                )
                missed += [
                    f"{name}: {key} {scores[key]} < {target}"
                    for key, target in TARGETS.items()
                    if scores[key] < target
                ]
        loads = cold_loads(base + pages["dashboard"], session, args.runs, trace=args.main_thread)
        seconds = [load["seconds"] for load in loads]
        median = statistics.median(seconds)
        js = max(load["js_bytes"] for load in loads)
        print(
            f"\nCold dashboard, 1440x900, empty cache, {len(loads)} runs, "
            f"{loads[0]['charts']} charts: navigation start to all charts drawn "
            f"median {median:.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f}); "
            f"JavaScript transferred {js / 1e6:.3f} MB "
            f"({loads[0]['js_decoded'] / 1e6:.3f} MB decoded)"
        )
        if args.main_thread:
            busy = [load["main_thread_ms"] for load in loads]
            print(
                f"Main thread busy until then (CPU time, which other load moves far less): "
                f"median {statistics.median(busy):.0f} ms "
                f"(min {min(busy):.0f}, max {max(busy):.0f})"
            )
        for name, transfer, decoded in loads[0]["scripts"]:
            print(f"  {transfer:>9,} B on the wire, {decoded:>9,} B decoded  {name}")
        if median > COLD_LOAD_SECONDS:
            missed.append(f"cold load {median:.3f} s > {COLD_LOAD_SECONDS} s")
        if js > JS_BYTES:
            missed.append(f"JavaScript {js:,} B > {JS_BYTES:,} B")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if missed:
        print("\nMissed: " + "; ".join(missed))
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
