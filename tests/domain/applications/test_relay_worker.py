"""The relay in real worker processes (`xinyidai worker`), the bank a real HTTP server counting
what it processes by Idempotency-Key: a bank that is down for a while and comes back gets every
application exactly once; a worker killed with SIGKILL in the middle of deliveries, then
restarted, leaves every application processed exactly once at the bank."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World
from tests.domain.applications.intake_server import running_bank
from tests.domain.applications.rows import Shop, apply, give_intake, shop
from tests.test_processes import _environment
from xinyidai.domain.applications.relay import sweep_deliveries
from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.infra.queue import create_queue
from xinyidai.models import Application, ApplicationDelivery, ApplicationEvent
from xinyidai.settings import Settings

pytestmark = pytest.mark.slow  # starts worker processes of its own

BOUND = 600  # polls of 0.2 s: a bound on waiting, not a timing assertion


def _worker_env(settings: Settings) -> dict[str, str]:
    env = _environment(settings)
    env.update(
        WEBHOOK_ALLOW_HTTP="true",  # the test bank: http on loopback
        WEBHOOK_ALLOW_PRIVATE="true",
        RELAY_TIMEOUT="1",
        RELAY_BACKOFF_BASE="0.2",
        RELAY_BACKOFF_CAP="0.5",
        RELAY_MAX_ATTEMPTS="100",
    )
    return env


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "xinyidai", "worker", "--concurrency", "4"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def until(check: Callable[[], Awaitable[bool]], what: str, log: Path) -> None:
    for _ in range(BOUND):
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never: {what}\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def _submit(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], owner: Shop, n: int
) -> list[UUID]:
    """``n`` applications, each in its own transaction, its delivery queued after the commit
    (as the submission service does)."""
    ids = []
    for _ in range(n):
        async with unit_of_work(sessions) as session:
            ids.append((await apply(session, owner))[1].id)
    return ids


async def _statuses(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(ApplicationDelivery.status)))


async def _assert_each_delivered_once(settings: Settings, deliveries: list[UUID]) -> None:
    """Every delivery delivered, every application moved to delivered by exactly one event."""
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        await _check(session_factory(engine), deliveries)
    finally:
        await engine.dispose()


async def _check(sessions: async_sessionmaker[AsyncSession], deliveries: list[UUID]) -> None:
    async with sessions() as session:
        rows = (await session.execute(select(ApplicationDelivery))).scalars().all()
        assert {row.id for row in rows} == set(deliveries)
        assert {row.status for row in rows} == {"delivered"}
        statuses = set(await session.scalars(select(Application.status)))
        assert statuses == {"delivered"}
        moves = (
            await session.execute(
                select(ApplicationEvent.application_id, func.count())
                .where(ApplicationEvent.to_status == "delivered")
                .group_by(ApplicationEvent.application_id)
            )
        ).all()
        assert len(moves) == len(deliveries) and {m[1] for m in moves} == {1}


async def test_a_bank_down_for_a_while_gets_every_application_exactly_once(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    assert settings.database_url and settings.redis_url
    a = await shop(world)
    queue = create_queue(settings.redis_url)
    engine = create_engine(settings, settings.database_url)
    sessions = session_factory(engine, enqueue=queue.enqueue)
    log = tmp_path / "worker.log"
    try:
        with running_bank({"xyd-a": "secret-of-a"}, down=True) as bank:
            await give_intake(world, a.bank.id, bank.url, client_id="xyd-a", secret="secret-of-a")
            with worker_process(_worker_env(settings), log):
                deliveries = await _submit(settings, sessions, a, 8)

                async def refused_twice_each() -> bool:
                    faults = [r["key"] for r in bank.requests if r.get("outcome") == "fault"]
                    return all(faults.count(str(d)) >= 2 for d in deliveries)

                await until(refused_twice_each, "every delivery refused twice", log)
                bank.set(down=False)  # the bank is back

                async def all_delivered() -> bool:
                    return set(await _statuses(sessions)) == {"delivered"}

                await until(all_delivered, "every delivery delivered", log)
    finally:
        await engine.dispose()
        await queue.disconnect()

    assert bank.processed_keys() == {str(d) for d in deliveries}
    assert set(bank.processed_applications().values()) == {1}  # none processed twice
    assert len(bank.processed_applications()) == 8
    await _assert_each_delivered_once(settings, deliveries)


async def test_a_worker_killed_mid_delivery_and_restarted_leaves_each_application_processed_once(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    assert settings.database_url and settings.redis_url
    a = await shop(world)
    queue = create_queue(settings.redis_url)
    engine = create_engine(settings, settings.database_url)
    sessions = session_factory(engine, enqueue=queue.enqueue)
    log = tmp_path / "worker.log"
    env = _worker_env(settings)
    sweeper = dataclasses.replace(settings, relay_max_attempts=100)
    try:
        with running_bank({"xyd-a": "secret-of-a"}, hold=True) as bank:
            await give_intake(world, a.bank.id, bank.url, client_id="xyd-a", secret="secret-of-a")
            with worker_process(env, log) as first:
                deliveries = await _submit(settings, sessions, a, 3)

                async def all_held() -> bool:
                    return bank.held() == 3

                # The bank has processed all three and has not answered yet: kill the worker.
                await until(all_held, "the bank holding all three deliveries", log)
                os.killpg(first.pid, signal.SIGKILL)
                first.wait()
            bank.set(hold=False)
            bank.released.set()
            assert set(await _statuses(sessions)) == {"pending"}  # no outcome recorded

            with worker_process(env, log):

                async def all_delivered() -> bool:
                    # The minute's sweeper, run here: it queues the rows whose lease ran out.
                    await sweep_deliveries(sessions, sweeper, grace=dt.timedelta(0))
                    return set(await _statuses(sessions)) == {"delivered"}

                await until(all_delivered, "every delivery delivered after the restart", log)
    finally:
        await engine.dispose()
        await queue.disconnect()

    assert bank.processed_keys() == {str(d) for d in deliveries}
    assert set(bank.processed_applications().values()) == {1}
    assert sorted(bank.outcomes()) == ["duplicate"] * 3 + ["held"] * 3
    await _assert_each_delivered_once(settings, deliveries)
    engine = create_engine(settings, settings.database_url)
    async with session_factory(engine)() as session:
        attempts = set(await session.scalars(select(ApplicationDelivery.attempts)))
    await engine.dispose()
    assert attempts == {2}  # the killed attempt counted, and the one that was answered
