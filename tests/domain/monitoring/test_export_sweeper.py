"""The export sweeper: an export whose job never came is queued again, one whose job died is
failed with a reason, and exports past their retention are deleted with their files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World
from xinyidai.domain.monitoring.export_jobs import EXPORT_TIMEOUT, JOB, sweep_exports
from xinyidai.models import Export, ExportChunk, ExportStatus, Role


async def test_the_sweeper_requeues_fails_and_deletes(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    office = await world.user("office@example.com", Role.OFFICE)
    now = dt.datetime.now(dt.UTC)

    def export(status: ExportStatus, age: dt.timedelta, **extra: Any) -> Export:
        return Export(
            kind="loans",
            format="csv",
            status=status,
            query={"from": "2026-01-01", "to": "2026-01-31"},
            requested_by=office.id,
            rows_written=0,
            filename="x.csv",
            created_at=now - age,
            updated_at=now - age,
            **extra,
        )

    lost = export(ExportStatus.QUEUED, dt.timedelta(minutes=30))
    fresh = export(ExportStatus.QUEUED, dt.timedelta(minutes=1))
    dead = export(ExportStatus.RUNNING, dt.timedelta(seconds=EXPORT_TIMEOUT + 3600))
    running = export(ExportStatus.RUNNING, dt.timedelta(minutes=5))
    old = export(ExportStatus.DONE, dt.timedelta(days=8), byte_size=3)
    kept = export(ExportStatus.DONE, dt.timedelta(days=2), byte_size=3)
    world.session.add_all([lost, fresh, dead, running, old, kept])
    await world.session.flush()
    world.session.add_all(
        [
            ExportChunk(export_id=old.id, seq=0, data=b"abc"),
            ExportChunk(export_id=kept.id, seq=0, data=b"abc"),
        ]
    )
    await world.session.commit()

    queued: list[dict[str, Any]] = []

    async def enqueue(function: str, **kwargs: Any) -> None:
        queued.append({"function": function, **kwargs})

    report = await sweep_exports(sessions, enqueue, retention_days=7)
    assert report == {"requeued": 1, "failed": 1, "deleted": 1}
    assert [(q["function"], q["export_id"]) for q in queued] == [(JOB, str(lost.id))]
    async with sessions() as session:
        statuses = dict((await session.execute(select(Export.id, Export.status))).all())
        chunks = await session.scalar(select(func.count()).select_from(ExportChunk))
        reason = await session.scalar(select(Export.error).where(Export.id == dead.id))
    assert old.id not in statuses and chunks == 1
    assert statuses[dead.id] == ExportStatus.FAILED and "ask for it again" in (reason or "")
    assert statuses[running.id] == ExportStatus.RUNNING
    assert statuses[fresh.id] == ExportStatus.QUEUED
