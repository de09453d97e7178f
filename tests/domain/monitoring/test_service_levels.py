"""Banks' service levels: the credit office sees, per bank, the committed response time against
the actual one, the decisions past commitment, what waits past it now and the needs-pool claims
released unanswered; every figure equals a recomputation in plain Python from the rows."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.applications.rows import Shop, shop
from tests.domain.monitoring.service_rows import application, cst
from xinyidai.dates import CHINA_TZ, utc_now, working_days_between
from xinyidai.domain.applications.vocabulary import ApplicationStatus
from xinyidai.models import Application, Role

S = ApplicationStatus
WAITING = {S.SUBMITTED, S.DELIVERED, S.UNDER_REVIEW}
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


# --- the independent recomputation ----------------------------------------------------------------
def nearest_rank(values: Sequence[Decimal], p: float) -> Decimal | None:
    """The smallest value with at least ``p`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def _in(moment: dt.datetime | None, start: dt.date, end: dt.date) -> bool:
    return moment is not None and start <= moment.astimezone(CHINA_TZ).date() <= end


def _text(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal(places)))


def expected(
    rows: Sequence[Application], start: dt.date, end: dt.date, now: dt.datetime
) -> dict[str, Any]:
    """The service-level figures of ``rows`` (one bank's) recomputed from their columns."""
    submitted = [r for r in rows if _in(r.created_at, start, end)]
    decided = [r for r in rows if _in(r.decided_at, start, end)]
    within = [r for r in decided if r.decided_at is not None and r.decided_at <= r.respond_by]
    waiting = [r for r in rows if r.status in WAITING and r.respond_by < now]
    released = [
        r
        for r in rows
        if r.need_claim_id is not None
        and r.status == S.WITHDRAWN
        and r.decided_at is None
        and r.status_at > r.respond_by
        and _in(r.status_at, start, end)
    ]
    committed = [Decimal(r.response_days) for r in submitted]
    worked = [r.response_working_days for r in decided if r.response_working_days is not None]
    return {
        "committed": {
            "applications": len(submitted),
            "median_days": _text(nearest_rank(committed, 0.5)),
            "min_days": min((r.response_days for r in submitted), default=None),
            "max_days": max((r.response_days for r in submitted), default=None),
        },
        "actual": {
            "decisions": len(decided),
            "median_days": _text(nearest_rank(worked, 0.5)),
            "p90_days": _text(nearest_rank(worked, 0.9)),
            "within_commitment": len(within),
            "past_commitment": len(decided) - len(within),
            "share_within": _text(
                Decimal(len(within)) / Decimal(len(decided)) if decided else None, "0.000001"
            ),
        },
        "waiting_past_commitment": len(waiting),
        "claims_released_unanswered": len(released),
    }


def figures(level: dict[str, Any]) -> dict[str, Any]:
    return {
        k: level[k]
        for k in ("committed", "actual", "waiting_past_commitment", "claims_released_unanswered")
    }


# --- arranging ------------------------------------------------------------------------------------
async def spread(db: AsyncSession, where: Shop, seed: int, n: int) -> None:
    """``n`` applications submitted at any hour of any day (weekends too) from mid-February to
    mid-April 2026, each answered early, late or never, some withdrawn, some needs-pool offers."""
    rng = random.Random(seed)
    first = cst(2026, 2, 10, 0)
    for _ in range(n):
        submitted = first + dt.timedelta(minutes=rng.randrange(60 * 24 * 70))
        days = rng.randint(1, 10)
        offer = rng.random() < 0.2
        fate = rng.random()
        if fate < 0.6:  # answered, up to twice as long as committed (in calendar days)
            decided = submitted + dt.timedelta(hours=rng.uniform(0.5, 2.0 * 24 * days * 7 / 5))
            status = S.APPROVED if rng.random() < 0.7 else S.REJECTED
            await application(
                db, where, submitted, days, decided=decided, status=status, offer=offer
            )
        elif fate < 0.75:  # withdrawn before or after the commitment ran out
            withdrawn = submitted + dt.timedelta(hours=rng.uniform(1, 24 * days * 2))
            await application(db, where, submitted, days, withdrawn=withdrawn, offer=offer)
        else:  # still with the bank
            status = rng.choice([S.SUBMITTED, S.DELIVERED, S.UNDER_REVIEW])
            await application(db, where, submitted, days, status=status, offer=offer)
    await db.commit()


@pytest.fixture
async def banks(world: World) -> tuple[Shop, Shop]:
    a = await shop(world, code="BANK_A")
    b = await shop(world, code="BANK_B")
    await world.user("office@example.com", Role.OFFICE)
    await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")
    await world.user("staff@bank-b.example.com", Role.BANK, "BANK_B")
    await world.user("admin@example.com", Role.ADMIN)
    return a, b


async def rows_of(db: AsyncSession, bank_id: UUID) -> list[Application]:
    query = select(Application).where(Application.bank_id == bank_id)
    return list(await db.scalars(query.execution_options(populate_existing=True)))


# --- the office's table ---------------------------------------------------------------------------
async def test_the_office_sees_each_banks_figures_as_recomputed_from_the_rows(
    client: AsyncTestClient[Litestar], db: AsyncSession, banks: tuple[Shop, Shop]
) -> None:
    a, b = banks
    await spread(db, a, seed=17, n=120)
    await spread(db, b, seed=71, n=60)
    await login(client, "office@example.com")
    got = await client.get("/api/v1/office/service-levels", params=MARCH)
    assert got.status_code == 200, got.text
    body = got.json()
    now = utc_now()
    assert body["period"] == MARCH
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    by_bank = {level["bank_id"]: level for level in body["banks"]}
    everyone: list[Application] = []
    for side in (a, b):
        rows = await rows_of(db, side.bank.id)
        everyone += rows
        want = expected(rows, start, end, now)
        assert figures(by_bank[str(side.bank.id)]) == want
        # The spread is wide enough that every figure is exercised.
        assert want["actual"]["past_commitment"] > 0 and want["actual"]["within_commitment"] > 0
        assert want["waiting_past_commitment"] > 0
    assert figures(body["total"]) == expected(everyone, start, end, now)
    assert expected(everyone, start, end, now)["claims_released_unanswered"] > 0


async def test_the_commitment_is_kept_at_the_deadline_and_weekends_do_not_count(
    client: AsyncTestClient[Litestar], db: AsyncSession, banks: tuple[Shop, Shop]
) -> None:
    a, _ = banks
    friday = cst(2026, 3, 6, 17)  # respond_by with one working day: Monday 9 March, 17:00
    await application(db, a, friday, 1, decided=cst(2026, 3, 9, 17))  # at the deadline: kept
    await application(db, a, friday, 1, decided=cst(2026, 3, 7, 12))  # on Saturday: 0.29 day
    await application(db, a, friday, 1, decided=cst(2026, 3, 9, 17, 1))  # a minute late
    await application(db, a, friday, 3, decided=cst(2026, 3, 20, 17))  # late by 8 days
    # Submitted in February (committed there), answered in March (answered here).
    await application(db, a, cst(2026, 2, 27, 9), 5, decided=cst(2026, 3, 2, 9))
    await db.commit()
    await login(client, "office@example.com")
    body = (await client.get("/api/v1/office/service-levels", params=MARCH)).json()
    (level,) = [b for b in body["banks"] if b["bank_id"] == str(a.bank.id)]
    assert level["committed"] == {
        "applications": 4,
        "median_days": "1.00",
        "min_days": 1,
        "max_days": 3,
    }
    # Working days: 1.00, 0.29 (Friday 17:00 to midnight), 1.00, 10.00, 1.00.
    assert level["actual"] == {
        "decisions": 5,
        "median_days": "1.00",
        "p90_days": "10.00",
        "within_commitment": 3,
        "past_commitment": 2,
        "share_within": "0.600000",
    }
    assert level["behind"] is False  # the median kept the commitment, nothing waits
    assert working_days_between(friday, cst(2026, 3, 7, 12)) == 0.29


async def test_withdrawn_applications_never_wait_and_only_the_banks_silence_releases_a_claim(
    client: AsyncTestClient[Litestar], db: AsyncSession, banks: tuple[Shop, Shop]
) -> None:
    a, _ = banks
    monday = cst(2026, 3, 2, 10)  # two working days: respond_by Wednesday 4 March, 10:00
    await application(db, a, monday, 2, withdrawn=cst(2026, 3, 10))  # a product's: not a claim
    await application(db, a, monday, 2, withdrawn=cst(2026, 3, 10), offer=True)  # released
    await application(db, a, monday, 2, withdrawn=cst(2026, 3, 3), offer=True)  # SME left early
    await application(db, a, monday, 2, decided=cst(2026, 3, 9), offer=True)  # answered late
    await application(db, a, monday, 2, offer=True)  # still waiting: waits, not released
    await application(db, a, utc_now(), 5)  # just submitted: not past its commitment
    await db.commit()
    await login(client, "office@example.com")
    body = (await client.get("/api/v1/office/service-levels", params=MARCH)).json()
    (level,) = [b for b in body["banks"] if b["bank_id"] == str(a.bank.id)]
    assert level["claims_released_unanswered"] == 1
    assert level["waiting_past_commitment"] == 1
    assert level["oldest_respond_by"] == cst(2026, 3, 4, 10).isoformat().replace("+00:00", "Z")
    assert level["behind"] is True
    assert body["banks"][0]["bank_id"] == str(a.bank.id)  # banks behind come first
    # A period that ends before the withdrawal counts no release.
    early = {"from": "2026-03-01", "to": "2026-03-09"}
    body = (await client.get("/api/v1/office/service-levels", params=early)).json()
    (level,) = [b for b in body["banks"] if b["bank_id"] == str(a.bank.id)]
    assert level["claims_released_unanswered"] == 0


async def test_the_overdue_list_names_each_application_past_its_commitment_longest_first(
    client: AsyncTestClient[Litestar], db: AsyncSession, banks: tuple[Shop, Shop]
) -> None:
    a, b = banks
    old = await application(db, a, cst(2026, 1, 5), 3, status=S.UNDER_REVIEW)
    newer = await application(db, b, cst(2026, 6, 1), 5)
    offer = await application(db, a, cst(2026, 9, 1), 2, status=S.SUBMITTED, offer=True)
    await application(db, a, cst(2026, 1, 5), 3, withdrawn=cst(2026, 2, 1))  # not waiting
    await application(db, a, cst(2026, 1, 5), 3, decided=cst(2026, 2, 1))  # answered
    await application(db, b, utc_now(), 3)  # not yet due
    await db.commit()
    await login(client, "office@example.com")
    got = await client.get("/api/v1/office/service-levels/overdue")
    assert got.status_code == 200, got.text
    page = got.json()
    assert page["total"] == 3
    assert [i["application_id"] for i in page["items"]] == [
        str(old.id),
        str(newer.id),
        str(offer.id),
    ]
    first = page["items"][0]
    as_of = dt.datetime.fromisoformat(page["as_of"])
    assert first["working_days_overdue"] == _text(
        Decimal(str(working_days_between(old.respond_by, as_of)))
    )
    assert first["bank_name"] == a.bank.name and first["enterprise_name"] == a.enterprise.name
    assert first["product"]["name_zh"] == a.version.content["name_zh"]
    assert first["status"] == "under_review" and first["response_days"] == 3
    assert page["items"][2]["product"]["type"] == "needs_offer"
    least = (await client.get("/api/v1/office/service-levels/overdue?sort=overdue&limit=1")).json()
    assert [i["application_id"] for i in least["items"]] == [str(offer.id)]
    assert least["total"] == 3
    second = (await client.get("/api/v1/office/service-levels/overdue?limit=1&offset=1")).json()
    assert [i["application_id"] for i in second["items"]] == [str(newer.id)]
    only_a = (
        await client.get(
            "/api/v1/office/service-levels/overdue", params={"bank_id": str(a.bank.id)}
        )
    ).json()
    assert [i["application_id"] for i in only_a["items"]] == [str(old.id), str(offer.id)]


# --- a bank's own view, and who may see what ------------------------------------------------------
async def test_a_bank_sees_its_own_figures_and_overdue_applications_only(
    client: AsyncTestClient[Litestar], db: AsyncSession, banks: tuple[Shop, Shop]
) -> None:
    a, b = banks
    await spread(db, a, seed=5, n=40)
    await spread(db, b, seed=6, n=40)
    await login(client, "staff@bank-a.example.com")
    got = await client.get(f"/api/v1/banks/{a.bank.id}/service-levels", params=MARCH)
    assert got.status_code == 200, got.text
    body = got.json()
    assert [level["bank_id"] for level in body["banks"]] == [str(a.bank.id)]
    assert body["total"] is None
    rows = await rows_of(db, a.bank.id)
    now = utc_now()
    assert figures(body["banks"][0]) == expected(
        rows, dt.date(2026, 3, 1), dt.date(2026, 3, 31), now
    )
    overdue = (
        await client.get(f"/api/v1/banks/{a.bank.id}/service-levels/overdue?limit=200")
    ).json()
    waiting = {str(r.id) for r in rows if r.status in WAITING and r.respond_by < now}
    assert {i["application_id"] for i in overdue["items"]} == waiting and overdue["total"] == len(
        waiting
    )
    assert {i["bank_id"] for i in overdue["items"]} == {str(a.bank.id)}
    # Bank B's figures and list are not bank A's to read.
    for url in (
        f"/api/v1/banks/{b.bank.id}/service-levels",
        f"/api/v1/banks/{b.bank.id}/service-levels/overdue",
    ):
        refused = await client.get(url)
        assert refused.status_code == 403, url
        assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("email", ["staff@bank-a.example.com", "admin@example.com", "sme"])
async def test_only_the_office_reads_the_office_desk(
    client: AsyncTestClient[Litestar], banks: tuple[Shop, Shop], email: str
) -> None:
    a, _ = banks
    await login(client, a.user.email if email == "sme" else email)
    for url in (
        "/api/v1/office/service-levels",
        "/api/v1/office/service-levels/overdue",
        "/api/v1/office/alerts",
    ):
        assert (await client.get(url)).status_code == 403, url


@pytest.mark.parametrize("email", ["office@example.com", "admin@example.com", "sme"])
async def test_a_banks_service_levels_are_for_its_own_users_only(
    client: AsyncTestClient[Litestar], banks: tuple[Shop, Shop], email: str
) -> None:
    a, _ = banks
    await login(client, a.user.email if email == "sme" else email)
    for url in (
        f"/api/v1/banks/{a.bank.id}/service-levels",
        f"/api/v1/banks/{a.bank.id}/service-levels/overdue",
    ):
        assert (await client.get(url)).status_code == 403, url


async def test_nobody_reads_service_levels_without_a_session(
    client: AsyncTestClient[Litestar], banks: tuple[Shop, Shop]
) -> None:
    a, _ = banks
    for url in ("/api/v1/office/service-levels", f"/api/v1/banks/{a.bank.id}/service-levels"):
        assert (await client.get(url)).status_code == 401, url


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, 422, "to"),
        ({"from": "2000-01-01", "to": "2026-03-01"}, 422, "from"),
        ({"from": "1999-12-31", "to": "2000-01-05"}, 422, "from"),
        ({"to": "2199-01-01"}, 422, "to"),
        ({"from": "2026-02-30"}, 422, "from"),
        ({"to": "20260301"}, 422, "to"),
    ],
)
async def test_a_period_is_checked(
    client: AsyncTestClient[Litestar],
    banks: tuple[Shop, Shop],
    params: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    await login(client, "office@example.com")
    got = await client.get("/api/v1/office/service-levels", params=params)
    assert got.status_code == status, got.text
    if field is not None:
        assert [e["field"] for e in got.json()["errors"]] == [field]


async def test_the_period_defaults_to_the_last_ninety_days(
    client: AsyncTestClient[Litestar], banks: tuple[Shop, Shop]
) -> None:
    await login(client, "office@example.com")
    body = (await client.get("/api/v1/office/service-levels")).json()
    start, end = (dt.date.fromisoformat(body["period"][k]) for k in ("from", "to"))
    assert (end - start).days == 89
    assert end == utc_now().astimezone(CHINA_TZ).date()
    assert {level["bank_code"] for level in body["banks"]} == {"BANK_A", "BANK_B"}
