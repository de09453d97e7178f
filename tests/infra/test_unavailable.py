"""Which failures mean "the database is unavailable" (503 with Retry-After) and which are bugs
(500): the failures here are real, from real connects and a real pool."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from xinyidai.infra.db import create_engine, is_database_unavailable
from xinyidai.infra.http import problem_for
from xinyidai.settings import Settings


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A port that takes TCP connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


async def _connect_error(settings: Settings, url: str) -> BaseException:
    engine = create_engine(dataclasses.replace(settings, db_connect_timeout=0.5), url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("the connect succeeded")


def _assert_503(exc: BaseException) -> None:
    assert is_database_unavailable(exc), repr(exc)
    problem, headers = problem_for(exc)
    assert problem.status == 503 and problem.type.endswith("dependency-unavailable")
    assert headers["Retry-After"] and problem.retry_after


async def test_refused_missing_and_hung_servers_are_unavailable(
    settings: Settings, hung_port: int
) -> None:
    for url in (
        "postgresql://nobody@127.0.0.1:9/nothing",  # refused
        "postgresql://nobody@/nothing?host=/tmp/xyd-no-such-socket-dir",  # socket gone
        f"postgresql://nobody@127.0.0.1:{hung_port}/nothing",  # connect times out
    ):
        _assert_503(await _connect_error(settings, url))


async def test_waiting_too_long_for_a_pooled_connection_is_unavailable(settings: Settings) -> None:
    tight = dataclasses.replace(settings, db_pool_size=1, db_pool_timeout=0.2)
    assert settings.database_url
    engine = create_engine(tight, settings.database_url)  # a pool of 2 connections
    try:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(2):
                held = await stack.enter_async_context(engine.connect())
                await held.execute(text("SELECT 1"))
            with pytest.raises(PoolTimeout) as caught:
                async with engine.connect() as third:
                    await third.execute(text("SELECT 1"))
        _assert_503(caught.value)
    finally:
        await engine.dispose()


def test_our_own_failures_stay_500() -> None:
    for exc in (ValueError("bug"), KeyError("k"), RuntimeError("x")):
        assert not is_database_unavailable(exc)
        assert problem_for(exc)[0].status == 500
    with pytest.raises(FileNotFoundError) as caught:
        open("/nonexistent/upload.csv", "rb")  # noqa: SIM115 - the error is what we want
    # The same errno as a vanished database socket, but raised by our code: a bug.
    assert not is_database_unavailable(caught.value)
    assert problem_for(caught.value)[0].status == 500
