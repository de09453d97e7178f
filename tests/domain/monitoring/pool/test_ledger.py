"""The ledger balances: every entry's lines sum to zero, and so do all lines together; the
database refuses an unbalanced or one-line entry at commit, and any change to a posted one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.domain.monitoring.pool.scene import Scene
from xinyidai.domain.monitoring.pool.vocabulary import PoolEntryKind
from xinyidai.models import PoolLedgerEntry, PoolLedgerLine


async def test_every_entry_and_the_whole_ledger_sum_to_zero(scene: Scene) -> None:
    loan, _ = await scene.compensated("2000000.00", "500000.00")
    await scene.ok(await scene.recover(loan, "333333.33"))
    await scene.act_as(scene.office)
    await scene.ok(
        await scene.client.put("/api/v1/office/pool/years/2026", json={"cap": "1000000.00"})
    )
    db = scene.world.session
    per_entry = (
        await db.execute(
            select(PoolLedgerLine.entry_id, func.count(), func.sum(PoolLedgerLine.amount)).group_by(
                PoolLedgerLine.entry_id
            )
        )
    ).all()
    kinds = list(await db.scalars(select(PoolLedgerEntry.kind)))
    assert sorted(kinds) == sorted(
        [PoolEntryKind.ALLOCATION] * 2 + [PoolEntryKind.COMPENSATION, PoolEntryKind.RECOVERY]
    )
    assert len(per_entry) == 4
    assert all(lines >= 2 and total == 0 for _, lines, total in per_entry)
    assert await db.scalar(select(func.sum(PoolLedgerLine.amount))) == Decimal("0.00")
    assert (await scene.office_get("/balances"))["total"] == "0.00"


async def test_the_database_refuses_an_unbalanced_entry_at_commit(scene: Scene) -> None:
    db = scene.world.session
    entry = PoolLedgerEntry(kind=PoolEntryKind.ALLOCATION, year=2025, memo="lopsided", detail={})
    db.add(entry)
    await db.flush()
    db.add(PoolLedgerLine(entry_id=entry.id, account="pool:2025:fund", year=2025, amount=10))
    db.add(PoolLedgerLine(entry_id=entry.id, account="city:2025:allocation", year=2025, amount=-9))
    with pytest.raises(DBAPIError, match="does not balance"):
        await db.commit()
    await db.rollback()
    lonely = PoolLedgerEntry(kind=PoolEntryKind.ALLOCATION, year=2025, memo="no lines", detail={})
    db.add(lonely)
    with pytest.raises(DBAPIError, match="does not balance"):
        await db.commit()
    await db.rollback()


async def test_posted_entries_never_change(scene: Scene) -> None:
    await scene.compensated("1000000.00", "800000.00")
    db = scene.world.session
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(update(PoolLedgerLine).values(amount=PoolLedgerLine.amount * 2))
    await db.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text("DELETE FROM pool_ledger_entries"))
    await db.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text("TRUNCATE pool_ledger_lines"))
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(PoolLedgerLine)) == 4
