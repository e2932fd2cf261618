"""`bin/run-stack embedded`, the process tree behind `make run`: it serves on HOST/PORT, its
processes link notifications to the address served, and a stop request ends it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.security.live import _free_port

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.fixture
def var_dir(tmp_path):
    env = {**os.environ, "PILOTGATE_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return tmp_path


def _start_stack(var_dir, port: int, **extra: str) -> subprocess.Popen:
    """`bin/run-stack embedded` in its own process group, as a terminal would start it, on
    the embedded defaults (no DATABASE_URL or REDIS_URL from the test run's environment).
    Static files come from the source folders: building them is tested in test_static_files.
    """
    env = {**os.environ, "PILOTGATE_VAR_DIR": str(var_dir), "PORT": str(port), "STATIC_BUILT": "0"}
    for name in ("DATABASE_URL", "REDIS_URL", "PILOTGATE_BASE_URL"):
        env.pop(name, None)
    return subprocess.Popen(
        ["bin/run-stack", "embedded"],
        cwd=ROOT,
        env={**env, **extra},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_embedded_stack_serves_links_its_address_and_stops_cleanly(var_dir):
    port = _free_port()
    stack = _start_stack(var_dir, port)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert stack.poll() is None, stack.stdout.read().decode()
            time.sleep(0.5)
        else:
            pytest.fail("the embedded stack never answered /healthz")

        processes = _children(stack.pid)
        assert len(processes) == 2  # the web server and the worker with embedded beat
        for pid in processes:
            assert _environ(pid)["PILOTGATE_BASE_URL"] == f"http://127.0.0.1:{port}"

        os.killpg(stack.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        output = stack.communicate(timeout=60)[0].decode()
        assert stack.returncode == 0, output
        assert "Pilotgate stopped." in output
        assert not [pid for pid in processes if _alive(pid)], "a process outlived the stack"
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()


def test_embedded_stack_reports_a_process_that_dies_by_itself(var_dir):
    stack = _start_stack(var_dir, _free_port(), HOST="256.0.0.1")  # runserver refuses it
    try:
        output = stack.communicate(timeout=120)[0].decode()
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
    assert stack.returncode != 0
    assert "A Pilotgate process exited" in output
