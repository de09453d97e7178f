"""The sync at speed: families fetched at once under the connector's bound, many SMEs at once,
one statement per family that writes exactly what the row-by-row insert wrote, one snapshot per
sync, and nothing kept of a write that fails half-way."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World, no_queue
from tests.provider_fixtures import (
    PLATFORM_SIGNER,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    RunningSandbox,
    established,
    find_firm,
)
from xinyidai.domain.credit_data.sync import execute_sync, execute_syncs, queue_sync, store
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.providers.base import FetchResult
from xinyidai.domain.providers.http import HttpDataProvider
from xinyidai.enums import Family
from xinyidai.jobs import sync_enterprise
from xinyidai.models import (
    SERIES_MODELS,
    Enterprise,
    ProfileSnapshot,
    Role,
    SyncRun,
    TaxMonthly,
    User,
    WaterMonthly,
)
from xinyidai.sandbox.concurrency import ConcurrencyProbe

ALL_FAMILIES = [f.value for f in Family]


def _probe(sandbox: RunningSandbox) -> ConcurrencyProbe:
    probe: ConcurrencyProbe = sandbox.app.state.concurrency
    return probe


@pytest.fixture
async def bounded(sandbox: RunningSandbox) -> AsyncIterator[HttpDataProvider]:
    """The connector with at most two calls at the sandbox, patient enough to wait at the
    sandbox's gathering point (which holds a call at most 5 s)."""
    sandbox.reset()
    provider = HttpDataProvider(
        sandbox.url,
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        timeout=10.0,
        retries=0,
        max_concurrent=2,
    )
    try:
        yield provider
    finally:
        await provider.aclose()
        sandbox.reset()


async def _smes(world: World, count: int) -> list[tuple[Enterprise, User]]:
    """``count`` verified SMEs of the simulated city with every family."""
    taken: set[str] = set()
    out = []
    for n in range(count):
        uscc = find_firm(
            lambda t: established(t) and t.has_gas and t.has_housing_fund and t.uscc not in taken
        )
        taken.add(uscc)
        enterprise = await world.enterprise(uscc=uscc)
        out.append((enterprise, await world.user(f"owner{n}@example.com", Role.SME, uscc)))
    return out


async def _queued(db: AsyncSession, enterprise_id: UUID) -> UUID:
    run = await queue_sync(db, no_queue, enterprise_id, trigger="test")
    await db.commit()
    return run.id


async def _rows(db: AsyncSession, family: Family, enterprise_id: UUID) -> list[dict[str, Any]]:
    table = SERIES_MODELS[family].__table__
    result = await db.execute(
        select(table).where(table.c.enterprise_id == enterprise_id).order_by(table.c.period)
    )
    return [dict(r._mapping) for r in result]


# --- fetching -----------------------------------------------------------------------------------
async def test_an_smes_families_are_fetched_together_never_more_than_the_providers_bound(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    bounded: HttpDataProvider,
) -> None:
    [(enterprise, user)] = await _smes(world, 1)
    await world.authorize(enterprise.id, ALL_FAMILIES, user.id)
    run_id = await _queued(db, enterprise.id)
    _probe(sandbox).gather(2)  # the first two calls wait for each other: sent together or not

    run = await execute_sync(sessions, bounded, run_id, signer=PLATFORM_SIGNER)

    assert run is not None and run.status == "done" and sorted(run.families) == sorted(ALL_FAMILIES)
    assert _probe(sandbox).peak == 2, "two calls at once, and never a third"
    assert all(sandbox.calls(enterprise.uscc, f) == 1 for f in ALL_FAMILIES)


async def test_all_of_an_smes_families_go_out_at_once_under_a_wide_bound(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
) -> None:
    [(enterprise, user)] = await _smes(world, 1)
    await world.authorize(enterprise.id, ALL_FAMILIES, user.id)
    run_id = await _queued(db, enterprise.id)
    sandbox.reset()
    _probe(sandbox).gather(len(ALL_FAMILIES))
    async with HttpDataProvider(
        sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, timeout=10.0, max_concurrent=8
    ) as provider:
        run = await execute_sync(sessions, provider, run_id, signer=PLATFORM_SIGNER)
    assert run is not None and run.status == "done"
    assert _probe(sandbox).peak == len(ALL_FAMILIES)
    sandbox.reset()


async def test_many_smes_are_synced_at_once_sharing_the_providers_bound(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    bounded: HttpDataProvider,
) -> None:
    smes = await _smes(world, 3)
    for enterprise, user in smes:
        await world.authorize(enterprise.id, ["tax"], user.id)  # one call per SME
    run_ids = [await _queued(db, enterprise.id) for enterprise, _ in smes]
    _probe(sandbox).gather(2)  # two SMEs' calls at the sandbox together

    runs = await execute_syncs(sessions, bounded, run_ids, signer=PLATFORM_SIGNER, concurrency=3)

    assert [r.status if r else None for r in runs] == ["done"] * 3
    assert [r.records_added if r else None for r in runs] == [36] * 3
    assert _probe(sandbox).peak == 2


async def test_the_bound_on_smes_at_once_must_be_positive(
    sessions: async_sessionmaker[AsyncSession], bounded: HttpDataProvider
) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        await execute_syncs(sessions, bounded, [], signer=PLATFORM_SIGNER, concurrency=0)


