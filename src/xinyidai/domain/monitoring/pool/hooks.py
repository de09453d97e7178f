"""What the pool does when a bank reports a loan event, in the event's transaction
(``LoanService.record`` calls :func:`loan_event` once per new event; replays never reach it).

* ``disbursed``: the loan is registered if eligible, with its share computed now under the rules
  in force on the disbursement date; else the reasons are recorded. Eligible: a credit
  (unsecured) loan, or an IP-pledge loan (the rules reward those, so they are in scope though
  the pledge is collateral), to an enterprise of the city's registry that is active and whose
  district is in Guangzhou (``4401xx``), of a principal within the share bands, with a rule set
  in force. Every enterprise of the registry is an SME (the platform's registry holds only SMEs).
* ``recovery``: if the loan's claim was approved, the pool is paid back pro rata (the recovery ×
  the compensated share, to the cent half up, never more than the compensation in total).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from xinyidai.domain.applications.vocabulary import LoanEventKind
from xinyidai.domain.monitoring.pool import ledger, rules
from xinyidai.domain.monitoring.pool.vocabulary import (
    GUANGZHOU_PREFIX,
    Ineligible,
    PoolClaimStatus,
    PoolEntryKind,
)
from xinyidai.domain.monitoring.pool.years import open_year
from xinyidai.models import (
    Application,
    Enterprise,
    EnterpriseStatus,
    Loan,
    LoanEvent,
    PoolClaim,
    PoolLedgerEntry,
    PoolLedgerLine,
    PoolRegistration,
    ProductVersion,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

IP_PLEDGE = "ip_pledge"
NEEDS_OFFER = "needs_offer"


async def loan_event(session: AsyncSession, loan: Loan, event: LoanEvent) -> None:
    """The pool's part of a new loan event."""
    if event.kind == LoanEventKind.DISBURSED:
        await register(session, loan)
    elif event.kind == LoanEventKind.RECOVERY:
        await pay_back(session, loan, event)


async def _product_type(session: AsyncSession, loan: Loan) -> str:
    application = await session.get_one(Application, loan.application_id)
    if application.product_version_id is None:
        return NEEDS_OFFER
    version = await session.get_one(ProductVersion, application.product_version_id)
    return str(version.content.get("type") or "")


async def register(session: AsyncSession, loan: Loan) -> PoolRegistration:
    """Decide once whether the disbursed ``loan`` belongs to the pool (a second call returns
    the first decision)."""
    earlier = await session.scalar(
        select(PoolRegistration).where(PoolRegistration.loan_id == loan.id)
    )
    if earlier is not None:
        return earlier
    assert loan.disbursed_on is not None and loan.disbursed_amount is not None
    day, principal = loan.disbursed_on, loan.disbursed_amount
    enterprise = await session.get_one(Enterprise, loan.enterprise_id)
    product_type = await _product_type(session, loan)
    ip_pledge = product_type == IP_PLEDGE
    reasons: list[str] = []
    if enterprise.status != EnterpriseStatus.ACTIVE:
        reasons.append(Ineligible.ENTERPRISE_INACTIVE)
    if not enterprise.district_code.startswith(GUANGZHOU_PREFIX):
        reasons.append(Ineligible.OUTSIDE_CITY)
    if not (loan.unsecured or ip_pledge):
        reasons.append(Ineligible.SECURED)
    found = await rules.in_force(session, day)
    priority = await rules.on_priority_list(session, enterprise.uscc, day)
    share = None
    if found is None:
        reasons.append(Ineligible.NO_RULES)
    else:
        share = rules.share_of(
            found[0],
            found[1],
            principal,
            priority_or_ip=priority or ip_pledge,
            pboc=loan.pboc_funded,
        )
        if share is None:
            reasons.append(Ineligible.ABOVE_BANDS)
    eligible = not reasons
    registration = PoolRegistration(
        loan_id=loan.id,
        bank_id=loan.bank_id,
        enterprise_id=loan.enterprise_id,
        year=day.year,
        disbursed_on=day,
        principal=principal,
        eligible=eligible,
        reasons=[str(r) for r in reasons],
        rule_set_id=found[0].id if found is not None else None,
        product_type=product_type or None,
        priority_firm=priority,
        ip_pledge=ip_pledge,
        pboc_funded=bool(loan.pboc_funded),
        band_share=share.band if eligible and share else None,
        bonus=share.bonus if eligible and share else None,
        share=share.total if eligible and share else None,
    )
    session.add(registration)
    await session.flush()
    if eligible and found is not None:
        await open_year(session, day.year, found[0].annual_cap)
    return registration


async def pay_back(session: AsyncSession, loan: Loan, event: LoanEvent) -> PoolLedgerEntry | None:
    """The pool's part of a recovery on a compensated loan, as a ledger entry."""
    claim = await session.scalar(
        select(PoolClaim)
        .where(PoolClaim.loan_id == loan.id, PoolClaim.status == PoolClaimStatus.APPROVED)
        .with_for_update()
    )
    if claim is None or event.amount is None:
        return None
    fund, bank = ledger.fund(claim.year), ledger.bank_account(claim.year, claim.bank_id)
    paid = await session.scalar(
        select(func.coalesce(func.sum(PoolLedgerLine.amount), 0))
        .join(PoolLedgerEntry, PoolLedgerEntry.id == PoolLedgerLine.entry_id)
        .where(
            PoolLedgerEntry.claim_id == claim.id,
            PoolLedgerEntry.kind == PoolEntryKind.RECOVERY,
            PoolLedgerLine.account == fund,
        )
    )
    due = min(ledger.cents(event.amount * claim.share), claim.compensation - Decimal(paid or 0))
    if due <= 0:
        return None
    return await ledger.post(
        session,
        kind=PoolEntryKind.RECOVERY,
        year=claim.year,
        lines=[(fund, due), (bank, -due)],
        memo=f"追偿返还 / recovery paid back: {event.amount} × {claim.share}",
        bank_id=claim.bank_id,
        claim_id=claim.id,
        loan_event_id=event.id,
        actor_id=event.reported_by,
        detail={"recovered": str(event.amount), "share": str(claim.share)},
    )
