"""``GET /api/v1/enterprises/{id}/matches``: the SME's own view of every product on offer,
eligible first, each unmet criterion in both languages with what would change it, an estimated
limit and price; it writes nothing to the access log, follows every product change at once,
and no one else reads it."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.products.payloads import product_payload
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.scoring import registry
from xinyidai.domain.scoring.services import score_snapshot
from xinyidai.models import AccessLogEntry, Enterprise, Role

OPEN = product_payload(name_zh="普惠信用贷", name_en="Inclusive Credit", eligibility={})
POWER = product_payload(
    name_zh="电e贷", name_en="Power e-Loan", eligibility={"required_families": ["electricity"]}
)


async def _scene(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, bundle_dir: Path
) -> tuple[Enterprise, str]:
    """An SME with tax authorised, a snapshot and a score; bank A offers two products."""
    sme = await world.enterprise()
    owner = await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.authorize(sme.id, ["tax"], owner.id)
    registered = await registry.register(db, bundle_dir, "test")
    await registry.activate(db, registered.version, "test", "matching test")
    snapshot = await snapshots.rebuild(db, sme.id, "test")
    assert snapshot is not None
    await score_snapshot(db, snapshot.id)
    await db.commit()
    bank = await world.bank("BANK_A")
    await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")
    await login(client, "staff@bank-a.example.com")
    base = f"/api/v1/banks/{bank.id}/products"
    for payload in (POWER, OPEN):
        assert (await client.post(base, json=payload)).status_code == 201
    client.cookies.clear()
    return sme, base


async def test_the_sme_sees_every_product_eligible_first_with_reasons_and_hints(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, bundle_dir: Path
) -> None:
    sme, _ = await _scene(client, world, db, bundle_dir)
    latest = await snapshots.latest(db, sme.id)
    assert latest is not None

    await login(client, "owner@example.com")
    logged_before = await db.scalar(select(func.count()).select_from(AccessLogEntry))

    answer = await client.get(f"/api/v1/enterprises/{sme.id}/matches")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["snapshot_version"] == latest.version
    assert body["grade"] and body["eligible"] == 1
    first, second = body["items"]
    assert (first["product"]["name_zh"], first["eligible"], first["reasons"]) == (
        "普惠信用贷",
        True,
        [],
    )
    assert first["estimate"]["offered"] in (True, False)
    assert float(first["estimate"]["rate_low"]) <= float(first["estimate"]["rate_high"])
    assert (second["product"]["name_zh"], second["eligible"]) == ("电e贷", False)
    (reason,) = second["reasons"]
    assert reason["criterion"] == "required_families"
    assert "电" in reason["zh"] and "electricity" in reason["en"]
    assert (reason["action"], reason["families"]) == ("authorise", ["electricity"])
    assert reason["hint_zh"] and reason["hint_en"]

    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(AccessLogEntry)) == logged_before


async def test_a_paused_product_leaves_the_matches_at_once(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, bundle_dir: Path
) -> None:
    sme, base = await _scene(client, world, db, bundle_dir)
    await login(client, "owner@example.com")
    path = f"/api/v1/enterprises/{sme.id}/matches"
    names = [m["product"]["name_zh"] for m in (await client.get(path)).json()["items"]]
    assert sorted(names) == ["普惠信用贷", "电e贷"]
    client.cookies.clear()
    await login(client, "staff@bank-a.example.com")
    mine = (await client.get(base)).json()
    power = next(p for p in mine if p["name_zh"] == "电e贷")
    assert (await client.post(f"{base}/{power['id']}/pause")).status_code == 200
    client.cookies.clear()
    await login(client, "owner@example.com")
    names = [m["product"]["name_zh"] for m in (await client.get(path)).json()["items"]]
    assert names == ["普惠信用贷"]


async def test_an_sme_not_scored_yet_fails_each_grade_rule_and_says_why(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    sme = await world.enterprise()
    await world.user("owner@example.com", Role.SME, sme.uscc)
    bank = await world.bank("BANK_A")
    await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")
    await login(client, "staff@bank-a.example.com")
    graded = product_payload(eligibility={"min_grade": "BBB"})
    assert (await client.post(f"/api/v1/banks/{bank.id}/products", json=graded)).status_code == 201
    client.cookies.clear()
    await login(client, "owner@example.com")
    body = (await client.get(f"/api/v1/enterprises/{sme.id}/matches")).json()
    assert (body["grade"], body["eligible"]) == (None, 0)
    (match,) = body["items"]
    assert [r["criterion"] for r in match["reasons"]] == ["min_grade"]
    assert match["estimate"]["rate_basis"] == "full_range"


async def test_no_one_else_reads_an_smes_matches(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession, bundle_dir: Path
) -> None:
    sme, _ = await _scene(client, world, db, bundle_dir)
    other = await world.enterprise()
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.user("office@example.com", Role.OFFICE)
    for email in ("other@example.com", "staff@bank-a.example.com", "office@example.com"):
        client.cookies.clear()
        await login(client, email)
        refused = await client.get(f"/api/v1/enterprises/{sme.id}/matches")
        assert refused.status_code in (403, 404), email
    client.cookies.clear()
    assert (await client.get(f"/api/v1/enterprises/{sme.id}/matches")).status_code == 401
