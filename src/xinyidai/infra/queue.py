"""The job queue (SAQ on Redis) and its worker.

The queue gets its own Redis connection: SAQ blocks on the list of queued jobs, which the main
client's short socket timeout would cut. Jobs are plain async functions ``fn(ctx, **kwargs)``
registered in ``xinyidai.jobs``; ``ctx`` carries the settings, a session factory and the data
provider, created once per worker in ``startup``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from redis.asyncio import Redis
from saq import CronJob, Queue, Worker
from saq.queue.redis import RedisQueue

from xinyidai.settings import Settings

log = structlog.get_logger(__name__)
# The ``ctx`` of the jobs: SAQ's own keys plus what ``jobs.startup`` puts there, a plain dict
# for the jobs (``xinyidai.jobs``) until they declare it as a TypedDict over ``saq.types.Context``.
JobContext = Any
QUEUE_NAME = "xinyidai"


def create_queue(redis_url: str) -> Queue:
    client = Redis.from_url(redis_url, socket_connect_timeout=2.0, health_check_interval=15)
    return RedisQueue(client, name=QUEUE_NAME)


class EmbeddedWorker(Worker[JobContext]):
    """A worker that runs inside another server's event loop: it leaves signals to the host
    (uvicorn handles Ctrl-C and stops us through the app's lifespan). ``xinyidai worker`` sets
    ``SIGNALS`` on its own instance.

    Stopping waits for the running jobs only. SAQ's upkeep loops (the queue's sweep every 60 s,
    the scheduler, the abort check, the worker's heartbeat) sleep without watching the stop
    event, so SAQ's grace period, which waits for every task of the worker, always ran out in
    full (30 s for every ``xinyidai worker`` stopped, busy or idle). They hold no job: they are
    cancelled first."""

    SIGNALS: list[Any] = []
    _upkeep: list[asyncio.Task[None]]

    async def upkeep(self) -> list[asyncio.Task[None]]:
        self._upkeep = await super().upkeep()
        return self._upkeep

    async def stop(self) -> None:
        # The event first: an upkeep loop cancelled inside its call returns once it is set
        # (otherwise it would log the cancellation and go back to sleep).
        event = getattr(self, "event", None)
        if event is not None:
            event.set()
        for task in getattr(self, "_upkeep", []):
            task.cancel()
        await super().stop()


def create_worker(
    settings: Settings, queue: Queue, *, concurrency: int = 4, grace_seconds: int = 2
) -> Worker[JobContext]:
    from xinyidai.jobs import CRON_JOBS, FUNCTIONS, shutdown, startup

    async def start(ctx: dict[str, Any]) -> None:
        await startup(ctx, settings)

    cron: list[Any] = [CronJob(fn, cron=spec, timeout=3600) for fn, spec in CRON_JOBS]
    return EmbeddedWorker(
        queue,
        functions=FUNCTIONS,  # type: ignore[arg-type]
        cron_jobs=cron,
        concurrency=concurrency,
        startup=start,
        shutdown=shutdown,
        dequeue_timeout=1.0,
        shutdown_grace_period_s=grace_seconds,
    )


class InProcessWorker:
    """Runs a worker as a task of the current event loop, for `xinyidai run` and the tests."""

    def __init__(self, worker: Worker[JobContext]) -> None:
        self.worker = worker
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.worker.start(), name="saq-worker")

    async def stop(self) -> None:
        await self.worker.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
