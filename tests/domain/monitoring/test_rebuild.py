"""The demo city's history comes with its rollups (rebuilt after its COPY), and
``xinyidai monitoring rebuild`` recomputes them from the base tables as a repair."""

from __future__ import annotations

import anyio.to_thread
import pytest
from click.testing import CliRunner
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.monitoring.city import rollup_count, rollups_differ, snapshot_rollups
from xinyidai.cli import main
from xinyidai.domain.demo.applications import seed_demo_applications
from xinyidai.domain.demo.products import seed_demo_products
from xinyidai.domain.demo.seed import seed_demo
from xinyidai.settings import Settings


async def test_the_demo_history_has_its_rollups_and_the_command_rebuilds_them(
    db: AsyncSession,
    redis: Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed_demo(db, redis, settings)
    await seed_demo_products(db, redis)
    await db.commit()
    report = await seed_demo_applications(db, size=600)
    await db.commit()
    assert report.loans > 0
    loans = await db.scalar(
        text("SELECT loans FROM stat_daily WHERE dims = 0 AND loans > 0 LIMIT 1")
    )
    assert loans, "the history's loans are in the rollups"
    paid = await db.scalar(text("SELECT count(*) FROM loans WHERE disbursed_on IS NOT NULL"))
    assert await db.scalar(text("SELECT sum(loans) FROM stat_daily WHERE dims = 0")) == paid
    await snapshot_rollups(db)
    await db.execute(text("DELETE FROM stat_daily WHERE day > (SELECT min(day) FROM stat_daily)"))
    await db.execute(text("UPDATE stat_response SET decisions = decisions + 1"))
    await db.commit()
    assert await rollups_differ(db) > 0
    await db.rollback()  # hold no lock on the rollups while the command runs
    monkeypatch.setenv("DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("REDIS_URL", settings.redis_url or "")
    monkeypatch.setenv("ENV", "test")
    result = await anyio.to_thread.run_sync(
        lambda: CliRunner().invoke(main, ["monitoring", "rebuild"])
    )
    assert result.exit_code == 0, result.output
    assert "rollups rebuilt" in result.output
    assert await rollups_differ(db) == 0
    assert await rollup_count(db) > 0
