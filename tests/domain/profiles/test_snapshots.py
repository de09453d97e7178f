"""Profile snapshots: built when data changes, immutable, reproducible, readable only by the
SME and the office, and every outside read lands in the SME's access log."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.domain.profiles import snapshots
from xinyidai.models import Enterprise, ProfileSnapshot, Role


@pytest.fixture
async def sme(world: World) -> Enterprise:
    ent = await world.enterprise()
    await world.user("owner@example.com", Role.SME, ent.uscc)
    return ent


async def test_verification_builds_the_first_snapshot(
    client: AsyncTestClient[Litestar], sme: Enterprise
) -> None:
    await login(client, "owner@example.com")
    profile = await client.get(f"/api/v1/enterprises/{sme.id}/profile")
    assert profile.status_code == 200
    body = profile.json()
    assert body["version"] == 1
    assert body["reason"] == "verified"
    assert body["format"] == "xinyidai.profile/1"
    assert body["content"]["enterprise"]["uscc"] == sme.uscc
    assert body["content"]["public_records"]["items"] == []
    assert all(f == {"authorised": False} for f in body["content"]["families"].values())


async def test_a_new_version_only_when_the_content_changes(
    db: AsyncSession, world: World, sme: Enterprise
) -> None:
    # Verification built version 1; nothing has changed since.
    assert await snapshots.rebuild(db, sme.id, "test") is None
    await world.record(sme.uscc)
    second = await snapshots.rebuild(db, sme.id, "record_added")
    await db.commit()
    assert second is not None and second.version == 2
    assert len(second.content["public_records"]["items"]) == 1


async def test_snapshots_cannot_be_updated(db: AsyncSession, sme: Enterprise) -> None:
    sme_id = sme.id  # verification built its first snapshot
    with pytest.raises(DBAPIError, match="immutable"):
        await db.execute(text("UPDATE profile_snapshots SET reason = 'tampered'"))
    await db.rollback()
    stored = await snapshots.latest(db, sme_id)
    assert stored is not None and stored.reason == "verified"


async def test_a_snapshot_is_reproducible_from_stored_data(
    db: AsyncSession, world: World, sme: Enterprise
) -> None:
    await world.record(
        sme.uscc,
        record_type="tax_grade",
        severity=None,
        grade="A",
        description="2025年度纳税信用A级",
    )
    await world.record(sme.uscc)
    snapshot = await snapshots.rebuild(db, sme.id, "test")
    await db.commit()
    assert snapshot is not None
    enterprise = await db.get(Enterprise, sme.id)
    assert enterprise is not None
    now = dt.datetime.now(dt.UTC)
    again = await snapshots.gather(db, enterprise, snapshot.as_of, now)
    assert snapshots.content_hash(again) == snapshot.content_hash
    assert again == snapshot.content
    assert again["public_records"]["latest_grades"] == {"tax_grade": "A"}


async def test_only_the_sme_and_the_office_read_the_profile(
    client: AsyncTestClient[Litestar], world: World, sme: Enterprise, db: AsyncSession
) -> None:
    await snapshots.rebuild(db, sme.id, "test")
    await db.commit()
    other = await world.enterprise()
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    await world.user("office@example.com", Role.OFFICE)
    for email, status in [
        ("other@example.com", 404),
        ("banker@example.com", 404),
        ("office@example.com", 200),
        ("owner@example.com", 200),
    ]:
        client.cookies.clear()
        await login(client, email)
        response = await client.get(f"/api/v1/enterprises/{sme.id}/profile")
        assert response.status_code == status, email


async def test_outside_reads_are_logged_for_the_sme_to_see(
    client: AsyncTestClient[Litestar], world: World, sme: Enterprise, db: AsyncSession
) -> None:
    await snapshots.rebuild(db, sme.id, "test")
    await db.commit()
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "owner@example.com")
    await client.get(f"/api/v1/enterprises/{sme.id}/profile")  # own reads are not logged
    client.cookies.clear()
    await login(client, "office@example.com")
    await client.get(f"/api/v1/enterprises/{sme.id}/profile")
    await client.get(f"/api/v1/enterprises/{sme.id}")
    await client.get(f"/api/v1/enterprises/{sme.id}/records")
    assert (await client.get(f"/api/v1/enterprises/{sme.id}/access-log")).status_code == 404
    client.cookies.clear()
    await login(client, "owner@example.com")
    log = await client.get(f"/api/v1/enterprises/{sme.id}/access-log")
    assert log.status_code == 200
    entries = log.json()["items"]
    assert [e["resource"] for e in entries] == ["public_records", "registration", "profile"]
    assert {e["actor_role"] for e in entries} == {"office"}
    assert all(e["purpose"] and e["actor_org"] and e["at"] for e in entries)


async def test_another_sme_cannot_read_the_access_log(
    client: AsyncTestClient[Litestar], world: World, sme: Enterprise
) -> None:
    other = await world.enterprise()
    await world.user("other@example.com", Role.SME, other.uscc)
    await login(client, "other@example.com")
    assert (await client.get(f"/api/v1/enterprises/{sme.id}/access-log")).status_code == 404


async def test_profile_versions_count_up(db: AsyncSession, world: World, sme: Enterprise) -> None:
    await snapshots.rebuild(db, sme.id, "a")
    await world.record(sme.uscc)
    await snapshots.rebuild(db, sme.id, "b")
    await db.commit()
    assert await snapshots.count_versions(db, sme.id) == 2
    rows = await db.execute(text("SELECT version FROM profile_snapshots ORDER BY version"))
    assert [r[0] for r in rows] == [1, 2]
    assert ProfileSnapshot.__tablename__ == "profile_snapshots"
