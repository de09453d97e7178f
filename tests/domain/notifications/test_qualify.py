""" "You now qualify": the check tells an SME once when it comes to meet a product's rule, never
again for the same product version, and not at all when it already qualified; the SME's users
read their notifications and mark them read; no one else does."""

from __future__ import annotations

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.products.payloads import product_payload
from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import principal_of
from xinyidai.domain.notifications.qualify import JOB, find_new_qualifiers
from xinyidai.domain.products.schemas import ProductAction, ProductIn, ProductOut
from xinyidai.domain.products.services import ProductService
from xinyidai.domain.profiles import snapshots
from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.models import (
    Bank,
    DataAuthorization,
    Enterprise,
    Notification,
    Qualification,
    Role,
    User,
)
from xinyidai.settings import Settings


async def _sme(world: World, db: AsyncSession, families: list[str]) -> tuple[Enterprise, User]:
    sme = await world.enterprise()
    owner = await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.authorize(sme.id, families, owner.id)
    await snapshots.rebuild(db, sme.id, "test")
    await db.commit()
    return sme, owner


async def _publish(world: World, db: AsyncSession, redis: Redis, **changes: object) -> ProductOut:
    bank = await db.scalar(select(Bank).where(Bank.short_code == "BANK_A"))
    if bank is None:
        bank = await world.bank("BANK_A")
    payload = msgspec.convert(product_payload(**{"eligibility": {}, **changes}), ProductIn)
    product = await ProductService(db, redis).publish(bank.id, payload)
    await db.commit()
    return product


async def _told(db: AsyncSession, sme: Enterprise) -> list[tuple[str, object]]:
    rows = await db.execute(
        select(Notification.title_zh, Notification.product_version_id)
        .where(Notification.enterprise_id == sme.id)
        .order_by(Notification.created_at)
    )
    return [(title, version) for title, version in rows]


async def _check(db: AsyncSession) -> int:
    told = await find_new_qualifiers(db)
    await db.commit()
    return told


async def test_an_sme_is_told_once_when_it_comes_to_qualify(
    world: World, db: AsyncSession, redis: Redis
) -> None:
    sme, owner = await _sme(world, db, ["tax"])
    power = await _publish(
        world, db, redis, name_zh="电e贷", eligibility={"required_families": ["electricity"]}
    )
    assert await _check(db) == 0
    assert await _told(db, sme) == []

    await world.authorize(sme.id, ["tax", "electricity"], owner.id)
    await snapshots.rebuild(db, sme.id, "authorisation_granted")
    await db.commit()
    assert await _check(db) == 1
    assert await _told(db, sme) == [("您现在符合“电e贷”的申请条件", power.version_id)]
    assert await _check(db) == 0  # nothing new
    assert len(await _told(db, sme)) == 1


async def test_an_sme_that_already_qualified_is_not_told_again_after_an_edit(
    world: World, db: AsyncSession, redis: Redis
) -> None:
    sme, _ = await _sme(world, db, ["tax"])
    product = await _publish(world, db, redis, name_zh="普惠信用贷")
    assert await _check(db) == 1  # a new product it suits
    bank_id = product.bank_id
    staff = await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")
    changed = msgspec.convert(
        product_payload(name_zh="普惠信用贷（新版）", eligibility={}), ProductIn
    )
    edited = await ProductService(db, redis).edit(bank_id, product.id, changed, principal_of(staff))
    await db.commit()
    assert edited.version == 2
    assert await _check(db) == 0  # it qualified already
    held = await db.scalar(
        select(Qualification.product_version_id).where(Qualification.enterprise_id == sme.id)
    )
    assert held == edited.version_id  # the row follows the current version


async def test_qualifying_again_under_the_same_version_tells_nothing_new(
    world: World, db: AsyncSession, redis: Redis
) -> None:
    sme, owner = await _sme(world, db, ["tax"])
    await _publish(world, db, redis, eligibility={"required_families": ["tax"]})
    assert await _check(db) == 1
    # The SME withdraws its tax data: it no longer qualifies, and its row goes.
    for auth in (await db.scalars(select(DataAuthorization))).all():
        auth.revoked_at = utc_now()
    await db.commit()
    await snapshots.rebuild(db, sme.id, "authorisation_revoked")
    await db.commit()
    assert await _check(db) == 0
    assert await db.scalar(select(func.count()).select_from(Qualification)) == 0
    # Authorised again: it qualifies again for the same version, and is not told twice.
    await world.authorize(sme.id, ["tax"], owner.id)
    await snapshots.rebuild(db, sme.id, "authorisation_granted")
    await db.commit()
    assert await _check(db) == 0
    assert len(await _told(db, sme)) == 1


async def test_the_smes_users_read_and_mark_their_notifications_and_no_one_else(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, redis: Redis
) -> None:
    await _sme(world, db, ["tax"])
    await _publish(world, db, redis, name_zh="普惠信用贷")
    await _publish(world, db, redis, name_zh="经营快贷")
    assert await _check(db) == 2
    other = await world.enterprise()
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")

    await login(client, "owner@example.com")
    page = (await client.get("/api/v1/me/notifications")).json()
    assert page["unread"] == 2 and len(page["items"]) == 2
    newest = page["items"][0]
    assert newest["kind"] == "qualified" and newest["read_at"] is None
    marked = await client.post(f"/api/v1/me/notifications/{newest['id']}/read")
    assert marked.status_code == 200 and marked.json()["read_at"]
    unread = (await client.get("/api/v1/me/notifications", params={"unread": "true"})).json()
    assert (unread["unread"], len(unread["items"])) == (1, 1)
    paged = (await client.get("/api/v1/me/notifications", params={"limit": 1})).json()
    assert paged["next_cursor"] is not None
    older = await client.get(
        "/api/v1/me/notifications", params={"limit": 1, "cursor": paged["next_cursor"]}
    )
    assert [n["id"] for n in older.json()["items"]] != [n["id"] for n in paged["items"]]

    for email in ("other@example.com", "staff@bank-a.example.com"):
        client.cookies.clear()
        await login(client, email)
        assert (await client.get("/api/v1/me/notifications")).json()["items"] == []
        refused = await client.post(f"/api/v1/me/notifications/{newest['id']}/read")
        assert refused.status_code == 404, email
        assert (await client.post("/api/v1/me/notifications/read-all")).json() == {"marked": 0}
    client.cookies.clear()
    await login(client, "owner@example.com")
    assert (await client.post("/api/v1/me/notifications/read-all")).json() == {"marked": 1}
    assert (await client.get("/api/v1/me/notifications")).json()["unread"] == 0


async def test_every_product_change_queues_the_check_once_committed(
    world: World, redis: Redis, settings: Settings
) -> None:
    jobs: list[dict[str, object]] = []

    async def enqueue(function: str, **kwargs: object) -> None:
        jobs.append({"function": function, **kwargs})

    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        bank = await world.bank("BANK_A")
        staff = principal_of(await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A"))
        sessions = session_factory(engine, enqueue=enqueue)
        payload = msgspec.convert(product_payload(), ProductIn)
        async with unit_of_work(sessions) as session:
            product = await ProductService(session, redis).create(bank.id, payload, staff)
            assert jobs == []  # nothing before the commit
        async with unit_of_work(sessions) as session:
            await ProductService(session, redis).move(
                bank.id, product.id, ProductAction.PAUSE, staff
            )
    finally:
        await engine.dispose()
    assert [(j["function"], j["key"]) for j in jobs] == [(JOB, JOB), (JOB, JOB)]
