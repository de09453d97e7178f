"""k ≥ 5 through the API, on generated registries in the database where districts hold one to
four firms of an industry: every listing a bank sees describes at least five active registered
enterprises (counted here with SQL of its own), at the finest step of the ladder that does; the
pool's filters match only what is shown, so they cannot be used to find a hidden division or
district."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.needs.arrange import PoolWorld, claim_payload
from xinyidai.domain.enterprises.codes import SECTIONS
from xinyidai.models import Enterprise, EnterpriseStatus

CELLS = [("39", "440106"), ("26", "440106"), ("51", "440103"), ("65", "440104"), ("65", "440113")]


async def _registered(db: AsyncSession, industry: str | None, region: str) -> int:
    """Active enterprises sharing what a listing shows, counted independently."""
    query = select(func.count()).where(Enterprise.status == EnterpriseStatus.ACTIVE.value)
    if region.endswith("00"):
        query = query.where(Enterprise.district_code.like(region[:4] + "%"))
    else:
        query = query.where(Enterprise.district_code == region)
    if industry is not None and len(industry) == 2:
        query = query.where(Enterprise.industry_division == industry)
    elif industry is not None:
        query = query.where(Enterprise.industry_section == industry)
    return int(await db.scalar(query) or 0)


def _section(division: str) -> str:
    return next(s.code for s in SECTIONS if s.first <= int(division) <= s.last)


@pytest.mark.parametrize("seed", [1, 2])
async def test_every_listing_describes_at_least_five_registered_firms(
    pool: PoolWorld, db: AsyncSession, seed: int
) -> None:
    rng = random.Random(seed)
    posters = []
    for n, (division, district) in enumerate(CELLS):
        posters.append(await pool.sme(f"owner{n}@sme.example.com", division, district))
        await pool.registry(division, district, rng.randint(0, 4))  # one to five in the cell
    bank = await pool.bank("BANK_A")
    for sme in posters:
        await pool.post_need(sme)

    await pool.act_as(bank.user)
    page = (await pool.client.get(bank.pool, params={"limit": 100})).json()
    listed = {item["id"]: item for item in page["items"]}
    assert page["total"] == len(listed) == len(CELLS)  # the city has enough for all
    for item in listed.values():
        industry, region = item["industry"]["code"], item["district"]["code"]
        assert item["k"] == await _registered(db, industry, region) >= 5, item
    # Each listing is at the finest step reaching five: one step finer has fewer.
    for sme in posters:
        await pool.act_as(sme.user)
        mine = (await pool.client.get(sme.needs)).json()[0]
        item = mine["listing"]
        ent = sme.enterprise
        finer = {
            "division_district": None,
            "section_district": (ent.industry_division, ent.district_code),
            "section_city": (_section(ent.industry_division), ent.district_code),
            "city": (_section(ent.industry_division), ent.district_code[:4] + "00"),
        }
        if item is None:  # withheld: the whole city has fewer than five
            assert await _registered(db, None, ent.district_code[:4] + "00") < 5
            continue
        assert item["id"] in listed
        step = finer[item["generalisation"]]
        if step is not None:
            assert await _registered(db, *step) < 5, item


async def test_a_thin_cell_is_generalised_and_filters_see_only_what_is_shown(
    pool: PoolWorld, db: AsyncSession
) -> None:
    sme = await pool.sme("owner@sme.example.com", "39", "440106")
    await pool.registry("39", "440106", 2)  # three of division 39 in Tianhe
    await pool.registry("26", "440106", 2)  # five of section C in Tianhe
    dead = await pool.registry("26", "440106", 1)  # a sixth, deregistered: not counted
    await db.execute(
        update(Enterprise)
        .where(Enterprise.id == dead[0].id)
        .values(status=EnterpriseStatus.DEREGISTERED.value)
    )
    await db.commit()
    need = await pool.post_need(sme)
    assert (need["listing"]["generalisation"], need["listing"]["k"]) == ("section_district", 5)
    assert need["listing"]["industry"]["code"] == "C"

    bank = await pool.bank("BANK_A")
    await pool.act_as(bank.user)

    async def found(**query: str) -> int:
        answer = await pool.client.get(bank.pool, params=query)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert await found(industry="C") == 1
    assert await found(industry="39") == 0  # the hidden division finds nothing
    assert await found(industry="F") == 0
    assert await found(district="440106") == 1
    assert await found(district="440100") == 1  # the city contains the district shown
    assert await found(district="440103") == 0
    assert await found(amount_band="1m_3m") == 1
    assert await found(amount_band="3m_5m") == 0
    assert await found(size_band="unknown", grade_band="unrated", purpose="working_capital") == 1
    for bad in ({"industry": "Z"}, {"district": "4401"}, {"amount_band": "exact"}):
        assert (await pool.client.get(bank.pool, params=bad)).status_code in (400, 422), bad

    # Section C's other firms leave the registry: three remain in the whole city, so the
    # listing is withheld, rather than shown with fewer than five behind it.
    await db.execute(
        update(Enterprise)
        .where(Enterprise.industry_division == "26")
        .values(status=EnterpriseStatus.REVOKED.value)
    )
    await db.commit()
    assert (await pool.client.get(f"{bank.pool}/{need['id']}")).status_code == 404
    assert await found() == 0
    claimed = await pool.client.post(f"{bank.pool}/{need['id']}/claims", json=claim_payload())
    assert claimed.status_code == 404
    await pool.act_as(sme.user)
    assert (await pool.client.get(f"{sme.needs}/{need['id']}")).json()["listing"] is None
