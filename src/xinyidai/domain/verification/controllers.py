"""Claim and verification endpoints: the SME's own claim, the identity service round trip, and
the credit office's queue and revocation."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.controllers import client_address
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.enterprises.schemas import EnterpriseCreate
from xinyidai.domain.verification.schemas import (
    AlertClose,
    AlertOut,
    AlertPage,
    ClaimOut,
    Code,
    State,
    VerificationRevoke,
    VerificationStart,
)
from xinyidai.domain.verification.services import ClaimService, alert_out, claim_out
from xinyidai.infra.http import SESSION_SECURITY, problem_handler, problem_responses
from xinyidai.models import AlertStatus


def provide_claims(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> ClaimService:
    state = request.app.state
    return ClaimService(db, state.redis, state.identity, state.cipher)


class ClaimController(Controller):
    path = "/api/v1"
    tags = ["verification"]
    security = SESSION_SECURITY
    dependencies = {"claims": Provide(provide_claims, sync_to_thread=False)}

    @get(
        "/claim",
        summary="This account's claim to be an enterprise, and its verification",
        responses=problem_responses(401, 404, 503),
    )
    async def show(
        self, principal: NamedDependency[Principal], claims: NamedDependency[ClaimService]
    ) -> ClaimOut:
        return claim_out(await claims.own(principal))

    @put(
        "/claim",
        summary="Restate the claim (until it is verified)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def replace(
        self,
        data: JSONBody[EnterpriseCreate],
        principal: NamedDependency[Principal],
        claims: NamedDependency[ClaimService],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        outcome = await claims.restate(
            principal, data, address=client_address(request, request.app.state.settings)
        )
        if isinstance(outcome, Exception):  # refused, and reported to the office: commit that
            return problem_handler(request, outcome)
        return Response(claim_out(outcome))

    @post(
        "/claim/verification",
        status_code=201,
        summary="Start verification: a link to the identity service for the legal representative",
        responses=problem_responses(401, 403, 404, 409, 503),
    )
    async def start(
        self, principal: NamedDependency[Principal], claims: NamedDependency[ClaimService]
    ) -> VerificationStart:
        return await claims.start(principal)

    @get(
        "/verification/callback",
        summary="Where the identity service sends the legal representative back",
        description="Completes the verification started by `POST /api/v1/claim/verification`: "
        "the code is redeemed, the ID token verified and matched against the claim.",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def callback(
        self,
        principal: NamedDependency[Principal],
        claims: NamedDependency[ClaimService],
        link_state: Annotated[State, QueryParameter(name="state")],
        code: Annotated[Code | None, QueryParameter()] = None,
        error: Annotated[Code | None, QueryParameter()] = None,
        iss: Annotated[Code | None, QueryParameter(description="RFC 9207 issuer")] = None,
    ) -> ClaimOut:
        return claim_out(
            await claims.complete(principal, state=link_state, code=code, error=error, issuer=iss)
        )


class OfficeVerificationController(Controller):
    path = "/api/v1/office"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {"claims": Provide(provide_claims, sync_to_thread=False)}

    @get(
        "/verification-alerts",
        summary="Claims on enterprises someone already verified (possible squatting)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def alerts(
        self,
        principal: NamedDependency[Principal],
        claims: NamedDependency[ClaimService],
        status: Annotated[AlertStatus | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> AlertPage:
        return await claims.alerts(principal, status=status, limit=limit, offset=offset)

    @post(
        "/verification-alerts/{alert_id:uuid}/close",
        status_code=200,
        summary="Close an alert with a note",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def close_alert(
        self,
        alert_id: FromPath[UUID],
        data: JSONBody[AlertClose],
        principal: NamedDependency[Principal],
        claims: NamedDependency[ClaimService],
    ) -> AlertOut:
        return alert_out(await claims.close_alert(alert_id, data.note, principal))

    @post(
        "/enterprises/{enterprise_id:uuid}/verification/revoke",
        status_code=200,
        summary="Revoke an enterprise's verification (its live authorizations end too)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def revoke(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[VerificationRevoke],
        principal: NamedDependency[Principal],
        claims: NamedDependency[ClaimService],
    ) -> ClaimOut:
        return claim_out(await claims.revoke(enterprise_id, data.reason, principal))
