"""Liveness and readiness, and what happens while Redis is down."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from tests.conftest import PASSWORD
from xinyidai.app import create_app
from xinyidai.infra.embedded import EmbeddedRedis
from xinyidai.models import Role


async def test_live_and_ready_answer_when_everything_is_up(client) -> None:
    live = await client.get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "redis": "ok"}


async def test_losing_redis_makes_ready_and_login_503_until_it_returns(
    settings, world, tmp_path_factory
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


async def test_losing_the_database_makes_ready_503(settings) -> None:
    broken = dataclasses.replace(settings, database_url="postgresql://nobody@127.0.0.1:9/nothing")
    async with AsyncTestClient(
        app=create_app(broken), base_url="https://testserver.local"
    ) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"database": "down", "redis": "ok"}
        assert (await client.get("/health/live")).status_code == 200
