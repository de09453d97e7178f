"""The pool's part of the demo city's history (``make run``): every disbursed history loan gets
the registration decision the disbursement hook would have made (computed in bulk: the
history's loans are written with COPY, not through ``LoanService``), the years open with their
caps, and the banks claim a few defaulted loans, some of which the office has approved (the
ledger moves) and one of which has had a recovery paid back.

Seeded once: a database with any registration is left alone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select
from uuid_utils.compat import uuid7

from xinyidai.dates import china_today
from xinyidai.domain.accounts.guards import principal_of
from xinyidai.domain.applications.loans import LoanService
from xinyidai.domain.applications.schemas import LoanEventIn
from xinyidai.domain.applications.vocabulary import Actor, ApplicationStatus, LoanEventKind
from xinyidai.domain.monitoring.pool import rules
from xinyidai.domain.monitoring.pool.claims import PoolClaims
from xinyidai.domain.monitoring.pool.hooks import IP_PLEDGE, NEEDS_OFFER
from xinyidai.domain.monitoring.pool.vocabulary import (
    GUANGZHOU_PREFIX,
    Ineligible,
    PoolClaimStatus,
)
from xinyidai.domain.monitoring.pool.years import open_year
from xinyidai.infra.errors import Conflict
from xinyidai.models import (
    Application,
    Enterprise,
    EnterpriseStatus,
    Loan,
    PoolPriorityFirm,
    PoolRegistration,
    PoolRuleSet,
    PoolShareBand,
    ProductVersion,
    Role,
    User,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CLAIMS_PER_BANK = 3
"""How many defaulted loans each demo bank with a user has claimed (its most recent defaults)."""
APPROVED_PER_BANK = 2
"""How many of those the office has approved (if not paused)."""
PRIORITY_FIRMS = 12


@dataclass(frozen=True, slots=True)
class PoolReport:
    registered: int
    not_registered: int
    claims: int
    approved: int


async def seed_demo_pool(session: AsyncSession) -> PoolReport:
    """Register the history's disbursed loans, then file and decide a few claims. Does not
    commit."""
    if await session.scalar(select(PoolRegistration.id).limit(1)) is not None:
        return PoolReport(0, 0, 0, 0)
    await _priority_firms(session)
    registered, refused = await _register_all(session)
    claims, approved = await _claims(session)
    return PoolReport(registered, refused, claims, approved)


async def _priority_firms(session: AsyncSession) -> None:
    """A dozen demo SMEs on the priority list from the start of the rules."""
    rows = await session.execute(
        select(Enterprise.uscc, Enterprise.name).order_by(Enterprise.uscc).limit(PRIORITY_FIRMS)
    )
    session.add_all(
        PoolPriorityFirm(uscc=uscc, name=name, valid_from=dt.date(2025, 1, 1), note="demo")
        for uscc, name in rows
    )
    await session.flush()


async def _register_all(session: AsyncSession) -> tuple[int, int]:
    sets = list(await session.scalars(select(PoolRuleSet)))
    bands = list(await session.scalars(select(PoolShareBand)))
    listed = list(await session.scalars(select(PoolPriorityFirm)))
    rows = await session.execute(
        select(
            Loan,
            Enterprise.uscc,
            Enterprise.status,
            Enterprise.district_code,
            ProductVersion.content,
        )
        .join(Enterprise, Enterprise.id == Loan.enterprise_id)
        .join(Application, Application.id == Loan.application_id)
        .outerjoin(ProductVersion, ProductVersion.id == Application.product_version_id)
        .where(Loan.disbursed_on.is_not(None))
        .outerjoin(PoolRegistration, PoolRegistration.loan_id == Loan.id)
        .where(PoolRegistration.id.is_(None))
    )
    made: list[PoolRegistration] = []
    years: dict[int, PoolRuleSet] = {}
    for loan, uscc, status, district, content in rows:
        day, principal = loan.disbursed_on, loan.disbursed_amount
        assert day is not None and principal is not None
        product_type = str((content or {}).get("type") or NEEDS_OFFER) if content else NEEDS_OFFER
        ip_pledge = product_type == IP_PLEDGE
        found = next(
            (s for s in sets if s.valid_from <= day and (s.valid_to is None or s.valid_to >= day)),
            None,
        )
        priority = any(
            f.uscc == uscc and f.valid_from <= day and (f.valid_to is None or f.valid_to >= day)
            for f in listed
        )
        reasons: list[str] = []
        if status != EnterpriseStatus.ACTIVE:
            reasons.append(Ineligible.ENTERPRISE_INACTIVE)
        if not district.startswith(GUANGZHOU_PREFIX):
            reasons.append(Ineligible.OUTSIDE_CITY)
        if not (loan.unsecured or ip_pledge):
            reasons.append(Ineligible.SECURED)
        share = None
        if found is None:
            reasons.append(Ineligible.NO_RULES)
        else:
            share = rules.share_of(
                found,
                [b for b in bands if b.rule_set_id == found.id],
                principal,
                priority_or_ip=priority or ip_pledge,
                pboc=loan.pboc_funded,
            )
            if share is None:
                reasons.append(Ineligible.ABOVE_BANDS)
        eligible = not reasons and share is not None
        if eligible and found is not None:
            years.setdefault(day.year, found)
        made.append(
            PoolRegistration(
                id=uuid7(),
                loan_id=loan.id,
                bank_id=loan.bank_id,
                enterprise_id=loan.enterprise_id,
                year=day.year,
                disbursed_on=day,
                principal=principal,
                eligible=eligible,
                reasons=[str(r) for r in reasons],
                rule_set_id=found.id if found is not None else None,
                product_type=product_type,
                priority_firm=priority,
                ip_pledge=ip_pledge,
                pboc_funded=bool(loan.pboc_funded),
                band_share=share.band if eligible and share else None,
                bonus=share.bonus if eligible and share else None,
                share=share.total if eligible and share else None,
            )
        )
    session.add_all(made)
    await session.flush()
    for year, found in sorted(years.items()):
        await open_year(session, year, found.annual_cap, actor_id="demo-history")
    registered = sum(1 for r in made if r.eligible)
    return registered, len(made) - registered


async def _claims(session: AsyncSession) -> tuple[int, int]:
    """Each bank with a user claims its most recent defaults of registered loans (leaving at
    least one unclaimed, for the bank to claim in the portal); the office approves the first
    ones that are not paused; one of them gets a recovery."""
    office = await session.scalar(select(User).where(User.role == Role.OFFICE).limit(1))
    bank_users = {
        user.bank_id: user
        for user in await session.scalars(
            select(User).where(User.role == Role.BANK).order_by(User.created_at.desc())
        )
        if user.bank_id is not None
    }
    if office is None:
        return 0, 0
    claims = PoolClaims(session)
    filed = approved = 0
    recovered = False
    for bank_id, user in sorted(bank_users.items(), key=lambda item: str(item[1].email)):
        defaulted = list(
            await session.scalars(
                select(Loan.id)
                .join(PoolRegistration, PoolRegistration.loan_id == Loan.id)
                .join(Application, Application.id == Loan.application_id)
                .where(
                    Loan.bank_id == bank_id,
                    PoolRegistration.eligible,
                    Application.status == ApplicationStatus.DEFAULTED,
                    Loan.loss_amount > 0,
                )
                .order_by(Loan.defaulted_on.desc(), Loan.id)
            )
        )
        for n, loan_id in enumerate(defaulted[: min(CLAIMS_PER_BANK, len(defaulted) - 1)]):
            claim = await claims.file(bank_id, loan_id, principal_of(user))
            filed += 1
            if n >= APPROVED_PER_BANK or claim.status != PoolClaimStatus.PENDING:
                continue
            try:
                await claims.approve(claim.id, principal_of(office))
            except Conflict:
                continue
            approved += 1
            if not recovered:
                recovered = await _recover(session, loan_id, user)
    return filed, approved


async def _recover(session: AsyncSession, loan_id: UUID, user: User) -> bool:
    """A fifth of the loss recovered today, reported as the bank would (the pool is paid back)."""
    loan = await session.get_one(Loan, loan_id)
    part = ((loan.loss_amount or Decimal(0)) / 5).quantize(Decimal("0.01"))
    if part <= 0:
        return False
    await LoanService(session).record(
        loan.bank_id,
        loan.id,
        LoanEventIn(kind=LoanEventKind.RECOVERY, occurred_on=china_today(), amount=part),
        f"demo-pool-recovery-{loan.id}",
        actor=Actor.BANK,
        actor_id=str(user.id),
        future_days=0,
    )
    return True
