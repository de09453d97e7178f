"""A database server that stops answering (its processes frozen with SIGSTOP, as a hung host or a
stalled disk would leave them) makes requests answer 503 with Retry-After, never 500 and never
hang, readiness says so, and service returns by itself once the server runs again.

The tests start their own embedded PostgreSQL (the suite's shared server is not touched) and
serve the app with uvicorn, with timeouts of a second or so.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import PASSWORD, World
from tests.serving import serve
from xinyidai.app import create_app
from xinyidai.infra import migrate
from xinyidai.infra.db import create_engine, session_factory
from xinyidai.infra.embedded import EmbeddedPostgres
from xinyidai.models import Role
from xinyidai.settings import Env, Settings

pytestmark = pytest.mark.slow  # starts a PostgreSQL of its own and freezes it

# Not timed assertions: bounds that turn a hang into a failure instead of a stuck suite.
HANG_GUARD = 120.0


@dataclass
class OwnPostgres:
    server: EmbeddedPostgres
    url: str

    def postmaster(self) -> psutil.Process:
        pid = int((self.server.root / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid)

    def freeze(self, *, backends: bool) -> list[psutil.Process]:
        """SIGSTOP the postmaster (it forks no new backends then) and, with ``backends``, every
        process it started, so established connections hang too."""
        postmaster = self.postmaster()
        postmaster.send_signal(signal.SIGSTOP)
        frozen = [postmaster]
        if backends:
            for child in postmaster.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.send_signal(signal.SIGSTOP)
                    frozen.append(child)
        return frozen

    @staticmethod
    def thaw(frozen: list[psutil.Process]) -> None:
        for process in reversed(frozen):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    root = Path(tempfile.mkdtemp(prefix="xyf-", dir="/tmp"))
    server = EmbeddedPostgres(root / "pg", database="xinyidai")
    url = server.start()
    own = OwnPostgres(server, url)
    try:
        migrate.upgrade(url)
        yield own
    finally:
        with contextlib.suppress(Exception):
            OwnPostgres.thaw([own.postmaster(), *own.postmaster().children(recursive=True)])
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fault_settings(own_postgres: OwnPostgres, redis_url: str) -> Settings:
    return Settings(
        env=Env.TEST,
        database_url=own_postgres.url,
        redis_url=redis_url,
        worker_in_process=False,
        cookie_secure=False,
        db_connect_timeout=1.0,
        db_pool_timeout=1.0,
        db_command_timeout=1.5,
    )


async def _sme(settings: Settings, email: str) -> Any:
    """An SME user and its enterprise in the test's own database."""
    from redis.asyncio import Redis

    assert settings.database_url and settings.redis_url
    engine = create_engine(settings, settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    try:
        async with session_factory(engine)() as session:
            world = World(session, redis, settings)
            enterprise = await world.enterprise()
            await world.user(email, Role.SME, org=enterprise.uscc)
            return enterprise.id
    finally:
        await redis.aclose()
        await engine.dispose()


async def _until(changed: asyncio.Condition, condition: Any) -> None:
    async def wait() -> None:
        async with changed:
            await changed.wait_for(condition)

    await asyncio.wait_for(wait(), timeout=HANG_GUARD)


def _assert_unavailable(path: str, response: httpx.Response) -> None:
    assert response.headers.get("retry-after"), (path, response.headers)
    if path == "/health/ready":
        assert response.json() == {"database": "down", "redis": "ok"}
        return
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:xinyidai:problem:dependency-unavailable", problem
    assert "database" in problem["detail"] and problem["request_id"]


async def test_a_frozen_database_is_503_and_service_returns_when_it_runs_again(
    own_postgres: OwnPostgres, fault_settings: Settings
) -> None:
    enterprise_id = await _sme(fault_settings, "frozen@example.com")
    paths = ["/health/ready", "/api/v1/me", f"/api/v1/enterprises/{enterprise_id}"]
    phase = "up"
    seen: dict[str, list[tuple[str, str, httpx.Response]]] = {path: [] for path in paths}
    done = asyncio.Event()
    changed = asyncio.Condition()

    async def keep_asking(client: httpx.AsyncClient, path: str) -> None:
        while not done.is_set():
            started = phase
            response = await client.get(path)
            seen[path].append((started, phase, response))
            async with changed:
                changed.notify_all()

    def count(path: str, during: str, status: int | None = None) -> int:
        return sum(
            1
            for started, ended, response in seen[path]
            if started == ended == during and (status is None or response.status_code == status)
        )

    def recovered(path: str) -> bool:
        tail = [r.status_code for s, _, r in seen[path] if s == "resumed"][-3:]
        return tail == [200, 200, 200]

    frozen: list[psutil.Process] = []
    with serve(create_app(fault_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=HANG_GUARD) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": "frozen@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            askers = [asyncio.create_task(keep_asking(client, path)) for path in paths]
            try:
                await _until(changed, lambda: all(count(p, "up", 200) >= 2 for p in paths))

                frozen = own_postgres.freeze(backends=True)
                phase = "stopped"
                await _until(changed, lambda: all(count(p, "stopped") >= 2 for p in paths))

                OwnPostgres.thaw(frozen)
                frozen = []
                phase = "resumed"
                await _until(changed, lambda: all(recovered(p) for p in paths))
            finally:
                OwnPostgres.thaw(frozen)
                done.set()
                await asyncio.gather(*askers, return_exceptions=True)

    for path in paths:
        for started, ended, response in seen[path]:
            assert response.status_code in (200, 503), (path, response.status_code, response.text)
            if response.status_code == 503:
                _assert_unavailable(path, response)
            if started == ended == "stopped":
                assert response.status_code == 503, (path, response.text)
            if started == ended == "up":
                assert response.status_code == 200, (path, response.text)


async def test_readiness_reports_a_database_that_accepts_no_new_connections(
    own_postgres: OwnPostgres, fault_settings: Settings
) -> None:
    """Pooled connections still work (their backends run), but the postmaster forks no new
    ones: readiness opens a new connection, so it sees what a restart or a scale-up would."""
    await _sme(fault_settings, "stuck@example.com")
    with serve(create_app(fault_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=HANG_GUARD) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": "stuck@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200
            assert (await client.get("/health/ready")).status_code == 200
            assert (await client.get("/api/v1/me")).status_code == 200  # a pooled connection

            frozen = own_postgres.freeze(backends=False)
            try:
                ready = await client.get("/health/ready")
                assert ready.status_code == 503
                assert ready.json() == {"database": "down", "redis": "ok"}
                assert ready.headers["retry-after"]
                assert (await client.get("/api/v1/me")).status_code == 200
            finally:
                OwnPostgres.thaw(frozen)

            async def ready_again() -> None:
                while True:
                    if (await client.get("/health/ready")).status_code == 200:
                        return
                    await asyncio.sleep(0.1)

            await asyncio.wait_for(ready_again(), timeout=HANG_GUARD)
