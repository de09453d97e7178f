"""The demo city's needs pool (融资需求): a dozen open needs posted by demo SMEs (one of them by
the demo SME login's enterprise), and a few offers on them by the two demo banks that have
logins, so the SME's needs page and the bank's pool and claims are full on first start.
Deterministic: the same needs every time, their deadlines counted from the day of seeding."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec
from sqlalchemy import func, select

from xinyidai.dates import china_today, utc_now
from xinyidai.domain.accounts.guards import principal_of
from xinyidai.domain.demo.city import BANKS, demo_enterprises
from xinyidai.domain.needs.schemas import ClaimCreate, NeedCreate
from xinyidai.domain.needs.services import NeedService, check_amount, check_rate
from xinyidai.domain.needs.vocabulary import NeedStatus
from xinyidai.infra.text import clean_text
from xinyidai.models import Bank, Enterprise, EnterpriseClaim, Need, Role, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class DemoNeed:
    firm: int  # the index of the poster among the demo city's firms (0: the demo SME login's)
    amount: str
    term_months: int
    purpose: str
    max_rate: str
    days_left: int  # the deadline, counted from the day of seeding
    days_ago: int  # when it was posted
    note: str | None = None


DEMO_NEEDS: tuple[DemoNeed, ...] = (
    DemoNeed(0, "800000", 12, "working_capital", "0.045", 30, 2, "旺季备货，希望两周内放款。"),
    DemoNeed(2, "300000", 6, "orders", "0.055", 20, 1),
    DemoNeed(3, "1500000", 24, "equipment", "0.042", 45, 3, "购置两台数控机床。"),
    DemoNeed(5, "5000000", 36, "expansion", "0.039", 60, 5),
    DemoNeed(7, "200000", 12, "working_capital", "0.068", 15, 0),
    DemoNeed(8, "2500000", 12, "renewal", "0.040", 25, 4, "现有贷款下月到期，申请续贷。"),
    DemoNeed(11, "650000", 18, "equipment", "0.050", 40, 6),
    DemoNeed(13, "12000000", 36, "expansion", "0.036", 75, 8),
    DemoNeed(17, "450000", 6, "orders", "0.085", 10, 1),
    DemoNeed(19, "3200000", 24, "working_capital", "0.047", 50, 2),
    DemoNeed(23, "900000", 12, "other", "0.060", 35, 7),
    DemoNeed(29, "1000000", 12, "renewal", "0.043", 30, 3),
)
"""A dozen open needs of varied size, purpose and rate cap. Each is a valid ``NeedCreate``."""


@dataclass(frozen=True, slots=True)
class DemoClaim:
    need: int  # the index in ``DEMO_NEEDS``
    bank: int  # the index in ``BANKS`` (a bank with a demo login: 0 or 1)
    amount: str
    rate: str
    term_months: int
    conditions: tuple[str, ...]
    response_days: int


DEMO_CLAIMS: tuple[DemoClaim, ...] = (
    # An offer on the demo SME's own need, by the second demo bank: it sees one on first login.
    DemoClaim(0, 1, "800000", "0.0415", 12, ("settlement_account",), 5),
    DemoClaim(2, 0, "1500000", "0.0395", 24, ("site_visit", "financial_statements"), 5),
    DemoClaim(5, 0, "2500000", "0.0385", 12, ("turnover_to_bank",), 7),
    DemoClaim(5, 1, "2000000", "0.0399", 12, (), 5),
)
"""A few offers by the two demo banks with logins (``bank@`` and ``bank2@demo.xinyidai.test``)."""


def demo_need_bodies() -> list[NeedCreate]:
    """The demo needs as the API would take them, deadlines counted from today (China time)."""
    today = china_today()
    return [
        msgspec.convert(
            {
                "amount": spec.amount,
                "term_months": spec.term_months,
                "purpose": spec.purpose,
                "max_rate": spec.max_rate,
                "deadline": (today + dt.timedelta(days=spec.days_left)).isoformat(),
                **({"note": spec.note} if spec.note else {}),
            },
            NeedCreate,
            strict=False,
        )
        for spec in DEMO_NEEDS
    ]


async def seed_demo_needs(session: AsyncSession) -> tuple[int, int]:
    """Post the demo needs and the demo banks' offers on them, unless any need exists.

    The demo SMEs are not verified yet when the city is seeded (verification follows), so the
    needs are written as their owners' posts with the checks the service makes, rather than
    through its guard; the offers go through the service as the demo banks' users make them,
    so each is on a listing the pool shows. Returns (needs, claims) seeded. Does not commit."""
    if await session.scalar(select(func.count()).select_from(Need)):
        return 0, 0
    firms = demo_enterprises(max(spec.firm for spec in DEMO_NEEDS) + 1)
    usccs = [firms[spec.firm].uscc for spec in DEMO_NEEDS]
    posters: dict[str, tuple[UUID, UUID]] = {}
    rows = await session.execute(
        select(Enterprise.uscc, Enterprise.id, EnterpriseClaim.user_id)
        .join(EnterpriseClaim, EnterpriseClaim.uscc == Enterprise.uscc)
        .where(Enterprise.uscc.in_(usccs))
        .order_by(EnterpriseClaim.created_at)
    )
    for uscc, enterprise_id, user_id in rows:
        posters.setdefault(uscc, (enterprise_id, user_id))  # the first account that claimed it
    now = utc_now()
    needs: list[Need | None] = []
    for spec, body, uscc in zip(DEMO_NEEDS, demo_need_bodies(), usccs, strict=True):
        poster = posters.get(uscc)
        if poster is None:  # a city seeded without that firm or its owner
            needs.append(None)
            continue
        enterprise_id, user_id = poster
        need = Need(
            enterprise_id=enterprise_id,
            created_by=user_id,
            status=NeedStatus.OPEN,
            amount=check_amount("amount", body.amount),
            term_months=body.term_months,
            purpose=body.purpose,
            note=clean_text("note", body.note, kind="text") if body.note else None,
            max_rate=check_rate("max_rate", body.max_rate),
            deadline=body.deadline,
            created_at=now - dt.timedelta(days=spec.days_ago, hours=spec.firm % 7),
        )
        session.add(need)
        needs.append(need)
    await session.flush()

    service = NeedService(session)
    claimed = 0
    for offer in DEMO_CLAIMS:
        target = needs[offer.need]
        code = BANKS[offer.bank][0]
        user = await session.scalar(
            select(User)
            .join(Bank, Bank.id == User.bank_id)
            .where(Bank.short_code == code, User.role == Role.BANK.value)
            .order_by(User.created_at)
            .limit(1)
        )
        if target is None or user is None or user.bank_id is None:
            continue
        await service.claim(
            user.bank_id,
            target.id,
            msgspec.convert(
                {
                    "amount": offer.amount,
                    "rate": offer.rate,
                    "term_months": offer.term_months,
                    "conditions": list(offer.conditions),
                    "response_days": offer.response_days,
                },
                ClaimCreate,
                strict=False,
            ),
            principal_of(user),
        )
        claimed += 1
    return sum(n is not None for n in needs), claimed
