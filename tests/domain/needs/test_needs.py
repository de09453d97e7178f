"""An SME posts, lists, reads and withdraws its needs; banks claim listings with offers; the SME
accepts one claim, which grants that bank a consent and names the SME to it alone, and the other
claimants lose. Bad input is refused by path with nothing saved, wrong states are 409."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.needs.arrange import PoolWorld, claim_payload, need_payload, sized
from xinyidai.dates import china_today
from xinyidai.models import BankConsent, Need, NeedClaim, Role


async def _listed_sme(pool: PoolWorld, email: str = "owner@sme.example.com") -> Any:
    """An SME of division 39 in 440106, with four more such enterprises in the registry."""
    sme = await pool.sme(email)
    await pool.registry("39", "440106", 4)
    return sme


async def test_an_sme_posts_lists_reads_and_withdraws_a_need(pool: PoolWorld) -> None:
    sme = await _listed_sme(pool)
    need = await pool.post_need(sme)
    assert (need["status"], need["amount"], need["max_rate"], need["open_claims"]) == (
        "open",
        "1234567.89",
        "0.0437",
        0,
    )
    assert need["note"] == "春节前备货，急需流动资金"
    listing = need["listing"]  # how banks see it
    assert listing["industry"] == {
        "level": "division",
        "code": "39",
        "name_zh": "制造业",
        "name_en": "Manufacturing",
    }
    assert listing["district"] == {"level": "district", "code": "440106"}
    assert (listing["generalisation"], listing["k"]) == ("division_district", 5)
    assert listing["amount_band"] == {"code": "1m_3m", "low": "1000000", "high": "3000000"}
    assert listing["rate_cap_band"]["code"] == "3_5_to_4_5"
    assert (listing["grade_band"], listing["size_band"]) == ("unrated", "unknown")

    mine = (await pool.client.get(sme.needs)).json()
    assert [n["id"] for n in mine] == [need["id"]]
    one = await pool.client.get(f"{sme.needs}/{need['id']}")
    assert one.json()["purpose"] == "working_capital"

    withdrawn = await pool.client.post(f"{sme.needs}/{need['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["closed_at"] is not None
    assert (await pool.client.post(f"{sme.needs}/{need['id']}/withdraw")).status_code == 409

    bank = await pool.bank("BANK_A")
    await pool.act_as(bank.user)
    assert (await pool.client.get(bank.pool)).json()["total"] == 0
    assert (await pool.client.get(f"{bank.pool}/{need['id']}")).status_code == 404


async def test_grade_and_size_bands_come_from_the_latest_score_and_snapshot(
    pool: PoolWorld,
) -> None:
    sme = await _listed_sme(pool)
    await pool.scored(sme.enterprise, "BBB", sized("12345678.90", 350))
    need = await pool.post_need(sme)
    # revenue says small (< 20 m), headcount medium (≥ 300): the smaller class
    assert (need["listing"]["grade_band"], need["listing"]["size_band"]) == ("A-BBB", "small")


async def test_a_bank_claims_and_the_sme_accepts_one_claim_and_the_others_lose(
    pool: PoolWorld,
) -> None:
    sme = await _listed_sme(pool)
    await pool.world.authorize(sme.enterprise.id, ["tax", "electricity"], sme.user.id)
    need = await pool.post_need(sme)
    a = await pool.bank("BANK_A", "甲银行")
    b = await pool.bank("BANK_B", "乙银行")
    c = await pool.bank("BANK_C", "丙银行")

    await pool.act_as(a.user)
    page = (await pool.client.get(a.pool)).json()
    assert (page["total"], page["items"][0]["id"], page["items"][0]["my_claim_id"]) == (
        1,
        need["id"],
        None,
    )
    won = await pool.claim(a, need["id"], amount="1200000", rate="0.0385")
    assert (won["status"], won["enterprise"], won["listing"]["my_claim_id"]) == (
        "open",
        None,
        won["id"],
    )
    # working days: the offer stands three of them, Monday to Friday
    respond_by = dt.date.fromisoformat(won["respond_by"])
    assert respond_by.weekday() < 5 and respond_by > china_today()
    again = await pool.client.post(f"{a.pool}/{need['id']}/claims", json=claim_payload())
    assert again.status_code == 409, again.text
    lost = await pool.claim(b, need["id"], amount="900000", rate="0.0410", term_months=24)
    gone = await pool.claim(c, need["id"])
    withdrawn = await pool.client.post(f"{c.claims}/{gone['id']}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"

    await pool.act_as(sme.user)
    claims = (await pool.client.get(f"{sme.needs}/{need['id']}/claims")).json()
    assert [(x["bank_name"], x["status"], x["amount"]) for x in claims] == [
        ("甲银行", "open", "1200000.00"),
        ("乙银行", "open", "900000.00"),
        ("丙银行", "withdrawn", "1000000.00"),
    ]
    assert (await pool.client.get(f"{sme.needs}/{need['id']}")).json()["open_claims"] == 2
    accepted = await pool.client.post(
        f"{sme.needs}/{need['id']}/claims/{won['id']}/accept", json={"families": ["tax", "score"]}
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["need"]["status"], body["claim"]["status"]) == ("accepted", "accepted")
    consent = body["consent"]
    assert (consent["bank_id"], consent["purpose"], consent["families"]) == (
        str(a.bank.id),
        "need",
        ["score", "tax"],
    )
    assert consent["reference"] == f"need {need['id']}" and consent["live"]
    assert body["claim"]["consent_id"] == consent["id"]
    claims = (await pool.client.get(f"{sme.needs}/{need['id']}/claims")).json()
    assert [x["status"] for x in claims] == ["accepted", "lost", "withdrawn"]
    held = (await pool.client.get(f"/api/v1/enterprises/{sme.enterprise.id}/bank-consents")).json()
    assert [x["id"] for x in held] == [consent["id"]]
    # The acceptance made an application of the offer, on its way to the bank.
    application = (await pool.client.get(f"/api/v1/applications/{body['application_id']}")).json()
    assert (application["status"], application["bank_id"], application["need_claim_id"]) == (
        "submitted",
        str(a.bank.id),
        won["id"],
    )
    assert (application["amount"], application["term_months"]) == ("1200000.00", 12)
    assert application["product_id"] is None and application["consent_id"] == consent["id"]
    assert application["delivery"] == "pending"
    await pool.act_as(a.user)
    inbox = (await pool.client.get(f"/api/v1/banks/{a.bank.id}/applications")).json()
    assert [x["id"] for x in inbox["items"]] == [body["application_id"]]
    await pool.act_as(sme.user)
    again = await pool.client.post(
        f"{sme.needs}/{need['id']}/claims/{lost['id']}/accept", json={"families": ["score"]}
    )
    assert again.status_code == 409

    await pool.act_as(a.user)  # the winner learns who the SME is
    mine = (await pool.client.get(a.claims)).json()
    assert mine[0]["enterprise"] == {
        "enterprise_id": str(sme.enterprise.id),
        "name": sme.enterprise.name,
        "uscc": sme.enterprise.uscc,
    }
    assert mine[0]["consent_id"] == consent["id"]
    await pool.act_as(sme.user)  # and that read of who it is is in the SME's access log
    log = (await pool.client.get(f"/api/v1/enterprises/{sme.enterprise.id}/access-log")).json()
    named = [e for e in log["items"] if e["resource"] == "need_claim"]
    assert len(named) == 1 and named[0]["actor_role"] == "bank"
    assert need["id"] in named[0]["purpose"]
    await pool.act_as(b.user)  # a loser is told it went elsewhere, and nothing more
    (theirs,) = (await pool.client.get(b.claims)).json()
    assert (theirs["status"], theirs["enterprise"], theirs["consent_id"]) == ("lost", None, None)
    assert theirs["listing"]["status"] == "accepted"
    assert (await pool.client.get(b.claims, params={"status": "open"})).json() == []
    assert (await pool.client.get(b.pool)).json()["total"] == 0
    late = await pool.client.post(f"{b.pool}/{need['id']}/claims", json=claim_payload())
    assert late.status_code == 404


async def test_a_refused_consent_leaves_the_need_and_its_claims_as_they_were(
    pool: PoolWorld, db: AsyncSession
) -> None:
    sme = await _listed_sme(pool)
    await pool.world.authorize(sme.enterprise.id, ["tax"], sme.user.id)
    need = await pool.post_need(sme)
    a = await pool.bank("BANK_A")
    b = await pool.bank("BANK_B")
    claim = await pool.claim(a, need["id"])
    await pool.claim(b, need["id"])

    await pool.act_as(sme.user)
    accept = f"{sme.needs}/{need['id']}/claims/{claim['id']}/accept"
    too_far = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).isoformat()
    for body, field, code in [
        ({"families": ["electricity"]}, "families", "family_not_authorised"),
        ({"families": ["tax"], "expires_at": too_far}, "expires_at", "expiry_too_far"),
    ]:
        refused = await pool.client.post(accept, json=body)
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["code"]) == (field, code)
    shape = await pool.client.post(accept, json={"families": []})
    assert shape.status_code == 422 and "families" in shape.text

    assert (await pool.client.get(f"{sme.needs}/{need['id']}")).json()["status"] == "open"
    claims = (await pool.client.get(f"{sme.needs}/{need['id']}/claims")).json()
    assert [x["status"] for x in claims] == ["open", "open"]
    assert await db.scalar(select(func.count()).select_from(BankConsent)) == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"amount": "0"}, "amount", "amount_range"),
        ({"amount": "-5"}, "amount", "amount_range"),
        ({"amount": "1000.001"}, "amount", "amount_precision"),
        ({"amount": "200000000000"}, "amount", "amount_range"),
        ({"max_rate": "0.5"}, "max_rate", "rate_range"),
        ({"max_rate": "0"}, "max_rate", "rate_range"),
        ({"max_rate": "0.0412345"}, "max_rate", "rate_precision"),
        ({"deadline": china_today().isoformat()}, "deadline", "date_range"),
        (
            {"deadline": (china_today() + dt.timedelta(days=91)).isoformat()},
            "deadline",
            "date_range",
        ),
        ({"note": "正常\u202e文字"}, "note", "text_bidi"),
        ({"term_months": 0}, "term_months", None),
        ({"term_months": 400}, "term_months", None),
        ({"purpose": "gambling"}, "purpose", None),
        ({"deadline": "next week"}, "deadline", None),
        ({"amount": "lots"}, "amount", None),
        ({"hidden": True}, "hidden", None),
    ],
)
async def test_a_bad_need_is_refused_by_its_path_and_nothing_is_saved(
    pool: PoolWorld,
    db: AsyncSession,
    changes: dict[str, object],
    field: str,
    code: str | None,
) -> None:
    sme = await _listed_sme(pool)
    await pool.act_as(sme.user)
    refused = await pool.client.post(sme.needs, json=need_payload(**changes))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    (error,) = refused.json()["errors"]
    assert field in error["field"] or f"`{field}`" in error["message"], error
    if code is not None:
        assert (error["field"], error["code"]) == (field, code)
    assert await db.scalar(select(func.count()).select_from(Need)) == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"amount": "0"}, "amount", "amount_range"),
        ({"rate": "0.40"}, "rate", "rate_range"),
        ({"rate": "0.0500"}, "rate", "rate_above_cap"),  # above the band the pool shows
        ({"conditions": ["site_visit", "site_visit"]}, "conditions", "duplicate"),
        ({"conditions": ["a_favour"]}, "conditions", None),
        ({"response_days": 0}, "response_days", None),
        ({"response_days": 31}, "response_days", None),
    ],
)
async def test_a_bad_claim_is_refused_by_its_path_and_nothing_is_saved(
    pool: PoolWorld,
    db: AsyncSession,
    changes: dict[str, object],
    field: str,
    code: str | None,
) -> None:
    sme = await _listed_sme(pool)
    need = await pool.post_need(sme)
    bank = await pool.bank("BANK_A")
    await pool.act_as(bank.user)
    refused = await pool.client.post(
        f"{bank.pool}/{need['id']}/claims", json=claim_payload(**changes)
    )
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert field in error["field"] or f"`{field}`" in error["message"], error
    if code is not None:
        assert (error["field"], error["code"]) == (field, code)
    assert await db.scalar(select(func.count()).select_from(NeedClaim)) == 0


async def test_an_sme_has_at_most_five_open_needs(pool: PoolWorld) -> None:
    sme = await _listed_sme(pool)
    for _ in range(5):
        await pool.post_need(sme)
    sixth = await pool.client.post(sme.needs, json=need_payload())
    assert sixth.status_code == 409, sixth.text


async def test_only_a_verified_sme_posts_and_banks_and_the_office_do_not(
    pool: PoolWorld,
) -> None:
    sme = await _listed_sme(pool)
    ent = sme.enterprise
    unverified = await pool.world.user("new@sme.example.com", Role.SME, ent.uscc, verified=False)
    bank = await pool.bank("BANK_A")
    office = await pool.world.user("office@example.com", Role.OFFICE)
    for user, status in ((unverified, 403), (bank.user, 404), (office, 404)):
        await pool.act_as(user)
        assert (await pool.client.post(sme.needs, json=need_payload())).status_code == status
        assert (await pool.client.get(sme.needs)).status_code == status
    await pool.act_as(None)
    assert (await pool.client.get(sme.needs)).status_code == 401
    assert (await pool.client.get(bank.pool)).status_code == 401


async def test_concurrent_accepts_and_claims_settle_one_way(
    pool: PoolWorld, db: AsyncSession
) -> None:
    """Two accepts of two claims at once: one wins, the other is 409, and one consent exists.
    Two claims by one bank at once: one is made, the other is 409."""
    sme = await _listed_sme(pool)
    await pool.world.authorize(sme.enterprise.id, ["tax"], sme.user.id)
    need = await pool.post_need(sme)
    other = await pool.post_need(sme)
    a = await pool.bank("BANK_A")
    b = await pool.bank("BANK_B")
    first = await pool.claim(a, need["id"])
    second = await pool.claim(b, need["id"])

    await pool.act_as(sme.user)
    answers = await asyncio.gather(
        *(
            pool.client.post(
                f"{sme.needs}/{need['id']}/claims/{c['id']}/accept", json={"families": ["tax"]}
            )
            for c in (first, second)
        )
    )
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    assert await db.scalar(select(func.count()).select_from(BankConsent)) == 1
    claims = (await pool.client.get(f"{sme.needs}/{need['id']}/claims")).json()
    assert sorted(c["status"] for c in claims) == ["accepted", "lost"]

    await pool.act_as(a.user)
    made = await asyncio.gather(
        *(
            pool.client.post(f"{a.pool}/{other['id']}/claims", json=claim_payload())
            for _ in range(3)
        )
    )
    assert sorted(r.status_code for r in made) == [201, 409, 409], [r.text for r in made]
    live = await db.scalar(
        select(func.count()).where(NeedClaim.need_id == other["id"], NeedClaim.bank_id == a.bank.id)
    )
    assert live == 1
