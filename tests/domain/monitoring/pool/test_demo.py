"""The demo history's pool: every disbursed history loan has the decision the disbursement hook
makes, the banks have claims and the office has approved some, and the ledger balances."""

from __future__ import annotations

from decimal import Decimal

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.demo.applications import seed_demo_applications
from xinyidai.domain.demo.products import seed_demo_products
from xinyidai.domain.demo.seed import seed_demo
from xinyidai.domain.monitoring.pool.demo import seed_demo_pool
from xinyidai.domain.monitoring.pool.hooks import register
from xinyidai.models import Loan, PoolClaim, PoolLedgerLine, PoolRegistration
from xinyidai.settings import Settings


async def test_the_demo_history_registers_its_loans_and_claims_a_few(
    db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    await seed_demo(db, redis, settings)
    await seed_demo_products(db, redis)
    await seed_demo_applications(db)
    await db.commit()
    report = await seed_demo_pool(db)
    await db.commit()
    disbursed = await db.scalar(
        select(func.count()).select_from(Loan).where(Loan.disbursed_on.is_not(None))
    )
    assert report.registered + report.not_registered == disbursed
    assert report.registered > 0 and report.not_registered > 0
    assert report.claims > 0 and report.approved > 0
    statuses = set(await db.scalars(select(PoolClaim.status)))
    assert "approved" in statuses
    assert await db.scalar(select(func.sum(PoolLedgerLine.amount))) == Decimal("0.00")
    # The bulk decisions are the hook's: each one, taken back, is made again the same.
    fields = (
        "eligible",
        "reasons",
        "year",
        "principal",
        "share",
        "band_share",
        "bonus",
        "priority_firm",
        "ip_pledge",
        "product_type",
        "rule_set_id",
    )
    unclaimed = select(PoolRegistration).where(
        PoolRegistration.loan_id.not_in(select(PoolClaim.loan_id))
    )
    checked = {True: 0, False: 0}
    for registration in list(await db.scalars(unclaimed.order_by(PoolRegistration.id))):
        bulk = {name: getattr(registration, name) for name in fields}
        if checked[bulk["eligible"]] >= 40:
            continue
        checked[bulk["eligible"]] += 1
        loan = await db.get_one(Loan, registration.loan_id)
        await db.delete(registration)
        await db.flush()
        remade = await register(db, loan)
        assert {name: getattr(remade, name) for name in fields} == bulk
    assert checked == {True: 40, False: 40}
    await db.rollback()
    again = await seed_demo_pool(db)
    assert (again.registered, again.claims) == (0, 0)
