"""`xinyidai run` (what `make run` calls): on a fresh data directory it starts embedded
PostgreSQL and Redis and the sandbox data provider, migrates, installs a scoring model (none is
active), seeds the demo city with its authorized data and its 24 months of applications and
loans, starts two sandbox banks wired to the platform (their clients and intakes) and serves;
Ctrl-C stops all it started, and a second run reuses the data, the model, the banks' keys and
their clients.

The first run is ``xinyidai run`` as the browser tests start it (``tests/e2e/server.py``): the
model it installs is the suite's quick bundle, trained once per test run, rather than one more
training of the same quick model (that ``xinyidai run`` finds the ML project's trainer is
tested in ``tests/test_cli.py``). The second run is ``xinyidai run`` itself."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow  # `xinyidai run` twice: engines, sandboxes, training, demo city


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


ROOT = Path(__file__).resolve().parents[1]


def _start(
    data_dir: Path, port: int, bank_ports: tuple[int, int], bundle: Path | None = None
) -> subprocess.Popen[bytes]:
    """``xinyidai run``; with ``bundle``, installing that model if none is active."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "ENV", "PROVIDER_URL"}
    }
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "SANDBOX_PORT": str(_free_port()),
            "IDENTITY_SANDBOX_PORT": str(_free_port()),
            "SANDBOX_BANK_PORTS": ",".join(map(str, bank_ports)),
        }
    )
    command = (
        ["-m", "xinyidai", "run"] if bundle is None else ["-m", "tests.e2e.server", str(bundle)]
    )
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
            if response.status_code == 200:
                ready: dict[str, Any] = response.json()
                return ready
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become ready")


def _engine_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline and ("postgres" in cmdline or "redis-server" in cmdline):
            found.append(proc)
    return found


def _sandbox_banks(data_dir: Path) -> list[psutil.Process]:
    """The sandbox bank processes signing with a key under ``data_dir``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "xinyidai.sandbox bank" in cmdline and str(data_dir) in cmdline:
            found.append(proc)
    return found


def _the_loop_is_wired(port: int, bank_ports: tuple[int, int]) -> list[str]:
    """Both sandbox banks answer; the demo bank's user sees its intake at its sandbox, one
    sandbox client, and the history in its inbox. Returns the bank's sandbox client ids."""
    for bank_port in bank_ports:
        counts = httpx.get(f"http://127.0.0.1:{bank_port}/_sandbox/intake", timeout=5)
        assert counts.status_code == 200 and counts.json()["received"] >= 0
    base = f"http://127.0.0.1:{port}/api/v1"
    login = httpx.post(
        f"{base}/auth/login",
        json={"email": "bank@demo.xinyidai.test", "password": "Xinyidai-Demo-2026"},
    )
    assert login.status_code == 200, login.text
    bank_id = login.json()["user"]["organisation"]["id"]
    intake = httpx.get(f"{base}/banks/{bank_id}/intake", cookies=login.cookies).json()
    assert intake["intake_url"] == f"http://127.0.0.1:{bank_ports[0]}/intake/applications"
    inbox = httpx.get(f"{base}/banks/{bank_id}/applications", cookies=login.cookies).json()
    assert inbox["total"] > 100  # the demo city's history
    clients = httpx.get(f"{base}/banks/{bank_id}/clients", cookies=login.cookies)
    assert clients.status_code == 200, clients.text
    return [c["client_id"] for c in clients.json() if "Sandbox bank" in c["name"]]


def _stop(proc: subprocess.Popen[bytes], signum: int = signal.SIGINT) -> str:
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=60)
    return output.decode()


def test_run_serves_the_demo_city_and_ctrl_c_stops_everything(
    tmp_path_factory: pytest.TempPathFactory, bundle_dir: Path
) -> None:
    data_dir = Path(tmp_path_factory.mktemp("run")) / "data"
    port = _free_port()
    bank_ports = (_free_port(), _free_port())
    proc = _start(data_dir, port, bank_ports, bundle_dir)
    try:
        # The first run also installs a scoring model (no model is active yet).
        assert _wait_ready(port, proc, timeout=300) == {"database": "ok", "redis": "ok"}
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"email": "office@demo.xinyidai.test", "password": "Xinyidai-Demo-2026"},
        )
        assert login.status_code == 200
        registry = httpx.get(f"http://127.0.0.1:{port}/api/v1/enterprises", cookies=login.cookies)
        assert registry.json()["total"] == 200
        models = httpx.get(f"http://127.0.0.1:{port}/api/v1/office/models", cookies=login.cookies)
        assert models.json()["active"] is not None
        first = registry.json()["items"][0]["id"]
        score = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/enterprises/{first}/score", cookies=login.cookies
        )
        assert score.status_code == 200, score.text  # the demo SMEs were scored
        assert score.json()["model_version"] == models.json()["active"]
        assert _engine_processes(data_dir)
        first_clients = _the_loop_is_wired(port, bank_ports)
        assert len(first_clients) == 1
        assert len(_sandbox_banks(data_dir)) == 2
    finally:
        output = _stop(proc)
    assert proc.returncode == 0, output
    assert "demo logins" in output
    assert "active scoring model: " in output  # installed: none was active
    # The sandbox provider released the demo's data: it verified the platform's receipts.
    assert re.search(r"demo city: [1-9][0-9]* monthly records", output), output
    assert re.search(r"demo history: [1-9][0-9]{3} applications", output), output
    time.sleep(0.5)
    assert _engine_processes(data_dir) == []
    assert _sandbox_banks(data_dir) == []

    again = _start(data_dir, port, bank_ports)
    try:
        _wait_ready(port, again)
        assert _the_loop_is_wired(port, bank_ports) == first_clients  # the same key and client
    finally:
        second_output = _stop(again, signal.SIGTERM)  # as a process manager stops it
    assert "demo city:" not in second_output  # the data was reused, not seeded afresh
    assert "demo history:" not in second_output
    assert "active scoring model" not in second_output  # the first run's is still active
    time.sleep(0.5)
    assert _engine_processes(data_dir) == []
    assert _sandbox_banks(data_dir) == []
