"""Claims on defaulted registered loans: filed by the lending bank, approved or rejected by the
office; and the registrations each side may read.

* **Compensation** = the registered share × the net principal loss (the loss the bank reported
  less what it recovered before approval), to the cent, half up. Fixed at approval; recoveries
  after it are paid back pro rata (``hooks.pay_back``).
* **The yearly cap**: an approval that would take the year's compensation past its cap is
  refused (409, nothing written); the office may raise the cap or reject. No partial approval:
  a claim is compensated whole or not at all, so a claim's compensation is one number.
* **The pause**: a bank's *loss rate* for a pool year is the principal lost (net of recoveries)
  on its loans registered in that year, over the principal of its loans registered in that
  year. While it exceeds the rule set's ``pause_loss_rate`` (3%), the bank's claims of that year
  are filed as ``paused`` and approving one is refused (409); once the rate is back within the
  threshold (more loans registered, recoveries), the office approves it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from xinyidai.dates import utc_now
from xinyidai.domain.applications.vocabulary import ApplicationStatus
from xinyidai.domain.audit.services import AuditLog
from xinyidai.domain.monitoring.pool import ledger
from xinyidai.domain.monitoring.pool.schemas import (
    PoolClaimOut,
    PoolClaimPage,
    PoolRegistrationOut,
    PoolRegistrationPage,
)
from xinyidai.domain.monitoring.pool.vocabulary import (
    OPEN_POOL_CLAIMS,
    PoolClaimStatus,
    PoolEntryKind,
)
from xinyidai.domain.monitoring.pool.years import lock_year
from xinyidai.infra.errors import Conflict, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    ActorKind,
    Application,
    Bank,
    Enterprise,
    Loan,
    PoolClaim,
    PoolLedgerEntry,
    PoolLedgerLine,
    PoolRegistration,
    PoolRuleSet,
)

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

RATE_PLACES = Decimal("0.000001")


class CapExceeded(Conflict):
    """409: the approval would take the year past its cap."""


class Paused(Conflict):
    """409: the bank's compensation is paused (its loss rate is over the threshold)."""


