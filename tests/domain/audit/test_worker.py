"""An append queues the chainer after its commit, and the worker links the entry."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.domain.audit.conftest import append, rows
from xinyidai.infra.db import commit, session_factory
from xinyidai.infra.queue import InProcessWorker, create_queue, create_worker
from xinyidai.jobs import CRON_JOBS, FUNCTIONS, chain_audit
from xinyidai.settings import Settings


def test_the_chainer_is_a_job_with_a_cron_backstop() -> None:
    assert chain_audit in FUNCTIONS
    assert (chain_audit, "* * * * *") in CRON_JOBS


async def test_the_worker_links_an_entry_moments_after_its_commit(
    settings: Settings, engine: AsyncEngine
) -> None:
    assert settings.redis_url
    queue = create_queue(settings.redis_url)
    await queue.connect()
    worker = InProcessWorker(create_worker(settings, queue))
    worker.start()
    try:
        # A session made with the queue, as requests' and jobs' sessions are.
        async with session_factory(engine, enqueue=queue.enqueue)() as session:
            entry_id = await append(session)
            await commit(session)  # and then the after-commit actions: the chainer is queued
        assert await queue.job("chain_audit") is not None
        linked = None
        for _ in range(200):  # the queued run, normally within a second
            [row] = await rows(engine)
            if row["hash"] is not None:
                linked = row
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        await queue.disconnect()
    assert linked is not None, "the chainer did not run"
    assert linked["id"] == entry_id
    assert linked["prev_hash"] == "0" * 64
