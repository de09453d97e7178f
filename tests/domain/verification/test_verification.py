"""Only a verified enterprise acts on its own data: a registration is a claim until the legal
representative confirms it at the identity service, and every way around that is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.verification.conftest import licensed_enterprise, register, verify
from tests.identity_fixtures import RunningIdentity
from xinyidai.models import (
    DataAuthorization,
    Enterprise,
    EnterpriseClaim,
    Role,
    VerificationAlert,
)


def _grant() -> dict[str, Any]:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    return {"families": ["tax"], "purpose": "申请信用贷款", "expires_at": expires.isoformat()}


async def test_a_registration_is_a_claim_that_can_do_nothing_until_verified(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, world: World
) -> None:
    other = await world.enterprise()
    ent = licensed_enterprise(identity)
    assert (await register(client, "owner@example.com", ent)).status_code == 201

    claim = (await client.get("/api/v1/claim")).json()
    assert claim["status"] == "pending"
    assert claim["may_verify"] is True
    assert claim["enterprise_id"] is None
    # No enterprise to act for: every enterprise resource says "verify first", whatever the id.
    for path in (
        f"/api/v1/enterprises/{other.id}",
        f"/api/v1/enterprises/{other.id}/profile",
        f"/api/v1/enterprises/{other.id}/series/tax",
        f"/api/v1/enterprises/{other.id}/data-authorizations",
    ):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "not verified" in response.json()["detail"]
    grant = await client.post(f"/api/v1/enterprises/{other.id}/data-authorizations", json=_grant())
    assert grant.status_code == 403


async def test_the_legal_representative_verifies_and_the_account_then_acts_for_the_sme(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, db: AsyncSession
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "owner@example.com", ent)

    response, _ = await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])

    assert response.status_code == 200, response.text
    claim = response.json()
    assert claim["status"] == "verified"
    assert claim["may_edit"] is False
    enterprise_id = claim["enterprise_id"]
    me = (await client.get("/api/v1/me")).json()
    assert me["organisation"]["kind"] == "enterprise"
    assert me["organisation"]["id"] == enterprise_id
    assert me["organisation"]["name"] == ent["name"]
    assert me["organisation"]["verified"] is True
    granted = await client.post(
        f"/api/v1/enterprises/{enterprise_id}/data-authorizations", json=_grant()
    )
    assert granted.status_code == 201, granted.text
    enterprise = await db.get(Enterprise, enterprise_id)
    assert enterprise is not None and enterprise.verified_at is not None
    assert enterprise.uscc == ent["uscc"]


async def test_a_claim_on_a_uscc_someone_verified_is_refused_and_reported(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, world: World, db: AsyncSession
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "owner@example.com", ent)
    await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])

    squatter = await register(client, "squatter@example.com", {**ent, "name": "冒名顶替有限公司"})

    assert squatter.status_code == 409
    assert squatter.json()["errors"][0]["code"] == "uscc_verified_elsewhere"
    assert "credit office" in squatter.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(EnterpriseClaim)) == 1
    # The office sees the attempt in its queue and closes it.
    await world.user("office@example.com", Role.OFFICE)
    client.cookies.clear()
    await login(client, "office@example.com")
    queue = (await client.get("/api/v1/office/verification-alerts?status=open")).json()
    assert queue["total"] == 1
    alert = queue["items"][0]
    assert alert["uscc"] == ent["uscc"]
    assert alert["claimant_email"] == "squatter@example.com"
    assert alert["claimed_name"] == "冒名顶替有限公司"
    closed = await client.post(
        f"/api/v1/office/verification-alerts/{alert['id']}/close", json={"note": "已联系企业"}
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert (await client.get("/api/v1/office/verification-alerts?status=open")).json()["total"] == 0


async def test_restating_a_claim_to_a_verified_uscc_is_refused_and_reported(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, db: AsyncSession
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "owner@example.com", ent)
    await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])
    await register(client, "other@example.com", licensed_enterprise(identity))

    moved = await client.put("/api/v1/claim", json=ent)

    assert moved.status_code == 409
    assert await db.scalar(select(func.count()).select_from(VerificationAlert)) == 1
    assert (await client.get("/api/v1/claim")).json()["uscc"] != ent["uscc"]


async def test_an_id_token_for_another_enterprise_is_refused(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, db: AsyncSession
) -> None:
    mine = licensed_enterprise(identity)
    # The person holds the licence of another enterprise too, and confirms that one.
    theirs = licensed_enterprise(
        identity,
        legal_rep_name=mine["legal_rep_name"],
        legal_rep_id_number=mine["legal_rep_id_number"],
    )
    await register(client, "owner@example.com", mine)

    response, _ = await verify(client, uscc=theirs["uscc"], id_number=theirs["legal_rep_id_number"])

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "identity_other_enterprise"
    assert (await client.get("/api/v1/claim")).json()["status"] == "pending"
    assert await db.scalar(select(func.count()).select_from(Enterprise)) == 0


async def test_a_licence_naming_another_legal_representative_is_refused(
    client: AsyncTestClient[Litestar], identity: RunningIdentity
) -> None:
    ent = licensed_enterprise(identity)
    claimed = {**ent, "legal_rep_name": "李四"}  # the claim names someone the licence does not
    await register(client, "owner@example.com", claimed)

    response, _ = await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "identity_other_person"
    # Corrected, the same claim verifies.
    assert (await client.put("/api/v1/claim", json=ent)).status_code == 200
    again, _ = await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])
    assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("foreign_key", "token_signature"),
        ("unsigned", "token_algorithm"),
        ("no_kid", "token_algorithm"),
        ("wrong_audience", "token_claims"),
        ("wrong_issuer", "token_claims"),
        ("expired", "token_claims"),
        ("wrong_nonce", "token_claims"),
    ],
)
async def test_an_id_token_the_platform_cannot_trust_is_refused(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, fault: str, code: str
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "owner@example.com", ent)
    identity.faults.arm(fault)

    response, _ = await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])

    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["code"] == code
    assert (await client.get("/api/v1/claim")).json()["status"] == "pending"


async def test_a_verification_link_works_once_and_only_for_its_account(
    client: AsyncTestClient[Litestar], identity: RunningIdentity
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "owner@example.com", ent)
    started = await client.post("/api/v1/claim/verification")
    link = started.json()["authorization_url"]
    import httpx

    from tests.domain.verification.conftest import api_callback
    from xinyidai.sandbox.legal_rep import confirm

    async with httpx.AsyncClient() as browser:
        back = api_callback(
            await confirm(browser, link, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])
        )
    owner_cookies = dict(client.cookies)
    owner_csrf = client.headers["x-csrf-token"]

    # Someone else who gets hold of the callback cannot use it, nor use it up.
    await register(client, "other@example.com", licensed_enterprise(identity))
    stolen = await client.get(back)
    assert stolen.status_code == 400
    assert (await client.get("/api/v1/claim")).json()["status"] == "pending"

    client.cookies.clear()
    client.cookies.update(owner_cookies)
    client.headers["x-csrf-token"] = owner_csrf
    assert (await client.get(back)).status_code == 200
    replayed = await client.get(back)
    assert replayed.status_code == 400
    assert replayed.json()["type"] == "urn:xinyidai:problem:verification-link-invalid"


async def test_an_id_token_is_accepted_once(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, db: AsyncSession, redis: Redis
) -> None:
    from xinyidai.domain.verification.identity import IdentityRejected, VerifiedIdentity
    from xinyidai.domain.verification.services import ClaimService

    identity_seen = VerifiedIdentity(
        issuer=identity.issuer,
        subject="s",
        uscc="91440101MA5CXXXX0X",
        enterprise_name="x",
        legal_rep_name="y",
        legal_rep_id_masked="z",
        token_id="the-same-jti",
        expires_at=int(dt.datetime.now(dt.UTC).timestamp()) + 300,
    )
    claims = ClaimService(db, redis)
    await claims.remember_token(identity_seen)
    with pytest.raises(IdentityRejected) as refused:
        await claims.remember_token(identity_seen)
    assert refused.value.code == "token_replayed"


async def test_the_first_to_verify_owns_the_uscc_and_other_claims_close(
    client: AsyncTestClient[Litestar], identity: RunningIdentity
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "early@example.com", {**ent, "name": "抢先注册有限公司"})
    early = (dict(client.cookies), client.headers["x-csrf-token"])
    await register(client, "owner@example.com", ent)

    verified, _ = await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])
    assert verified.status_code == 200

    client.cookies.clear()
    client.cookies.update(early[0])
    client.headers["x-csrf-token"] = early[1]
    claim = (await client.get("/api/v1/claim")).json()
    assert claim["status"] == "superseded"
    assert claim["may_verify"] is False
    assert (await client.post("/api/v1/claim/verification")).status_code == 409


async def test_the_office_revokes_a_verification_and_its_authorizations_end(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, world: World, db: AsyncSession
) -> None:
    ent = licensed_enterprise(identity)
    await register(client, "owner@example.com", ent)
    verified, _ = await verify(client, uscc=ent["uscc"], id_number=ent["legal_rep_id_number"])
    enterprise_id = verified.json()["enterprise_id"]
    assert (
        await client.post(f"/api/v1/enterprises/{enterprise_id}/data-authorizations", json=_grant())
    ).status_code == 201
    owner = (dict(client.cookies), client.headers["x-csrf-token"])

    await world.user("office@example.com", Role.OFFICE)
    client.cookies.clear()
    await login(client, "office@example.com")
    revoked = await client.post(
        f"/api/v1/office/enterprises/{enterprise_id}/verification/revoke",
        json={"reason": "法定代表人举报冒用"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    again = await client.post(
        f"/api/v1/office/enterprises/{enterprise_id}/verification/revoke", json={"reason": "再次"}
    )
    assert again.status_code == 409

    live = await db.scalar(
        select(func.count())
        .select_from(DataAuthorization)
        .where(DataAuthorization.enterprise_id == enterprise_id)
        .where(DataAuthorization.revoked_at.is_(None))
    )
    assert live == 0
    client.cookies.clear()
    client.cookies.update(owner[0])
    client.headers["x-csrf-token"] = owner[1]
    assert (await client.get(f"/api/v1/enterprises/{enterprise_id}")).status_code == 403
    me = (await client.get("/api/v1/me")).json()
    assert me["organisation"]["kind"] == "claim"
    assert me["organisation"]["claim_status"] == "revoked"


async def test_claims_and_the_office_queue_are_each_their_owners_only(
    client: AsyncTestClient[Litestar], identity: RunningIdentity, world: World
) -> None:
    ent = await world.enterprise()
    await world.bank("BANK_A")
    await world.user("sme@example.com", Role.SME, ent.uscc)
    await world.user("bank@example.com", Role.BANK, "BANK_A")
    await world.user("office@example.com", Role.OFFICE)
    for email in ("sme@example.com", "bank@example.com"):
        client.cookies.clear()
        await login(client, email)
        assert (await client.get("/api/v1/office/verification-alerts")).status_code == 403
        revoke = await client.post(
            f"/api/v1/office/enterprises/{ent.id}/verification/revoke", json={"reason": "试图撤销"}
        )
        assert revoke.status_code == 403
    for email in ("bank@example.com", "office@example.com"):
        client.cookies.clear()
        await login(client, email)
        assert (await client.get("/api/v1/claim")).status_code == 404
        assert (await client.post("/api/v1/claim/verification")).status_code == 404
