"""Liveness and readiness, and what happens while Redis is down."""

from __future__ import annotations

import dataclasses

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import PASSWORD, World
from xinyidai.app import create_app
from xinyidai.infra.embedded import EmbeddedRedis
from xinyidai.models import Role
from xinyidai.settings import Settings


async def test_live_and_ready_answer_when_everything_is_up(
    client: AsyncTestClient[Litestar],
) -> None:
    live = await client.get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "redis": "ok"}


async def test_losing_redis_makes_ready_and_login_503_until_it_returns(
    settings: Settings, world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    root = tmp_path_factory.mktemp("r")
    own = EmbeddedRedis(root, persist=False)
    url = own.start()
    app = create_app(dataclasses.replace(settings, redis_url=url))
    credentials = {"email": "office@example.com", "password": PASSWORD}
    try:
        async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
            assert (await client.get("/health/ready")).status_code == 200
            own.kill()

            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json() == {"database": "ok", "redis": "down"}
            login = await client.post("/api/v1/auth/login", json=credentials)
            assert login.status_code == 503
            problem = login.json()
            assert problem["type"] == "urn:xinyidai:problem:dependency-unavailable"
            assert "redis" in problem["detail"]
            assert login.headers["retry-after"]

            own.start()
            assert (await client.get("/health/ready")).status_code == 200
            assert (await client.post("/api/v1/auth/login", json=credentials)).status_code == 200
    finally:
        own.stop()


async def test_losing_the_database_makes_ready_503(settings: Settings) -> None:
    broken = dataclasses.replace(settings, database_url="postgresql://nobody@127.0.0.1:9/nothing")
    async with AsyncTestClient(
        app=create_app(broken), base_url="https://testserver.local"
    ) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"database": "down", "redis": "ok"}
        assert (await client.get("/health/live")).status_code == 200


async def test_a_database_that_never_answers_is_503_within_the_connect_timeout(
    settings: Settings,
) -> None:
    """A listener that takes TCP connections but never speaks (a hung host): connecting times
    out after DB_CONNECT_TIMEOUT, and every request that needs the database answers 503."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # never accepted: the kernel completes handshakes, nobody answers
    port = listener.getsockname()[1]
    hung = dataclasses.replace(
        settings,
        database_url=f"postgresql://nobody@127.0.0.1:{port}/nothing",
        db_connect_timeout=0.5,
        db_pool_timeout=0.5,
    )
    try:
        async with AsyncTestClient(
            app=create_app(hung), base_url="https://testserver.local"
        ) as client:
            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json() == {"database": "down", "redis": "ok"}
            assert ready.headers["retry-after"]
            login = await client.post(
                "/api/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD}
            )
            assert login.status_code == 503, login.text
            assert login.json()["type"] == "urn:xinyidai:problem:dependency-unavailable"
            assert "database" in login.json()["detail"]
            assert login.headers["retry-after"]
    finally:
        listener.close()


async def test_a_refused_database_connection_is_503(settings: Settings) -> None:
    refused = dataclasses.replace(settings, database_url="postgresql://nobody@127.0.0.1:9/nothing")
    async with AsyncTestClient(
        app=create_app(refused), base_url="https://testserver.local"
    ) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD}
        )
        assert login.status_code == 503, login.text
        assert login.headers["retry-after"]


async def test_concurrent_readiness_probes_share_one_check(settings: Settings) -> None:
    """Each check opens a new database connection; a flood of probes must not open one each."""
    import asyncio

    import httpx
    from sqlalchemy import event

    from tests.serving import serve

    app = create_app(settings)
    opened = []
    event.listen(app.state.db_probe.sync_engine, "connect", lambda *_: opened.append(1))
    with serve(app) as server:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            responses = await asyncio.gather(*(client.get("/health/ready") for _ in range(20)))
            assert all(r.status_code == 200 for r in responses)
            assert 1 <= len(opened) < 10, len(opened)
            assert (await client.get("/health/ready")).status_code == 200  # checked anew
            assert len(opened) >= 2
