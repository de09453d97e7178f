"""Who a session acts as: the principal travels in the session record, and every change the
platform makes to a user (deactivation, a verification accepted or revoked) reaches that
user's live sessions on their very next request."""

from __future__ import annotations

import dataclasses

from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.app import create_app
from xinyidai.domain.accounts.services import AccountService
from xinyidai.domain.accounts.sessions import (
    NEVER_CHECKED,
    SESSION_COOKIE,
    LoadedSession,
    SessionStore,
    bump_versions,
)
from xinyidai.domain.verification.services import ClaimService
from xinyidai.infra.db import commit
from xinyidai.models import Role, User
from xinyidai.settings import Settings


async def _stored(
    client: AsyncTestClient[Litestar], redis: Redis, settings: Settings
) -> LoadedSession:
    store = SessionStore(redis, settings.session_max_age)
    loaded = await store.load(client.cookies.get(SESSION_COOKIE) or "")
    assert loaded is not None
    return loaded


async def test_the_session_carries_the_principal_once_its_first_request_checked_it(
    client: AsyncTestClient[Litestar], world: World, redis: Redis, settings: Settings
) -> None:
    user = await world.user("carrier@example.com", Role.SME, (await world.enterprise()).uscc)
    await login(client, "carrier@example.com")
    fresh = await _stored(client, redis, settings)
    assert fresh.data.version == NEVER_CHECKED

    assert (await client.get("/api/v1/me")).status_code == 200
    checked = await _stored(client, redis, settings)
    assert checked.data.enterprise_id == str(user.enterprise_id)
    assert checked.data.role == "sme"
    assert checked.is_current(checked.data.checked, settings.session_recheck_seconds)


async def test_deactivating_a_user_cuts_off_their_live_session_at_once(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, redis: Redis
) -> None:
    await world.user("mover@example.com", Role.OFFICE)
    await login(client, "mover@example.com")
    assert (await client.get("/api/v1/me")).status_code == 200  # the record is now checked

    accounts = AccountService(db, redis, world.settings, world.cipher)
    await accounts.set_active("mover@example.com", active=False)
    await commit(db)

    assert (await client.get("/api/v1/me")).status_code == 401
    refused = await client.post(
        "/api/v1/auth/login", json={"email": "mover@example.com", "password": "x" * 12}
    )
    assert refused.status_code == 401


async def test_a_revoked_verification_reaches_the_owners_session_on_its_next_request(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, redis: Redis
) -> None:
    owner = await world.user("owner2@example.com", Role.SME, (await world.enterprise()).uscc)
    office = await world.user("desk@example.com", Role.OFFICE)
    enterprise_id = owner.enterprise_id
    await login(client, "owner2@example.com")
    assert (await client.get(f"/api/v1/enterprises/{enterprise_id}")).status_code == 200

    from xinyidai.domain.accounts.guards import principal_of

    await ClaimService(db, redis).revoke(enterprise_id, "冒用 misuse", principal_of(office))  # type: ignore[arg-type]
    await commit(db)

    me = await client.get("/api/v1/me")
    assert me.json()["organisation"]["verified"] is False
    assert (await client.get(f"/api/v1/enterprises/{enterprise_id}")).status_code == 403


async def test_a_verification_accepted_during_a_session_is_seen_on_its_next_request(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    user = await world.user(
        "late@example.com", Role.SME, (await world.enterprise()).uscc, verified=False
    )
    await login(client, "late@example.com")
    assert (await client.get("/api/v1/me")).json()["organisation"]["kind"] == "claim"

    await world.verify(user.id)
    await db.refresh(user)

    me = (await client.get("/api/v1/me")).json()
    assert me["organisation"] == {**me["organisation"], "kind": "enterprise", "verified": True}
    assert (await client.get(f"/api/v1/enterprises/{user.enterprise_id}")).status_code == 200


async def test_a_row_changed_behind_the_platforms_back_is_seen_after_the_recheck_interval(
    settings: Settings, world: World, db: AsyncSession
) -> None:
    """SESSION_RECHECK_SECONDS bounds how long a session trusts what it holds; at 0 it reads
    the user on every request, so even a hand-edited row takes effect at once."""
    app = create_app(dataclasses.replace(settings, session_recheck_seconds=0))
    await world.user("edited@example.com", Role.OFFICE)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        await login(client, "edited@example.com")
        assert (await client.get("/api/v1/me")).status_code == 200
        await db.execute(
            update(User).where(User.email == "edited@example.com").values(is_active=False)
        )
        await db.commit()
        assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_session_whose_version_moved_reads_its_user_again(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, redis: Redis
) -> None:
    """The version in Redis is what a session is checked against: a user changed by hand and
    then given a new version (what every platform change does once it commits) is seen on the
    next request, well inside the recheck interval."""
    await world.user("bumped@example.com", Role.OFFICE)
    await login(client, "bumped@example.com")
    assert (await client.get("/api/v1/office/disputes")).status_code == 200
    user_id = (await client.get("/api/v1/me")).json()["id"]

    await db.execute(update(User).where(User.id == user_id).values(role=Role.ADMIN))
    await db.commit()
    await bump_versions(redis, [user_id])

    assert (await client.get("/api/v1/office/disputes")).status_code == 403
    assert (await _stored(client, redis, world.settings)).data.role == "admin"
