"""``xinyidai worker``: the job worker."""

from __future__ import annotations

import asyncio
import signal

import click

from xinyidai.cli.common import configure_logging, load_settings


@click.command("worker")
@click.option("--concurrency", default=8, show_default=True, help="Jobs run at once.")
def worker(concurrency: int) -> None:
    """Run the job worker (production runs it beside the web processes)."""
    from xinyidai.infra.queue import create_queue, create_worker

    settings = load_settings()
    if not settings.database_url or not settings.redis_url:
        raise click.ClickException("the worker needs DATABASE_URL and REDIS_URL")
    configure_logging(settings)
    queue = create_queue(settings.redis_url)
    job_worker = create_worker(settings, queue, concurrency=concurrency, grace_seconds=30)
    job_worker.SIGNALS = [signal.SIGINT, signal.SIGTERM]  # standalone: it owns the signals

    async def go() -> None:
        await queue.connect()
        try:
            await job_worker.start()
        finally:
            await queue.disconnect()

    asyncio.run(go())