async def loss_rate(session: AsyncSession, bank_id: UUID, year: int) -> Decimal | None:
    """Principal lost net of recoveries on the bank's loans registered in ``year``, over their
    registered principal (None when it registered nothing)."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(PoolRegistration.principal), 0),
                func.coalesce(
                    func.sum(func.coalesce(Loan.loss_amount, 0) - Loan.recovered_amount), 0
                ),
            )
            .join(Loan, Loan.id == PoolRegistration.loan_id)
            .where(
                PoolRegistration.bank_id == bank_id,
                PoolRegistration.year == year,
                PoolRegistration.eligible,
            )
        )
    ).one()
    principal, lost = Decimal(row[0]), Decimal(row[1])
    if principal <= 0:
        return None
    return (lost / principal).quantize(RATE_PLACES)


def _paid_back() -> Any:
    """Recoveries paid back to the pool on a claim (a correlated scalar subquery)."""
    return (
        select(func.coalesce(func.sum(PoolLedgerLine.amount), 0))
        .join(PoolLedgerEntry, PoolLedgerEntry.id == PoolLedgerLine.entry_id)
        .where(
            PoolLedgerEntry.claim_id == PoolClaim.id,
            PoolLedgerEntry.kind == PoolEntryKind.RECOVERY,
            PoolLedgerLine.amount > 0,
        )
        .correlate(PoolClaim)
        .scalar_subquery()
    )


def _claims() -> Select[Any]:
    return (
        select(
            PoolClaim,
            Bank.name,
            Enterprise.name,
            Enterprise.uscc,
            PoolRegistration.principal,
            _paid_back(),
        )
        .join(Bank, Bank.id == PoolClaim.bank_id)
        .join(PoolRegistration, PoolRegistration.id == PoolClaim.registration_id)
        .join(Enterprise, Enterprise.id == PoolRegistration.enterprise_id)
    )


def _claim_out(row: Any) -> PoolClaimOut:
    claim, bank_name, enterprise_name, uscc, principal, paid_back = row
    return PoolClaimOut(
        id=claim.id,
        loan_id=claim.loan_id,
        registration_id=claim.registration_id,
        bank_id=claim.bank_id,
        bank_name=bank_name,
        enterprise_name=enterprise_name,
        uscc=uscc,
        year=claim.year,
        status=PoolClaimStatus(claim.status),
        principal=principal.quantize(ledger.CENT),
        loss_amount=claim.loss_amount.quantize(ledger.CENT),
        recovered_before=claim.recovered_before.quantize(ledger.CENT),
        share=claim.share,
        compensation=claim.compensation.quantize(ledger.CENT),
        paid_back=Decimal(paid_back or 0).quantize(ledger.CENT),
        loss_rate=claim.loss_rate,
        reason=claim.reason,
        filed_at=claim.created_at,
        decided_at=claim.decided_at,
    )


def _registration_out(row: Any) -> PoolRegistrationOut:
    reg, bank_name, enterprise_name, uscc, status, loss, recovered, claim_id, claim_status = row
    return PoolRegistrationOut(
        id=reg.id,
        loan_id=reg.loan_id,
        bank_id=reg.bank_id,
        bank_name=bank_name,
        enterprise_id=reg.enterprise_id,
        enterprise_name=enterprise_name,
        uscc=uscc,
        year=reg.year,
        disbursed_on=reg.disbursed_on,
        principal=reg.principal.quantize(ledger.CENT),
        eligible=reg.eligible,
        reasons=list(reg.reasons),
        product_type=reg.product_type,
        priority_firm=reg.priority_firm,
        ip_pledge=reg.ip_pledge,
        pboc_funded=reg.pboc_funded,
        band_share=reg.band_share,
        bonus=reg.bonus,
        share=reg.share,
        loan_status=str(status),
        loss_amount=loss.quantize(ledger.CENT) if loss is not None else None,
        recovered_amount=recovered.quantize(ledger.CENT),
        claim_id=claim_id,
        claim_status=PoolClaimStatus(claim_status) if claim_status else None,
    )


class PoolClaims:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def registrations(
        self,
        *,
        bank_id: UUID | None = None,
        year: int | None = None,
        eligible: bool | None = None,
        defaulted: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> PoolRegistrationPage:
        """Registration decisions, newest disbursement first, with the loan's status and its
        live (not rejected) claim."""
        live = aliased(PoolClaim)
        query = (
            select(
                PoolRegistration,
                Bank.name,
                Enterprise.name,
                Enterprise.uscc,
                Application.status,
                Loan.loss_amount,
                Loan.recovered_amount,
                live.id,
                live.status,
            )
            .join(Bank, Bank.id == PoolRegistration.bank_id)
            .join(Enterprise, Enterprise.id == PoolRegistration.enterprise_id)
            .join(Loan, Loan.id == PoolRegistration.loan_id)
            .join(Application, Application.id == Loan.application_id)
            .outerjoin(
                live,
                (live.loan_id == PoolRegistration.loan_id)
                & (live.status != PoolClaimStatus.REJECTED),
            )
        )
        if bank_id is not None:
            query = query.where(PoolRegistration.bank_id == bank_id)
        if year is not None:
            query = query.where(PoolRegistration.year == year)
        if eligible is not None:
            query = query.where(PoolRegistration.eligible == eligible)
        if defaulted is not None:
            is_defaulted = Application.status == ApplicationStatus.DEFAULTED
            query = query.where(is_defaulted if defaulted else ~is_defaulted)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(
            query.order_by(PoolRegistration.disbursed_on.desc(), PoolRegistration.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return PoolRegistrationPage(
            items=[_registration_out(r) for r in rows],
            total=total or 0,
            limit=limit,
            offset=offset,
        )

    async def claims(
        self,
        *,
        bank_id: UUID | None = None,
        year: int | None = None,
        status: PoolClaimStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> PoolClaimPage:
        """Claims, newest first."""
        query = _claims()
        if bank_id is not None:
            query = query.where(PoolClaim.bank_id == bank_id)
        if year is not None:
            query = query.where(PoolClaim.year == year)
        if status is not None:
            query = query.where(PoolClaim.status == status)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(
            query.order_by(PoolClaim.id.desc()).limit(limit).offset(offset)
        )
        return PoolClaimPage(
            items=[_claim_out(r) for r in rows], total=total or 0, limit=limit, offset=offset
        )

    async def claim(self, claim_id: UUID, *, bank_id: UUID | None = None) -> PoolClaimOut:
        """One claim (of ``bank_id`` if given: another bank's is not found)."""
        query = _claims().where(PoolClaim.id == claim_id)
        if bank_id is not None:
            query = query.where(PoolClaim.bank_id == bank_id)
        row = (await self.session.execute(query)).one_or_none()
        if row is None:
            raise NotFound("no such claim")
        return _claim_out(row)

    async def file(self, bank_id: UUID, loan_id: UUID, principal: Principal) -> PoolClaimOut:
        """The bank's claim on its defaulted registered loan: ``pending``, or ``paused`` while
        its loss rate for the loan's pool year exceeds the threshold. 404 for a loan that is
        not the bank's or not registered; 409 if the loan has not defaulted or already has a
        live claim."""
        loan = await self.session.scalar(
            select(Loan).where(Loan.id == loan_id, Loan.bank_id == bank_id).with_for_update()
        )
        registration = await self.session.scalar(
            select(PoolRegistration).where(
                PoolRegistration.loan_id == loan_id, PoolRegistration.bank_id == bank_id
            )
        )
        if loan is None or registration is None:
            raise NotFound("no such loan registered in the pool")
        if not registration.eligible or registration.share is None:
            raise Conflict(
                "the loan was not registered in the pool: " + ", ".join(registration.reasons)
            )
        status = await self.session.scalar(
            select(Application.status).where(Application.id == loan.application_id)
        )
        if status != ApplicationStatus.DEFAULTED or not loan.loss_amount:
            raise Conflict("only a defaulted loan with a principal loss can be claimed")
        live = await self.session.scalar(
            select(PoolClaim.id).where(
                PoolClaim.loan_id == loan_id, PoolClaim.status != PoolClaimStatus.REJECTED
            )
        )
        if live is not None:
            raise Conflict("the loan already has a claim")
        base = loan.loss_amount - loan.recovered_amount
        if base <= 0:
            raise Conflict("the loss has been recovered in full: nothing to compensate")
        rate = await loss_rate(self.session, bank_id, registration.year)
        threshold = await self.session.scalar(
            select(PoolRuleSet.pause_loss_rate).where(PoolRuleSet.id == registration.rule_set_id)
        )
        paused = rate is not None and threshold is not None and rate > threshold
        claim = PoolClaim(
            registration_id=registration.id,
            loan_id=loan.id,
            bank_id=bank_id,
            year=registration.year,
            status=PoolClaimStatus.PAUSED if paused else PoolClaimStatus.PENDING,
            loss_amount=loan.loss_amount,
            recovered_before=loan.recovered_amount,
            share=registration.share,
            compensation=ledger.cents(registration.share * base),
            loss_rate=rate,
            filed_by=str(principal.user_id),
        )
        self.session.add(claim)
        await self.session.flush()
        await AuditLog(self.session).append(
            action="bank.pool.claim.file",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=201,
            bank_id=bank_id,
            enterprise_id=loan.enterprise_id,
            detail={
                "claim_id": str(claim.id),
                "loan_id": str(loan.id),
                "compensation": str(claim.compensation),
                "status": str(claim.status),
                "loss_rate": str(rate) if rate is not None else None,
            },
        )
        return await self.claim(claim.id)

    async def _open(self, claim_id: UUID) -> PoolClaim:
        claim = await self.session.scalar(
            select(PoolClaim).where(PoolClaim.id == claim_id).with_for_update()
        )
        if claim is None:
            raise NotFound("no such claim")
        if claim.status not in OPEN_POOL_CLAIMS:
            raise Conflict(f"the claim is {claim.status}: it has been decided")
        return claim

    async def approve(self, claim_id: UUID, principal: Principal) -> PoolClaimOut:
        """Compensate the bank: one ledger entry. 409 while the bank's compensation is paused,
        or if the year's cap would be exceeded (nothing is written then)."""
        claim = await self._open(claim_id)
        await lock_year(self.session, claim.year)
        loan = await self.session.get_one(Loan, claim.loan_id, with_for_update=True)
        threshold = await self.session.scalar(
            select(PoolRuleSet.pause_loss_rate)
            .join(PoolRegistration, PoolRegistration.rule_set_id == PoolRuleSet.id)
            .where(PoolRegistration.id == claim.registration_id)
        )
        rate = await loss_rate(self.session, claim.bank_id, claim.year)
        if rate is not None and threshold is not None and rate > threshold:
            raise Paused(
                f"the bank's loss rate for {claim.year} is {rate:.2%}, over the "
                f"{threshold:.2%} threshold: its compensation is paused"
            )
        base = (loan.loss_amount or Decimal(0)) - loan.recovered_amount
        compensation = ledger.cents(claim.share * base)
        room = await ledger.balance(self.session, ledger.fund(claim.year))
        if compensation > room:
            raise CapExceeded(
                f"compensating {compensation} yuan would exceed the {claim.year} cap: "
                f"{room} yuan remains (raise the cap or reject the claim)"
            )
        now = utc_now()
        claim.recovered_before = loan.recovered_amount
        claim.compensation = compensation
        claim.loss_rate = rate
        claim.status = PoolClaimStatus.APPROVED
        claim.decided_by = principal.user_id
        claim.decided_at = now
        if compensation > 0:
            await ledger.post(
                self.session,
                kind=PoolEntryKind.COMPENSATION,
                year=claim.year,
                lines=[
                    (ledger.bank_account(claim.year, claim.bank_id), compensation),
                    (ledger.fund(claim.year), -compensation),
                ],
                memo=f"风险补偿 / compensation: {claim.share} × {base}",
                bank_id=claim.bank_id,
                claim_id=claim.id,
                actor_id=str(principal.user_id),
                detail={
                    "loss": str(loan.loss_amount),
                    "recovered_before": str(loan.recovered_amount),
                },
            )
        await self._audit(
            "office.pool.claim.approve", claim, principal, compensation=str(compensation)
        )
        return await self.claim(claim.id)

    async def reject(self, claim_id: UUID, reason: str, principal: Principal) -> PoolClaimOut:
        """Refuse a pending or paused claim, with the reason (the bank may file again)."""
        reason = clean_text("reason", reason, kind="text")
        claim = await self._open(claim_id)
        claim.status = PoolClaimStatus.REJECTED
        claim.reason = reason
        claim.decided_by = principal.user_id
        claim.decided_at = utc_now()
        await self.session.flush()
        await self._audit("office.pool.claim.reject", claim, principal, reason=reason)
        return await self.claim(claim.id)

    async def _audit(
        self, action: str, claim: PoolClaim, principal: Principal, **detail: str
    ) -> None:
        await AuditLog(self.session).append(
            action=action,
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=200,
            bank_id=claim.bank_id,
            detail={"claim_id": str(claim.id), "loan_id": str(claim.loan_id), **detail},
        )
