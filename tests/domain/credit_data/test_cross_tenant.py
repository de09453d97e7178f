"""Every endpoint about one SME's credit data refuses another SME and any bank, with the same
404 a missing enterprise gets; the office reads (and is logged) but never manages."""

from __future__ import annotations

from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login, no_queue
from xinyidai.domain.credit_data.sync import queue_sync
from xinyidai.domain.profiles import snapshots
from xinyidai.models import Enterprise, Role, SyncRun


@pytest.fixture
async def scene(world: World, db: AsyncSession) -> tuple[Enterprise, SyncRun]:
    sme = await world.enterprise()
    other = await world.enterprise()
    owner = await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    await world.user("office@example.com", Role.OFFICE)
    await world.record(sme.uscc)
    await world.authorize(sme.id, ["tax"], owner.id)
    run = await queue_sync(db, no_queue, sme.id, trigger="test")
    await snapshots.rebuild(db, sme.id, "test")
    await db.commit()
    return sme, run


def _reads(sme_id: UUID, run_id: UUID) -> list[str]:
    base = f"/api/v1/enterprises/{sme_id}"
    return [
        base,
        f"{base}/profile",
        f"{base}/records",
        f"{base}/series/tax",
        f"{base}/disputes",
        f"{base}/access-log",
        f"{base}/sync/{run_id}",
        f"{base}/data-authorizations",
    ]


@pytest.mark.parametrize("email", ["other@example.com", "banker@example.com"])
async def test_other_smes_and_banks_get_404_everywhere(
    client: AsyncTestClient[Litestar], scene: tuple[Enterprise, SyncRun], email: str
) -> None:
    sme, run = scene
    await login(client, email)
    for url in _reads(sme.id, run.id):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"] in {"no such enterprise", "no such resource"}, url
    assert (await client.post(f"/api/v1/enterprises/{sme.id}/sync")).status_code == 404


async def test_the_owner_reads_everything_and_nothing_is_logged(
    client: AsyncTestClient[Litestar], scene: tuple[Enterprise, SyncRun]
) -> None:
    sme, run = scene
    await login(client, "owner@example.com")
    for url in _reads(sme.id, run.id):
        assert (await client.get(url)).status_code == 200, url
    log = (await client.get(f"/api/v1/enterprises/{sme.id}/access-log")).json()
    assert log["items"] == []


async def test_the_office_reads_data_but_not_the_smes_own_desk(
    client: AsyncTestClient[Litestar], scene: tuple[Enterprise, SyncRun]
) -> None:
    sme, run = scene
    await login(client, "office@example.com")
    base = f"/api/v1/enterprises/{sme.id}"
    for url in (base, f"{base}/profile", f"{base}/records", f"{base}/series/tax"):
        assert (await client.get(url)).status_code == 200, url
    for url in (
        f"{base}/disputes",
        f"{base}/access-log",
        f"{base}/sync/{run.id}",
        f"{base}/data-authorizations",
    ):
        assert (await client.get(url)).status_code == 404, url
    client.cookies.clear()
    await login(client, "owner@example.com")
    logged = [e["resource"] for e in (await client.get(f"{base}/access-log")).json()["items"]]
    assert sorted(logged) == ["profile", "public_records", "registration", "series:tax"]


async def test_series_ranges_are_checked(
    client: AsyncTestClient[Litestar], scene: tuple[Enterprise, SyncRun]
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    url = f"/api/v1/enterprises/{sme.id}/series/tax"
    ok = await client.get(url, params={"from": "2024-01", "to": "2024-12"})
    assert ok.status_code == 200
    assert (ok.json()["first"], ok.json()["last"]) == ("2024-01", "2024-12")
    reversed_range = await client.get(url, params={"from": "2024-12", "to": "2024-01"})
    assert reversed_range.status_code == 422
    malformed = await client.get(url, params={"from": "2024-13"})
    assert malformed.status_code in (400, 422)
