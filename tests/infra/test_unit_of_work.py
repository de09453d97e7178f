"""The job bodies' unit of work: committed at the end, then its after-commit jobs queued;
rolled back, with nothing queued, when the block raises."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xinyidai.infra.db import create_engine, enqueue_after_commit, session_factory, unit_of_work
from xinyidai.models import Bank
from xinyidai.settings import Settings


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, function: str, **kwargs: Any) -> None:
        self.sent.append((function, kwargs))


@pytest.fixture
async def queued(
    settings: Settings,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Recorder]]:
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    recorder = Recorder()
    try:
        yield session_factory(engine, enqueue=recorder), recorder
    finally:
        await engine.dispose()


async def _codes(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(Bank.short_code)))


async def test_the_block_commits_then_queues_what_it_asked_for(
    queued: tuple[async_sessionmaker[AsyncSession], Recorder],
) -> None:
    sessions, recorder = queued
    async with unit_of_work(sessions) as session:
        session.add(Bank(name="甲银行", short_code="BANK_A"))
        assert enqueue_after_commit(session, "follow_up", key="a")
        assert recorder.sent == []  # nothing before the commit
    assert recorder.sent == [("follow_up", {"key": "a"})]
    assert await _codes(sessions) == ["BANK_A"]


async def test_a_block_that_raises_keeps_nothing_and_queues_nothing(
    queued: tuple[async_sessionmaker[AsyncSession], Recorder],
) -> None:
    sessions, recorder = queued

    async def failing_job() -> None:
        async with unit_of_work(sessions) as session:
            session.add(Bank(name="乙银行", short_code="BANK_B"))
            await session.flush()
            enqueue_after_commit(session, "follow_up", key="b")
            raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError):
        await failing_job()
    assert recorder.sent == []
    assert await _codes(sessions) == []
