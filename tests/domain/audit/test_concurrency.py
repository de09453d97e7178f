"""Appends never wait on each other, and there is one chainer at a time."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.domain.audit.conftest import append, rows
from xinyidai.domain.audit.chainer import LOCK_KEY, ChainRun, chain_pending
from xinyidai.domain.audit.verify import verify_chain
from xinyidai.infra.db import create_engine, session_factory
from xinyidai.settings import Settings

REQUESTS = 40


@pytest.fixture
async def wide_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds every concurrent request of these tests at once."""
    assert settings.database_url
    engine = create_engine(dataclasses.replace(settings, db_pool_size=30), settings.database_url)
    yield engine
    await engine.dispose()


async def intact(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        report = await verify_chain(session, stale_after=3600)
    assert report.ok, report
    return report.linked


async def test_concurrent_appends_never_wait_for_each_other_and_all_get_linked(
    wide_engine: AsyncEngine,
) -> None:
    sessions = [session_factory(wide_engine)() for _ in range(REQUESTS)]
    try:
        # Every request appends while all the others hold their uncommitted rows: had one
        # append waited for another's transaction, this would never finish.
        async with asyncio.timeout(120):  # a guard against a hang, not a measurement
            ids = await asyncio.gather(*(append(session) for session in sessions))
        seqs = [
            (
                await session.execute(
                    text("SELECT seq FROM audit_entries WHERE id = :id"), {"id": entry_id}
                )
            ).scalar_one()
            for session, entry_id in zip(sessions, ids, strict=True)
        ]
        assert len(set(seqs)) == REQUESTS
        # They end last-drawn first, one in five rolling back, the chainer running after each:
        # it must never link an entry past an earlier one whose transaction is still open.
        order = sorted(range(REQUESTS), key=lambda i: seqs[i], reverse=True)
        runs: list[ChainRun] = []
        for rank, i in enumerate(order):
            if rank % 5 == 2:
                await sessions[i].rollback()
            else:
                await sessions[i].commit()
            runs.append(await chain_pending(wide_engine, settle_timeout=0.01))
    finally:
        for session in sessions:
            await session.close()

    committed = REQUESTS - REQUESTS // 5
    assert (runs[0].linked, runs[0].waiting) == (0, 1)  # the others were still open
    assert sum(run.linked for run in runs) == committed  # all linked once the first ended
    assert runs[-1].waiting == 0
    stored = await rows(wide_engine)
    assert len(stored) == committed
    assert all(row["hash"] is not None for row in stored)
    assert await intact(wide_engine) == committed


async def test_a_second_chainer_returns_at_once_while_one_holds_the_lock(
    engine: AsyncEngine,
) -> None:
    async with session_factory(engine)() as session:
        for _ in range(3):
            await append(session)
        await session.commit()
    async with engine.connect() as holder:  # a chainer of another process, mid-run
        assert (
            await holder.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
        ).scalar_one()
        await holder.commit()

        run = await chain_pending(engine)

        assert run.busy and run.linked == 0
        assert all(row["hash"] is None for row in await rows(engine))
        await holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        await holder.commit()
    assert (await chain_pending(engine)).linked == 3
    assert await intact(engine) == 3


async def test_concurrent_chainers_link_each_entry_once_into_one_chain(
    wide_engine: AsyncEngine,
) -> None:
    total = 600
    async with session_factory(wide_engine)() as session:
        for _ in range(total):
            await append(session)
        await session.commit()

    runs = await asyncio.gather(*(chain_pending(wide_engine, batch_size=50) for _ in range(6)))

    # Each row is linked by exactly one run (a second link would be refused by the trigger
    # and fail its run), and the runs together linked them all into one intact chain.
    assert sum(run.linked for run in runs) == total
    assert await intact(wide_engine) == total
    async with wide_engine.connect() as conn:  # and no run left the lock behind
        assert (
            await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
        ).scalar_one()
        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
