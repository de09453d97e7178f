"""Accepting a claim: one use case across the needs pool and consents, in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from xinyidai.dates import china_today
from xinyidai.domain.accounts.guards import require_own_enterprise
from xinyidai.domain.applications.services import ApplicationService
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.schemas import BankConsentCreate
from xinyidai.domain.needs.schemas import AcceptClaim, Accepted
from xinyidai.domain.needs.services import NeedService
from xinyidai.models import ConsentPurpose

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal


class AcceptFlow:
    def __init__(self, session: AsyncSession) -> None:
        self.needs = NeedService(session)
        self.consents = BankConsentService(session)
        self.applications = ApplicationService(session)

    async def accept(
        self,
        enterprise_id: UUID,
        need_id: UUID,
        claim_id: UUID,
        data: AcceptClaim,
        principal: Principal,
    ) -> Accepted:
        """Accept one claim: a consent for its bank (purpose ``need``, the families chosen,
        which the platform must hold live authorizations for, plus ``score``), the need
        accepted, the claim won, every other open claim lost. The consent is granted before
        anything changes, so a refused consent (422) leaves the need and its claims as they
        were; the request's transaction holds the rest together, with the application the
        acceptance makes (the claim's offer, delivered to the bank like any other)."""
        require_own_enterprise(principal, enterprise_id)
        need, claim = await self.needs.lock_for_accept(
            enterprise_id, need_id, claim_id, today=china_today()
        )
        consent = await self.consents.grant(
            enterprise_id,
            BankConsentCreate(
                bank_id=claim.bank_id,
                families=data.families,
                purpose=ConsentPurpose.NEED,
                reference=f"need {need.id}",
                expires_at=data.expires_at,
            ),
            principal,
        )
        won = await self.needs.settle(need, claim, consent.id)
        application = await self.applications.from_claim(
            claim, need.purpose, need.note, consent.id, principal
        )
        return Accepted(
            need=await self.needs.need_out(need),
            claim=won,
            consent=consent,
            application_id=application.id,
        )
