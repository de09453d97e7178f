"""The demo city: deterministic, valid, varied, and its logins work."""

from __future__ import annotations

from collections import Counter

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import login
from tests.identity_fixtures import RunningIdentity
from xinyidai.domain.demo.city import demo_enterprises
from xinyidai.domain.demo.seed import DEMO_PASSWORD, demo_logins, seed_demo
from xinyidai.domain.enterprises.codes import (
    section_of_division,
    validate_resident_id,
    validate_uscc,
)
from xinyidai.infra.errors import Forbidden
from xinyidai.models import Bank, DataAuthorization, Enterprise, EnterpriseClaim, Role, User
from xinyidai.settings import Env, Settings
from xinyidai.simulation.registry import DISTRICTS


def test_the_city_is_the_same_every_time_and_its_codes_are_valid() -> None:
    city = demo_enterprises()
    assert city == demo_enterprises()
    assert len(city) == 200
    assert len({e.uscc for e in city}) == 200
    assert len({e.name for e in city}) == 200
    for firm in city:
        assert validate_uscc(firm.uscc) == firm.uscc
        assert validate_resident_id(firm.legal_rep_id_number)
        assert firm.uscc[2:8] == firm.district_code
    assert set(Counter(e.district_code for e in city)) == set(DISTRICTS)
    assert len({section_of_division(e.industry_division) for e in city}) >= 8


async def test_seeding_creates_the_city_once_and_its_logins_work(
    client: AsyncTestClient[Litestar], db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    report = await seed_demo(db, redis, settings)
    await db.commit()
    assert report.created and report.enterprises == 200 and report.banks == 5
    assert await db.scalar(select(func.count()).select_from(Enterprise)) == 200
    assert await db.scalar(select(func.count()).select_from(Bank)) == 5
    roles = Counter((await db.scalars(select(User.role))).all())
    # Every demo SME has an owner account; two of them are the published SME logins.
    assert roles == {Role.SME: 200, Role.BANK: 2, Role.OFFICE: 1, Role.ADMIN: 1}
    # Nothing is authorized before the SMEs are verified.
    assert await db.scalar(select(func.count()).select_from(DataAuthorization)) == 0
    again = await seed_demo(db, redis, settings)
    assert not again.created
    for demo in demo_logins():
        client.cookies.clear()
        body = await login(client, demo.email, DEMO_PASSWORD)
        assert body["user"]["role"] == demo.role.value


async def test_the_seed_is_refused_in_production(
    db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    import dataclasses

    with pytest.raises(Forbidden):
        await seed_demo(db, redis, dataclasses.replace(settings, env=Env.PRODUCTION))


async def test_the_demo_smes_are_verified_through_the_identity_service_then_authorize(
    client: AsyncTestClient[Litestar],
    db: AsyncSession,
    redis: Redis,
    settings: Settings,
    identity: RunningIdentity,
) -> None:
    import dataclasses

    from tests.identity_fixtures import IDENTITY_CLIENT_ID, IDENTITY_CLIENT_SECRET
    from xinyidai.domain.demo.seed import authorize_demo_city, verify_demo_city

    await seed_demo(db, redis, settings)
    await db.commit()
    with_identity = dataclasses.replace(
        settings,
        identity_url=identity.issuer,
        identity_client_id=IDENTITY_CLIENT_ID,
        identity_client_secret=IDENTITY_CLIENT_SECRET,
        public_url="https://testserver.local",
    )

    assert await verify_demo_city(with_identity) == 200
    assert await verify_demo_city(with_identity) == 0  # nothing left pending
    assert await authorize_demo_city(db) == 200
    await db.commit()
    assert await authorize_demo_city(db) == 0

    verified = await db.scalar(
        select(func.count()).select_from(Enterprise).where(Enterprise.verified_at.is_not(None))
    )
    assert verified == 200
    statuses = Counter((await db.scalars(select(EnterpriseClaim.status))).all())
    assert statuses == {"verified": 200}
    granted_by_owner = await db.scalar(
        select(func.count())
        .select_from(DataAuthorization)
        .join(EnterpriseClaim, EnterpriseClaim.enterprise_id == DataAuthorization.enterprise_id)
        .where(DataAuthorization.granted_by == EnterpriseClaim.user_id)
    )
    assert granted_by_owner == 200
    body = await login(client, "sme@demo.xinyidai.test", DEMO_PASSWORD)
    assert body["user"]["organisation"]["kind"] == "enterprise"
