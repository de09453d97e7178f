"""Expiry: a claim not accepted within its committed response time (working days) and a need
past its deadline expire, by the periodic job (idempotent), and are refused at once by the
rules even before the job has run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.domain.needs.arrange import PoolWorld
from xinyidai import jobs
from xinyidai.dates import add_working_days, china_today
from xinyidai.domain.needs.services import NeedService
from xinyidai.infra.db import unit_of_work
from xinyidai.jobs import CRON_JOBS
from xinyidai.models import Need, NeedClaim


async def _statuses(db: AsyncSession) -> tuple[list[str], list[str]]:
    needs = await db.scalars(select(Need.status).order_by(Need.created_at))
    claims = await db.scalars(select(NeedClaim.status).order_by(NeedClaim.created_at))
    return list(needs), list(claims)


async def _expire(sessions: async_sessionmaker[AsyncSession], today: dt.date) -> dict[str, int]:
    async with unit_of_work(sessions) as session:
        return await NeedService(session).expire(today=today)


async def test_claims_expire_after_their_working_days_and_needs_after_their_deadline(
    pool: PoolWorld, db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sme = await pool.sme("owner@sme.example.com")
    await pool.registry("39", "440106", 4)
    await pool.world.authorize(sme.enterprise.id, ["tax"], sme.user.id)
    deadline = china_today() + dt.timedelta(days=20)
    need = await pool.post_need(sme, deadline=deadline.isoformat())
    other = await pool.post_need(sme)
    quick = await pool.bank("BANK_A")
    slow = await pool.bank("BANK_B")
    fast_claim = await pool.claim(quick, need["id"], response_days=1)
    await pool.claim(slow, need["id"], response_days=10)
    winner = await pool.claim(quick, other["id"], response_days=1)
    await pool.act_as(sme.user)
    accepted = await pool.client.post(
        f"{sme.needs}/{other['id']}/claims/{winner['id']}/accept", json={"families": ["tax"]}
    )
    assert accepted.status_code == 200

    first_day = dt.date.fromisoformat(fast_claim["respond_by"])
    assert first_day == add_working_days(china_today(), 1)
    assert await _expire(sessions, first_day) == {"needs": 0, "claims": 0}  # its last day
    after = first_day + dt.timedelta(days=1)
    assert await _expire(sessions, after) == {"needs": 0, "claims": 1}
    assert await _expire(sessions, after) == {"needs": 0, "claims": 0}  # idempotent
    assert await _statuses(db) == (["open", "accepted"], ["expired", "open", "accepted"])

    # The need past its deadline expires, and its open claims with it; accepted work stays.
    past = deadline + dt.timedelta(days=1)
    assert await _expire(sessions, past) == {"needs": 1, "claims": 1}
    assert await _expire(sessions, past) == {"needs": 0, "claims": 0}
    assert await _statuses(db) == (["expired", "accepted"], ["expired", "expired", "accepted"])
    await pool.act_as(slow.user)
    (mine,) = (await pool.client.get(slow.claims)).json()
    assert (mine["status"], mine["listing"]["status"]) == ("expired", "expired")
    # A bank may claim again once its claim expired (one live claim per bank and need).


async def test_the_rules_hold_before_the_job_runs_and_the_job_is_scheduled(
    pool: PoolWorld, db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sme = await pool.sme("owner@sme.example.com")
    await pool.registry("39", "440106", 4)
    await pool.world.authorize(sme.enterprise.id, ["tax"], sme.user.id)
    need = await pool.post_need(sme)
    stale = await pool.post_need(sme)
    bank = await pool.bank("BANK_A")
    claim = await pool.claim(bank, need["id"])
    await pool.claim(bank, stale["id"])
    yesterday = china_today() - dt.timedelta(days=1)
    # Time passes (the offer's last day and the other need's deadline are behind us).
    await db.execute(
        update(NeedClaim).where(NeedClaim.id == claim["id"]).values(respond_by=yesterday)
    )
    await db.execute(update(Need).where(Need.id == stale["id"]).values(deadline=yesterday))
    await db.commit()

    await pool.act_as(bank.user)
    assert [i["id"] for i in (await pool.client.get(bank.pool)).json()["items"]] == [need["id"]]
    await pool.act_as(sme.user)
    refused = await pool.client.post(
        f"{sme.needs}/{need['id']}/claims/{claim['id']}/accept", json={"families": ["tax"]}
    )
    assert refused.status_code == 409 and "expired" in refused.text

    assert any(fn is jobs.expire_needs for fn, _ in CRON_JOBS)
    ctx: dict[str, Any] = {"sessions": sessions}
    assert await jobs.expire_needs(ctx) == {"needs": 1, "claims": 2}
    assert await jobs.expire_needs(ctx) == {"needs": 0, "claims": 0}
    # The bank's claim expired, so it may claim the still-open need again.
    again = await pool.claim(bank, need["id"], response_days=5)
    assert again["status"] == "open"
