"""The servers under load (the platform app and its baselines, under one server command line)
and the engines behind them (embedded PostgreSQL and Redis, or the environment's)."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.harness import ROOT, BenchError, console, pinned

STARTUP_TIMEOUT = 90.0  # several workers import the app at once, on a loaded machine too
STOP_GRACE = 5.0

APP_FACTORY = "xinyidai.app:create_app_from_env"
BARE_FACTORY = "bench.bare_app:create_app"
BARE_AUTH_FACTORY = "bench.bare_app:create_auth_app"
BARE_BANK_FACTORY = "bench.bare_app:create_bank_app"
BARE_SUBMIT_FACTORY = "bench.bare_app:create_submit_app"
# The bank API rows' one client calls far more often than a bank may in a minute: the platform
# still counts every call in Redis (the same INCR and EXPIRE), only its ceiling is raised.
BENCH_BANK_RATE_LIMIT = 1_000_000_000
# The ASGI server every row uses (``BENCH_SERVER``): the production one by default, so that the
# bench measures what `xinyidai serve` runs. Identical for every server the benchmark starts;
# only the factory, the port and the worker count differ.
SERVER_KINDS = ("granian", "uvicorn")
DEFAULT_SERVER_KIND = "granian"
UVICORN_FLAGS: tuple[str, ...] = (
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
)
GRANIAN_FLAGS: tuple[str, ...] = (
    "--interface",
    "asgi",
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--no-ws",
    "--no-access-log",
    "--log-level",
    "warning",
)


def server_kind() -> str:
    """``BENCH_SERVER`` (``granian`` or ``uvicorn``), or ``DEFAULT_SERVER_KIND``."""
    raw = os.environ.get("BENCH_SERVER", "").strip().lower() or DEFAULT_SERVER_KIND
    if raw not in SERVER_KINDS:
        raise BenchError(f"BENCH_SERVER must be one of {', '.join(SERVER_KINDS)}, not {raw!r}")
    return raw


def python_executable() -> str:
    venv_python = ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class Server:
    name: str
    factory: str
    port: int
    log_path: Path
    workers: int = 1
    kind: str = DEFAULT_SERVER_KIND
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The server's command line: one worker pinned to CPU 1 (wrk has CPU 0); more
        workers get every CPU, which they share with wrk (see ``harness.pinned``)."""
        cpus = pinned(1) if self.workers == 1 else pinned(None)
        if self.kind == "granian":
            server, flags = ["-m", "granian", "--factory"], GRANIAN_FLAGS
        else:
            server, flags = ["-m", "uvicorn", "--factory"], UVICORN_FLAGS
        return [
            *cpus,
            python_executable(),
            *server,
            self.factory,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *flags,
        ]

    def start(self, env: dict[str, str]) -> None:
        # The server's own address is its public URL: the issuer of the tokens it signs, and
        # the scheme and host that DPoP proofs name (``htu``) for it.
        env = {**env, "PUBLIC_URL": self.base_url}
        with self.log_path.open("ab") as log_file:  # a restarted server adds to its log
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the harness only; it stops the server
            )
        self.wait_live()

    def wait_live(self, timeout: float = STARTUP_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise BenchError(
                        f"{self.name} server exited with {self.process.returncode}:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    response = client.get(self.base_url + "/health/live")
                    if response.status_code == 200:
                        return
                    last_error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last_error = type(exc).__name__
                time.sleep(0.1)
        raise BenchError(
            f"{self.name} server did not answer /health/live with 200 within "
            f"{timeout:.0f} s (last: {last_error}):\n{self.log_tail()}"
        )

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_lines()[-lines:]) or "(no output)"

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            # Its own session (start_new_session): the group holds its worker processes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass(slots=True)
class Context:
    workdir: Path
    env: dict[str, str]
    servers: dict[str, Server] = field(default_factory=dict)

    def server(self, key: str, factory: str, workers: int = 1) -> Server:
        """The server for ``key`` with ``workers`` processes, started on first use."""
        name = key if workers == 1 else f"{key}_{workers}w"
        # Servers of another worker count are stopped first: each process keeps its pool of
        # connections open, and the embedded PostgreSQL serves 100 in all.
        for other in self.servers.values():
            if other.workers != workers:
                other.stop()
        server = self.servers.get(name)
        if server is None:
            kind = server_kind()
            server = Server(name, factory, free_port(), self.workdir / f"{name}.log", workers, kind)
            self.servers[name] = server
        if server.process is None:
            console.print(
                f"[dim]starting {name} server ({server.kind}, {workers} worker(s)) "
                f"on port {server.port}[/dim]"
            )
            server.start(self.env)
        return server

    def stop_all(self) -> None:
        """Stop every server (their logs stay, for the notes)."""
        for server in self.servers.values():
            server.stop()


def start_app(ctx: Context, workers: int = 1) -> Server:
    return ctx.server("app", APP_FACTORY, workers)


def start_bare(ctx: Context, workers: int = 1) -> Server:
    """Baseline kind ``bare``: a hello-world Litestar app (bench/bare_app.py)."""
    return ctx.server("bare", BARE_FACTORY, workers)


def start_bare_auth(ctx: Context, workers: int = 1) -> Server:
    """Baseline kind ``bare_auth``: the authenticated reads by hand, with Redis and raw asyncpg
    (bench/bare_app.py ``create_auth_app``)."""
    return ctx.server("bare_auth", BARE_AUTH_FACTORY, workers)


def start_bare_bank(ctx: Context, workers: int = 1) -> Server:
    """Baseline kind ``bare_bank``: the SME's latest snapshot row read by USCC with raw asyncpg
    and returned (bench/bare_app.py ``create_bank_app``)."""
    return ctx.server("bare_bank", BARE_BANK_FACTORY, workers)


def start_bare_submit(ctx: Context, workers: int = 1) -> Server:
    """Baseline kind ``bare_submit``: the application's body decoded, 201 (bench/bare_app.py
    ``create_submit_app``)."""
    return ctx.server("bare_submit", BARE_SUBMIT_FACTORY, workers)


BASELINES: dict[str, Callable[[Context, int], Server]] = {
    "bare": start_bare,
    "bare_auth": start_bare_auth,
    "bare_bank": start_bare_bank,
    "bare_submit": start_bare_submit,
}


@contextlib.contextmanager
def engines(workdir: Path) -> Iterator[tuple[str, str]]:
    """PostgreSQL and Redis URLs: from the environment, or embedded engines under ``workdir``."""
    database_url = os.environ.get("DATABASE_URL") or None
    redis_url = os.environ.get("REDIS_URL") or None
    with contextlib.ExitStack() as stack:
        if database_url is None:
            from xinyidai.infra import migrate
            from xinyidai.infra.embedded import EmbeddedPostgres

            console.print("[dim]starting embedded PostgreSQL[/dim]")
            postgres = EmbeddedPostgres(workdir / "pg")
            stack.callback(postgres.stop)
            database_url = postgres.start()
            console.print("[dim]applying migrations[/dim]")
            migrate.upgrade(database_url)
        if redis_url is None:
            from xinyidai.infra.embedded import EmbeddedRedis

            console.print("[dim]starting embedded Redis[/dim]")
            redis = EmbeddedRedis(workdir / "redis", persist=False)
            stack.callback(redis.stop)
            redis_url = redis.start()
        yield database_url, redis_url


def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATA_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        LOG_LEVEL="WARNING",
        LOG_JSON="true",
        # Production refuses to start without its own signing key and an identity service;
        # the rows measured here call neither, so a throwaway key and an unreachable
        # identity service satisfy the checks without changing what is measured.
        SIGNING_KEY=_throwaway_signing_key(),
        IDENTITY_URL="https://identity.bench.invalid",
        IDENTITY_CLIENT_SECRET=secrets.token_urlsafe(32),
        BANK_API_RATE_LIMIT=str(BENCH_BANK_RATE_LIMIT),
    )
    return env


def _throwaway_signing_key() -> str:
    """A fresh EC P-256 private key as PEM, for one bench run."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