# --- writing ------------------------------------------------------------------------------------
async def _fetched(
    provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, family: Family
) -> FetchResult:
    first, last = snapshots.window(dt.date.today())
    return await provider.fetch(uscc, family, first, last, sandbox.receipt(uscc))


async def test_one_statement_per_family_writes_exactly_the_rows_the_row_inserts_wrote(
    db: AsyncSession,
    world: World,
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
) -> None:
    (ours, user), (reference, _) = await _smes(world, 2)
    auth = await world.authorize(ours.id, ALL_FAMILIES, user.id)
    fetched_at = dt.datetime(2026, 11, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)
    for family in Family:
        result = await _fetched(sandbox_provider, sandbox, ours.uscc, family)
        assert result.records, "every family has months to write"
        added = await store(db, ours.id, family, result.records, auth.id, "sandbox", fetched_at)
        # What the sync wrote before: one row of values per month, by SQLAlchemy's insert.
        table = SERIES_MODELS[family].__table__
        for r in result.records:
            await db.execute(
                insert(table)
                .values(
                    enterprise_id=reference.id,
                    period=r.period,
                    source="sandbox",
                    provider_ref=r.provider_ref,
                    fetched_at=fetched_at,
                    authorization_id=auth.id,
                    **r.values,
                )
                .on_conflict_do_nothing(index_elements=["enterprise_id", "period"])
            )
        assert added == len(result.records)
        written = await _rows(db, family, ours.id)
        expected = await _rows(db, family, reference.id)
        for row in (*written, *expected):
            row.pop("enterprise_id")
        assert written == expected
    await db.rollback()


async def test_periods_already_held_are_kept_as_they_are(
    db: AsyncSession,
    world: World,
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
) -> None:
    [(enterprise, user)] = await _smes(world, 1)
    old = await world.authorize(enterprise.id, ["tax"], user.id)
    new = await world.authorize(enterprise.id, ["tax"], user.id)
    result = await _fetched(sandbox_provider, sandbox, enterprise.uscc, Family.TAX)
    then = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    held = result.records[::3]
    assert await store(db, enterprise.id, Family.TAX, held, old.id, "earlier", then) == len(held)

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    added = await store(db, enterprise.id, Family.TAX, result.records, new.id, "sandbox", now)
    assert added == len(result.records) - len(held)
    assert await store(db, enterprise.id, Family.TAX, result.records, new.id, "x", now) == 0
    assert await store(db, enterprise.id, Family.TAX, [], new.id, "x", now) == 0

    rows = await _rows(db, Family.TAX, enterprise.id)
    assert len(rows) == len(result.records)
    kept = {r.period for r in held}
    for row in rows:
        first_time = row["period"] in kept
        assert row["authorization_id"] == (old.id if first_time else new.id)
        assert row["source"] == ("earlier" if first_time else "sandbox")
        assert row["fetched_at"] == (then if first_time else now)
    await db.rollback()


async def test_a_sync_builds_one_snapshot_holding_every_family(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox_provider: HttpDataProvider,
) -> None:
    [(enterprise, user)] = await _smes(world, 1)
    await world.authorize(enterprise.id, ["tax", "water", "electricity"], user.id)
    run_id = await _queued(db, enterprise.id)
    before = await snapshots.count_versions(db, enterprise.id)

    run = await execute_sync(sessions, sandbox_provider, run_id, signer=PLATFORM_SIGNER)

    assert run is not None and len(run.families) == 3
    assert await snapshots.count_versions(db, enterprise.id) == before + 1
    latest = await snapshots.latest(db, enterprise.id)
    assert latest is not None and latest.reason == "sync"
    for family in ("tax", "water", "electricity"):
        assert len(latest.content["families"][family]["months"]) == 36


async def test_a_write_that_fails_half_way_leaves_nothing_and_the_run_failed(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox_provider: HttpDataProvider,
) -> None:
    [(enterprise, user)] = await _smes(world, 1)
    enterprise_id = enterprise.id
    await world.authorize(enterprise_id, ["tax", "water"], user.id)
    run_id = await _queued(db, enterprise_id)
    # The database refuses the second family written (tax goes first): a real failure mid-way.
    await db.execute(
        text(
            "CREATE FUNCTION refuse_water() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'water refused'; END $$"
        )
    )
    await db.execute(
        text(
            "CREATE TRIGGER refuse_water BEFORE INSERT ON series_water "
            "FOR EACH ROW EXECUTE FUNCTION refuse_water()"
        )
    )
    await db.commit()
    ctx = {"sessions": sessions, "provider": sandbox_provider, "signer": PLATFORM_SIGNER}

    outcome = await sync_enterprise(ctx, run_id=str(run_id))

    assert outcome == {"status": "failed"}
    db.expire_all()
    run = await db.get(SyncRun, run_id)
    assert run is not None and run.status == "failed"
    assert run.error is not None and "water refused" in run.error
    for model in (TaxMonthly, WaterMonthly):
        counted = await db.scalar(
            select(func.count()).select_from(model).where(model.enterprise_id == enterprise_id)
        )
        assert counted == 0
    snapshots_left = await db.scalar(
        select(func.count()).where(
            ProfileSnapshot.enterprise_id == enterprise_id, ProfileSnapshot.reason == "sync"
        )
    )
    assert snapshots_left == 0
