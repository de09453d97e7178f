"""The needs pool over HTTP: the SME's needs under ``/api/v1/enterprises/{id}/needs``, the
bank's view of the pool under ``/api/v1/banks/{bank_id}/needs-pool`` and its claims under
``/api/v1/banks/{bank_id}/claims``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.needs.anonymise import AmountBand, GradeBand, SizeBand
from xinyidai.domain.needs.flows import AcceptFlow
from xinyidai.domain.needs.schemas import (
    AcceptClaim,
    Accepted,
    BankClaimOut,
    ClaimCreate,
    Listing,
    ListingPage,
    NeedCreate,
    NeedOut,
    SmeClaimOut,
)
from xinyidai.domain.needs.services import NeedService, PoolFilter
from xinyidai.domain.needs.vocabulary import NeedClaimStatus, NeedPurpose
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_needs(db: NamedDependency[AsyncSession]) -> NeedService:
    return NeedService(db)


def provide_accept_flow(db: NamedDependency[AsyncSession]) -> AcceptFlow:
    return AcceptFlow(db)


class NeedController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}/needs"
    tags = ["needs"]
    security = SESSION_SECURITY
    dependencies = {
        "needs": Provide(provide_needs, sync_to_thread=False),
        "accept_flow": Provide(provide_accept_flow, sync_to_thread=False),
    }

    @post(
        "/",
        status_code=201,
        summary="Post a financing need (融资需求): banks see it anonymised in the pool",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def post_need(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[NeedCreate],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> NeedOut:
        return await needs.post(enterprise_id, data, principal)

    @get(
        "/",
        summary="The SME's needs, newest first, each with how the pool shows it",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def list_needs(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> list[NeedOut]:
        return await needs.of_enterprise(enterprise_id, principal)

    @get(
        "/{need_id:uuid}",
        summary="One of the SME's needs",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def get_need(
        self,
        enterprise_id: FromPath[UUID],
        need_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> NeedOut:
        return await needs.one(enterprise_id, need_id, principal)

    @post(
        "/{need_id:uuid}/withdraw",
        status_code=200,
        summary="Withdraw an open need (its open claims are cancelled)",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def withdraw(
        self,
        enterprise_id: FromPath[UUID],
        need_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> NeedOut:
        return await needs.withdraw(enterprise_id, need_id, principal)

    @get(
        "/{need_id:uuid}/claims",
        summary="The banks' claims on the need, with each bank's name and offer",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def claims(
        self,
        enterprise_id: FromPath[UUID],
        need_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> list[SmeClaimOut]:
        return await needs.claims_on(enterprise_id, need_id, principal)

    @post(
        "/{need_id:uuid}/claims/{claim_id:uuid}/accept",
        status_code=200,
        summary="Accept a claim: a consent for that bank (purpose `need`) with the families "
        "chosen; the other claims lose; only this bank learns who the SME is",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def accept(
        self,
        enterprise_id: FromPath[UUID],
        need_id: FromPath[UUID],
        claim_id: FromPath[UUID],
        data: JSONBody[AcceptClaim],
        principal: NamedDependency[Principal],
        accept_flow: NamedDependency[AcceptFlow],
    ) -> Accepted:
        return await accept_flow.accept(enterprise_id, need_id, claim_id, data, principal)


class NeedsPoolController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/needs-pool"
    tags = ["needs"]
    security = SESSION_SECURITY
    dependencies = {"needs": Provide(provide_needs, sync_to_thread=False)}

    @get(
        "/",
        summary="The anonymised pool of open needs (the bank's users and admins), newest "
        "first; filters apply to what is shown",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def pool(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
        industry: Annotated[
            str | None,
            QueryParameter(
                pattern=r"^([A-T]|\d{2})$",
                description="A section letter or a division, as listings show them",
            ),
        ] = None,
        district: Annotated[
            str | None,
            QueryParameter(pattern=r"^\d{6}$", description="A district or a city (…00) code"),
        ] = None,
        amount_band: Annotated[AmountBand | None, QueryParameter()] = None,
        grade_band: Annotated[GradeBand | None, QueryParameter()] = None,
        size_band: Annotated[SizeBand | None, QueryParameter()] = None,
        purpose: Annotated[NeedPurpose | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> ListingPage:
        keep = PoolFilter(
            industry=industry,
            district=district,
            amount_band=amount_band,
            grade_band=grade_band,
            size_band=size_band,
            purpose=purpose,
        )
        return await needs.pool(bank_id, principal, keep, limit=limit, offset=offset)

    @get(
        "/{listing_id:uuid}",
        summary="One listing of the pool (a listing's id is its need's)",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def listing(
        self,
        bank_id: FromPath[UUID],
        listing_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> Listing:
        return await needs.listing(bank_id, listing_id, principal)

    @post(
        "/{listing_id:uuid}/claims",
        status_code=201,
        summary="Claim a listing (抢单) with an offer; one live claim per bank and need",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def claim(
        self,
        bank_id: FromPath[UUID],
        listing_id: FromPath[UUID],
        data: JSONBody[ClaimCreate],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> BankClaimOut:
        return await needs.claim(bank_id, listing_id, data, principal)


class BankClaimController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/claims"
    tags = ["needs"]
    security = SESSION_SECURITY
    dependencies = {"needs": Provide(provide_needs, sync_to_thread=False)}

    @get(
        "/",
        summary="The bank's claims, newest first; the SME is named only on claims it won",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def list_claims(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
        status: Annotated[NeedClaimStatus | None, QueryParameter()] = None,
    ) -> list[BankClaimOut]:
        return await needs.bank_claims(bank_id, principal, status)

    @get(
        "/{claim_id:uuid}",
        summary="One of the bank's claims",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def get_claim(
        self,
        bank_id: FromPath[UUID],
        claim_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> BankClaimOut:
        return await needs.bank_claim(bank_id, claim_id, principal)

    @post(
        "/{claim_id:uuid}/withdraw",
        status_code=200,
        summary="Withdraw an open claim",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def withdraw(
        self,
        bank_id: FromPath[UUID],
        claim_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        needs: NamedDependency[NeedService],
    ) -> BankClaimOut:
        return await needs.withdraw_claim(bank_id, claim_id, principal)
