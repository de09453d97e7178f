"""The demo needs pool: a dozen valid open needs (one of them the demo SME login's), a few
offers by the demo banks with logins, seeded once, and shown in the pool anonymised."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login
from xinyidai.dates import china_today
from xinyidai.domain.demo.city import BANKS, demo_enterprises
from xinyidai.domain.demo.needs import DEMO_CLAIMS, DEMO_NEEDS, demo_need_bodies, seed_demo_needs
from xinyidai.domain.demo.seed import DEMO_PASSWORD, seed_demo
from xinyidai.domain.needs import anonymise
from xinyidai.domain.needs.schemas import MAX_DEADLINE_DAYS
from xinyidai.domain.needs.services import check_amount, check_rate
from xinyidai.models import Bank, Enterprise, Need, NeedClaim
from xinyidai.settings import Settings


def test_a_dozen_valid_needs_one_of_them_the_demo_smes_and_offers_within_each_band() -> None:
    assert len(DEMO_NEEDS) == 12
    assert len({spec.firm for spec in DEMO_NEEDS}) == 12
    assert 0 in {spec.firm for spec in DEMO_NEEDS}  # sme@demo.xinyidai.test's enterprise
    today = china_today()
    bodies = demo_need_bodies()
    for body in bodies:
        check_amount("amount", body.amount)
        check_rate("max_rate", body.max_rate)
        assert today < body.deadline <= today + dt.timedelta(days=MAX_DEADLINE_DAYS)
    assert len({body.purpose for body in bodies}) >= 5
    assert len({anonymise.amount_band(body.amount).code for body in bodies}) >= 5
    for offer in DEMO_CLAIMS:
        assert offer.bank in (0, 1)  # the two demo banks with logins
        cap = anonymise.rate_band(bodies[offer.need].max_rate).high
        assert cap is None or check_rate("rate", Decimal(offer.rate)) <= cap
    assert len({(o.need, o.bank) for o in DEMO_CLAIMS}) == len(DEMO_CLAIMS)


async def test_the_needs_are_seeded_once_and_banks_see_them_anonymised(
    client: AsyncTestClient[Litestar], db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    await seed_demo(db, redis, settings)
    assert await seed_demo_needs(db) == (len(DEMO_NEEDS), len(DEMO_CLAIMS))
    await db.commit()
    assert await seed_demo_needs(db) == (0, 0)
    assert await db.scalar(select(func.count()).select_from(Need)) == len(DEMO_NEEDS)

    firms = demo_enterprises(30)
    mine = await db.scalar(
        select(Need)
        .join(Enterprise, Enterprise.id == Need.enterprise_id)
        .where(Enterprise.uscc == firms[0].uscc)
    )
    assert mine is not None and mine.status == "open"
    offers = (await db.scalars(select(NeedClaim).where(NeedClaim.need_id == mine.id))).all()
    second_bank = await db.scalar(select(Bank.id).where(Bank.short_code == BANKS[1][0]))
    assert [o.bank_id for o in offers] == [second_bank]

    await login(client, "bank@demo.xinyidai.test", DEMO_PASSWORD)
    bank_id = await db.scalar(select(Bank.id).where(Bank.short_code == BANKS[0][0]))
    pool = (await client.get(f"/api/v1/banks/{bank_id}/needs-pool", params={"limit": 100})).json()
    assert pool["total"] == len(DEMO_NEEDS)  # none withheld: the city is big enough
    text = str(pool)
    for firm in firms:
        assert firm.name not in text and firm.uscc not in text
    claimed = [item for item in pool["items"] if item["my_claim_id"]]
    assert len(claimed) == sum(1 for o in DEMO_CLAIMS if o.bank == 0)
    claims = (await client.get(f"/api/v1/banks/{bank_id}/claims")).json()
    assert {c["status"] for c in claims} == {"open"}
    assert all(c["enterprise"] is None for c in claims)
