"""The sync's cron work: a monthly run for every SME with a live authorization, and runs whose
job never reached the queue queued again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World
from xinyidai.domain.credit_data.sync import queue_monthly_syncs, requeue_stale_syncs
from xinyidai.infra.db import unit_of_work
from xinyidai.models import DataAuthorization, Role, SyncRun, SyncStatus


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def __call__(self, function: str, **kwargs: Any) -> None:
        assert function == "sync_enterprise"
        self.sent.append(kwargs)


async def test_every_sme_with_a_live_authorization_gets_its_monthly_run(
    world: World, db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    live = await world.enterprise()
    revoked = await world.enterprise()
    await world.enterprise()  # never authorized anything
    owner = await world.user("owner@example.com", Role.SME, live.uscc)
    await world.authorize(live.id, ["tax"], owner.id)
    await world.authorize(live.id, ["electricity"], owner.id)
    ended = await world.authorize(revoked.id, ["tax"], owner.id)
    await db.execute(
        update(DataAuthorization)
        .where(DataAuthorization.id == ended.id)
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    await db.commit()
    recorder = Recorder()
    async with unit_of_work(sessions) as session:
        assert await queue_monthly_syncs(session, recorder) == 1
        assert recorder.sent == []  # queued at the commit
    runs = (await db.scalars(select(SyncRun))).all()
    assert [(r.enterprise_id, r.trigger) for r in runs] == [(live.id, "monthly")]
    assert recorder.sent == [
        {"run_id": str(runs[0].id), "key": f"sync:{runs[0].id}", "timeout": 600}
    ]


async def test_runs_whose_job_never_came_are_queued_again(
    world: World, db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sme = await world.enterprise()
    stale, fresh, running = [
        SyncRun(enterprise_id=sme.id, trigger="manual", status=status, families=[])
        for status in (SyncStatus.QUEUED, SyncStatus.QUEUED, SyncStatus.RUNNING)
    ]
    db.add_all([stale, fresh, running])
    await db.commit()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await db.execute(
        update(SyncRun).where(SyncRun.id.in_([stale.id, running.id])).values(created_at=long_ago)
    )
    await db.commit()
    recorder = Recorder()
    assert await requeue_stale_syncs(sessions, recorder) == 1
    assert recorder.sent == [{"run_id": str(stale.id), "key": f"sync:{stale.id}", "timeout": 600}]
