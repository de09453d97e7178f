"""The job worker on the real Redis: stopping it waits for the jobs that are running (up to its
grace period), not for its idle upkeep loops (SAQ's sweep sleeps a minute at a time)."""

from __future__ import annotations

import asyncio
from typing import Any

from xinyidai.infra.queue import EmbeddedWorker, InProcessWorker, create_queue, create_worker
from xinyidai.settings import Settings

LONG_GRACE = 3600  # seconds: far beyond the bound each stop below is given
# Seconds: a bound on waiting, not a timing assertion. A stop takes about a second (a free job
# slot's wait for the queue); the loop it must not wait for, SAQ's sweep, sleeps 60 s.
BOUND = 30.0


async def test_an_idle_worker_stops_without_spending_its_grace_period(settings: Settings) -> None:
    assert settings.redis_url
    queue = create_queue(settings.redis_url)
    await queue.connect()
    worker = InProcessWorker(create_worker(settings, queue, grace_seconds=LONG_GRACE))
    try:
        worker.start()
        for _ in range(600):  # until its upkeep loops run (the first heartbeat is written)
            if await queue.info():
                break
            await asyncio.sleep(0.05)
        assert (await queue.info())["workers"], "the worker never started"
        await asyncio.wait_for(worker.stop(), BOUND)  # not a minute for the sweep to wake
    finally:
        await queue.disconnect()


async def test_a_stopping_worker_lets_its_running_job_finish(settings: Settings) -> None:
    assert settings.redis_url
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def long_job(ctx: Any, *, name: str) -> str:
        started.set()
        await release.wait()
        finished.append(name)
        return name

    queue = create_queue(settings.redis_url)
    await queue.connect()
    job_worker = EmbeddedWorker(
        queue,
        functions=[long_job],
        concurrency=1,
        dequeue_timeout=1.0,
        shutdown_grace_period_s=LONG_GRACE,
    )
    worker = InProcessWorker(job_worker)
    try:
        worker.start()
        job = await queue.enqueue(long_job.__qualname__, name="the report")
        assert job is not None
        await asyncio.wait_for(started.wait(), BOUND)
        stopping = asyncio.create_task(worker.stop())
        await asyncio.sleep(0.5)  # the stop has begun: the job is still running, not cancelled
        assert not stopping.done() and finished == []
        release.set()
        await asyncio.wait_for(stopping, BOUND)
        assert finished == ["the report"]
        await job.refresh()
        assert job.status == "complete" and job.result == "the report"
    finally:
        await queue.disconnect()
