"""The live platform the browser tests drive: ``python -m tests.e2e.server`` (``xinyidai run``
with the suite's quick model) in a process of its own, with engines of its own under a data
directory that every pytest-xdist worker of the run shares.

The first worker that needs it starts it (holding a file lock while it starts, so the others
wait for it rather than start another); each worker counts itself in while it uses it, and the
last one out stops it. A start that failed is remembered, so the other workers fail at once
with its log instead of trying again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.conftest import _exclusive
from tests.serving import free_port
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, CSRF_HEADER
from xinyidai.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300.0  # seconds; it takes about 30 on a quiet 2-core machine
DEMO_PASSWORD = "Xinyidai-Demo-2026"  # the published demo password
DEMO_LOGINS = {
    "sme": "sme@demo.xinyidai.test",
    "sme2": "sme2@demo.xinyidai.test",
    "bank": "bank@demo.xinyidai.test",
    "bank2": "bank2@demo.xinyidai.test",
    "office": "office@demo.xinyidai.test",
    "admin": "admin@demo.xinyidai.test",
}


@dataclass(frozen=True)
class LiveServer:
    """The running platform: its base URL, and a way in through the API for arranging data."""

    url: str
    log: Path
    start_seconds: float
    """How long the start took (by the worker that started it)."""
    identity_url: str
    """The sandbox identity service (its ``/_sandbox`` controls enrol licences)."""

    def api(self, email: str, password: str = DEMO_PASSWORD) -> httpx.Client:
        """An HTTP client logged in as ``email`` (sends the CSRF header); close it after use."""
        client = httpx.Client(base_url=self.url, timeout=30)
        response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        client.headers[CSRF_HEADER] = response.json()["csrf_token"]
        return client

    def end_session(self, cookies: dict[str, str]) -> None:
        """End the session these (browser) cookies carry, server-side, as a logout elsewhere
        or an expiry would: the browser keeps its cookies."""
        with httpx.Client(base_url=self.url, cookies=cookies, timeout=30) as client:
            response = client.post(
                "/api/v1/auth/logout", headers={CSRF_HEADER: cookies.get(CSRF_COOKIE, "")}
            )
        assert response.status_code in (200, 204), response.text


def _environment(data_dir: Path, port: int) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "PROVIDER_URL", "IDENTITY_URL", "PUBLIC_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        {
            "ENV": "test",  # minimal password hashing; the rest as `make run`
            "DATA_DIR": str(data_dir),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SANDBOX_PORT": str(free_port()),
            "IDENTITY_SANDBOX_PORT": str(free_port()),
            # ICBC_GZ (bank@demo) decides as its users do in the walks; CCB_GZ (bank2@demo) is
            # a sandbox bank that decides by itself (the applications walk applies to it too).
            "SANDBOX_BANK_PORTS": f"-,{free_port()}",
            "COOKIE_SECURE": "false",  # plain http on loopback
            # The bank walk's sandbox bank receives webhooks on a loopback http port.
            "WEBHOOK_ALLOW_HTTP": "true",
            "WEBHOOK_ALLOW_PRIVATE": "true",
            "LOG_LEVEL": "WARNING",
            # Every browser logs in from 127.0.0.1: the per-address allowances would end the run.
            "LOGIN_IP_LIMIT": "100000",
            "REGISTER_IP_LIMIT": "100000",
            "COLUMNS": "160",
        }
    )
    return env


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the e2e server exited ({process.returncode}):\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    _stop(process.pid)
    raise RuntimeError(f"the e2e server was not ready within {START_TIMEOUT:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 60) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start(directory: Path, bundle: Path) -> dict[str, Any]:
    portal = Path(os.environ.get("PORTAL_DIR") or Settings().portal_dir)
    if not (portal / "index.html").exists():
        raise RuntimeError(f"the portal is not built ({portal}): run `make portal`")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = directory / "server.log"
    env = _environment(directory / "data", port)
    started = time.monotonic()
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            [sys.executable, "-m", "tests.e2e.server", str(bundle)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _wait_ready(url, process, log)
    seconds = round(time.monotonic() - started, 1)
    with log.open("a") as out:
        out.write(f"\n[tests/e2e] ready after {seconds} s\n")
    return {
        "url": url,
        "identity_url": f"http://127.0.0.1:{env['IDENTITY_SANDBOX_PORT']}",
        "pid": process.pid,
        "log": str(log),
        "start_seconds": seconds,
        "users": 0,
    }


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _stop(pid: int, timeout: float = 60) -> None:
    """Ctrl-C, as at a terminal: it stops the web server, then the sandboxes and the engines.
    (The process may be another worker's child: a zombie counts as stopped.)"""
    if _gone(pid):
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while not _gone(pid):
        if time.monotonic() > deadline:
            for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
                proc.kill()
            return
        time.sleep(0.2)


def _read(state: Path) -> dict[str, Any] | None:
    if not state.exists():
        return None
    data: dict[str, Any] = json.loads(state.read_text())
    return data


@contextmanager
def shared_live_server(directory: Path, bundle: Path) -> Iterator[LiveServer]:
    """The run's live server (started here if no worker runs it), until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    lock, state = directory / "server.lock", directory / "server.json"
    with _exclusive(lock):
        info = _read(state)
        if info is not None and "failed" in info:
            raise RuntimeError(
                f"the e2e server failed to start (another worker):\n{info['failed']}"
            )
        if info is None or _gone(info["pid"]):
            try:
                info = _start(directory, bundle)
            except Exception as exc:
                state.write_text(json.dumps({"failed": str(exc)}))
                raise
        info["users"] += 1
        state.write_text(json.dumps(info))
    try:
        yield LiveServer(
            url=info["url"],
            log=Path(info["log"]),
            start_seconds=info["start_seconds"],
            identity_url=info["identity_url"],
        )
    finally:
        with _exclusive(lock):
            info = _read(state) or info
            info["users"] -= 1
            if info["users"] <= 0:
                _stop(info["pid"])
                state.unlink(missing_ok=True)
            else:
                state.write_text(json.dumps(info))
