"""Disputes (异议), credit repair (信用修复), expiry and retention of public records."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.dates import china_today
from xinyidai.domain.credit_data.records import expire_and_purge
from xinyidai.domain.profiles import snapshots
from xinyidai.models import Dispute, Enterprise, PublicRecord, Role

# The SME, another SME, and a public record about the first.
Scene = tuple[Enterprise, Enterprise, PublicRecord]


@pytest.fixture
async def scene(world: World) -> Scene:
    sme = await world.enterprise()
    other = await world.enterprise()
    await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.user("office@example.com", Role.OFFICE)
    await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    record = await world.record(sme.uscc)
    return sme, other, record


async def _profile_records(
    client: AsyncTestClient[Litestar], enterprise_id: UUID
) -> list[dict[str, Any]]:
    profile = (await client.get(f"/api/v1/enterprises/{enterprise_id}/profile")).json()
    items: list[dict[str, Any]] = profile["content"]["public_records"]["items"]
    return items


async def _as(client: AsyncTestClient[Litestar], email: str) -> None:
    client.cookies.clear()
    await login(client, email)


async def test_a_disputed_record_is_flagged_at_once_and_due_in_20_days(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _, record = scene
    await _as(client, "owner@example.com")
    response = await client.post(
        f"/api/v1/enterprises/{sme.id}/disputes",
        json={"record_id": str(record.id), "reason": "该处罚已于2025年撤销，附撤销决定书"},
    )
    assert response.status_code == 201, response.text
    dispute = response.json()
    assert dispute["due_on"] == (china_today() + dt.timedelta(days=20)).isoformat()
    assert dispute["overdue"] is False
    records = (await client.get(f"/api/v1/enterprises/{sme.id}/records")).json()
    assert records[0]["status"] == "disputed"
    shown = await _profile_records(client, sme.id)
    assert shown[0]["disputed"] is True
    again = await client.post(
        f"/api/v1/enterprises/{sme.id}/disputes",
        json={"record_id": str(record.id), "reason": "再次提出异议的理由"},
    )
    assert again.status_code == 409


async def test_the_office_queue_names_the_enterprise_and_shows_due_and_overdue_disputes(
    client: AsyncTestClient[Litestar], scene: Scene, db: AsyncSession
) -> None:
    sme, _, record = scene
    await _as(client, "owner@example.com")
    created = (
        await client.post(
            f"/api/v1/enterprises/{sme.id}/disputes",
            json={"record_id": str(record.id), "reason": "记录主体错误，非本企业"},
        )
    ).json()
    await _as(client, "office@example.com")
    queue = (await client.get("/api/v1/office/disputes", params={"status": "open"})).json()
    assert [d["id"] for d in queue] == [created["id"]]
    assert (queue[0]["enterprise_name"], queue[0]["enterprise_uscc"]) == (sme.name, sme.uscc)
    assert (await client.get("/api/v1/office/disputes", params={"overdue": True})).json() == []
    await db.execute(update(Dispute).values(due_on=dt.date.today() - dt.timedelta(days=1)))
    await db.commit()
    overdue = (await client.get("/api/v1/office/disputes", params={"overdue": True})).json()
    assert [d["id"] for d in overdue] == [created["id"]]
    assert overdue[0]["overdue"] is True


async def _dispute(client: AsyncTestClient[Litestar], sme: Enterprise, record: PublicRecord) -> str:
    await _as(client, "owner@example.com")
    response = await client.post(
        f"/api/v1/enterprises/{sme.id}/disputes",
        json={"record_id": str(record.id), "reason": "处罚内容与事实不符"},
    )
    dispute_id: str = response.json()["id"]
    return dispute_id


async def test_a_correction_changes_the_record_and_a_new_snapshot_follows(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _, record = scene
    dispute_id = await _dispute(client, sme, record)
    await _as(client, "office@example.com")
    resolved = await client.post(
        f"/api/v1/office/disputes/{dispute_id}/resolve",
        json={
            "outcome": "corrected",
            "resolution": "经核实，处罚程度应为轻微",
            "correction": {"severity": "minor", "description": "逾期公示年报（已补报）"},
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "corrected"
    await _as(client, "owner@example.com")
    shown = await _profile_records(client, sme.id)
    assert shown[0]["severity"] == "minor"
    assert shown[0]["disputed"] is False
    assert shown[0]["description"] == "逾期公示年报（已补报）"


async def test_a_withdrawn_record_disappears_from_the_profile(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _, record = scene
    dispute_id = await _dispute(client, sme, record)
    await _as(client, "office@example.com")
    await client.post(
        f"/api/v1/office/disputes/{dispute_id}/resolve",
        json={"outcome": "withdrawn", "resolution": "记录错误，予以撤回"},
    )
    await _as(client, "owner@example.com")
    assert await _profile_records(client, sme.id) == []
    history = (
        await client.get(f"/api/v1/enterprises/{sme.id}/records", params={"history": True})
    ).json()
    assert history[0]["status"] == "withdrawn"


async def test_an_upheld_record_loses_its_flag_and_both_statements_stay(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _, record = scene
    dispute_id = await _dispute(client, sme, record)
    await _as(client, "office@example.com")
    await client.post(
        f"/api/v1/office/disputes/{dispute_id}/resolve",
        json={"outcome": "upheld", "resolution": "经复核，原记录准确，维持"},
    )
    await _as(client, "owner@example.com")
    shown = await _profile_records(client, sme.id)
    assert shown[0]["disputed"] is False
    mine = (await client.get(f"/api/v1/enterprises/{sme.id}/disputes")).json()
    assert mine[0]["reason"] == "处罚内容与事实不符"
    assert mine[0]["resolution"] == "经复核，原记录准确，维持"
    assert mine[0]["status"] == "upheld"


async def test_disputes_are_closed_to_other_parties(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, other, record = scene
    await _as(client, "other@example.com")
    sneaky = await client.post(
        f"/api/v1/enterprises/{other.id}/disputes",
        json={"record_id": str(record.id), "reason": "替别家企业提异议"},
    )
    assert sneaky.status_code == 404
    assert (
        await client.post(
            f"/api/v1/enterprises/{sme.id}/disputes",
            json={"record_id": str(record.id), "reason": "替别家企业提异议"},
        )
    ).status_code == 404
    assert (await client.get(f"/api/v1/enterprises/{sme.id}/records")).status_code == 404
    dispute_id = await _dispute(client, sme, record)
    for email in ("owner@example.com", "banker@example.com"):
        await _as(client, email)
        assert (await client.get("/api/v1/office/disputes")).status_code == 403
        assert (
            await client.post(
                f"/api/v1/office/disputes/{dispute_id}/resolve",
                json={"outcome": "withdrawn", "resolution": "自己撤销自己的记录"},
            )
        ).status_code == 403
        assert (
            await client.post(
                f"/api/v1/office/records/{record.id}/repair", json={"note": "自己修复自己的记录"}
            )
        ).status_code == 403
    await _as(client, "banker@example.com")
    assert (await client.get(f"/api/v1/enterprises/{sme.id}/records")).status_code == 404


async def test_a_repaired_record_leaves_the_next_snapshot(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _, record = scene
    await _as(client, "office@example.com")
    repaired = await client.post(
        f"/api/v1/office/records/{record.id}/repair",
        json={"note": "已完成信用修复，提交信用承诺书"},
    )
    assert repaired.status_code == 200
    assert repaired.json()["status"] == "repaired"
    await _as(client, "owner@example.com")
    assert await _profile_records(client, sme.id) == []
    assert (await client.get(f"/api/v1/enterprises/{sme.id}/records")).json() == []


async def test_records_expire_after_publication_and_old_negatives_are_purged(
    db: AsyncSession, world: World
) -> None:
    sme = await world.enterprise()
    today = dt.date.today()
    lapsed = await world.record(sme.uscc, publish_until=today - dt.timedelta(days=1))
    current = await world.record(sme.uscc)
    ancient = await world.record(
        sme.uscc, decision_date=today - dt.timedelta(days=6 * 366), publish_until=None
    )
    old_honour = await world.record(
        sme.uscc,
        record_type="red_list",
        severity=None,
        decision_date=today - dt.timedelta(days=6 * 366),
        publish_until=None,
    )
    ids = {
        "lapsed": lapsed.id,
        "current": current.id,
        "ancient": ancient.id,
        "honour": old_honour.id,
    }
    await snapshots.rebuild(db, sme.id, "test")
    await db.commit()
    result = await expire_and_purge(db, today)
    await db.commit()
    assert result["expired"] == 1 and result["purged"] == 1 and result["rebuilt"] == 1
    statuses = dict((await db.execute(select(PublicRecord.id, PublicRecord.status))).all())
    assert statuses[ids["lapsed"]] == "expired"
    assert statuses[ids["current"]] == "active"
    assert ids["ancient"] not in statuses
    assert statuses[ids["honour"]] == "active"
    latest = await snapshots.latest(db, sme.id)
    assert latest is not None
    shown = {r["id"] for r in latest.content["public_records"]["items"]}
    assert shown == {str(ids["current"]), str(ids["honour"])}
