"""SME data authorizations (to the platform) and bank consents: grant, list, revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal, require_bank_or_admin
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.flows import GrantFlow
from xinyidai.domain.consents.schemas import (
    AuthorizationCreate,
    AuthorizationOut,
    BankConsentCreate,
    BankConsentOut,
)
from xinyidai.domain.consents.services import AuthorizationService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_authorizations(db: NamedDependency[AsyncSession]) -> AuthorizationService:
    return AuthorizationService(db)


def provide_grant_flow(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> GrantFlow:
    return GrantFlow(db, request.app.state.queue.enqueue)


class AuthorizationController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}/data-authorizations"
    tags = ["authorizations"]
    security = SESSION_SECURITY
    dependencies = {
        "authorizations": Provide(provide_authorizations, sync_to_thread=False),
        "grant_flow": Provide(provide_grant_flow, sync_to_thread=False),
    }

    @post(
        "/",
        status_code=201,
        summary="Authorize the platform to fetch data families",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def grant(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[AuthorizationCreate],
        principal: NamedDependency[Principal],
        grant_flow: NamedDependency[GrantFlow],
    ) -> AuthorizationOut:
        return await grant_flow.grant(enterprise_id, data, principal)

    @get(
        "/",
        summary="The SME's authorizations, live and past",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def list_authorizations(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        authorizations: NamedDependency[AuthorizationService],
    ) -> list[AuthorizationOut]:
        return await authorizations.list(enterprise_id, principal)

    @delete(
        "/{authorization_id:uuid}",
        status_code=200,
        summary="Revoke an authorization",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def revoke(
        self,
        enterprise_id: FromPath[UUID],
        authorization_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        authorizations: NamedDependency[AuthorizationService],
    ) -> AuthorizationOut:
        return await authorizations.revoke(enterprise_id, authorization_id, principal)


def provide_bank_consents(db: NamedDependency[AsyncSession]) -> BankConsentService:
    return BankConsentService(db)


class BankConsentController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}/bank-consents"
    tags = ["bank consents"]
    security = SESSION_SECURITY
    dependencies = {"bank_consents": Provide(provide_bank_consents, sync_to_thread=False)}

    @post(
        "/",
        status_code=201,
        summary="Consent to a bank reading some of the SME's data (and its score)",
        description="Families must be ones the platform holds a live authorization for; "
        "`score` may always be shared. At most 12 months, 90 days by default.",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def grant(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[BankConsentCreate],
        principal: NamedDependency[Principal],
        bank_consents: NamedDependency[BankConsentService],
    ) -> BankConsentOut:
        return await bank_consents.grant(enterprise_id, data, principal)

    @get(
        "/",
        summary="The SME's bank consents, live and past",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def list_consents(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        bank_consents: NamedDependency[BankConsentService],
    ) -> list[BankConsentOut]:
        return await bank_consents.of_enterprise(enterprise_id, principal)

    @delete(
        "/{consent_id:uuid}",
        status_code=200,
        summary="Revoke a bank consent (the bank's next request is refused)",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def revoke(
        self,
        enterprise_id: FromPath[UUID],
        consent_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        bank_consents: NamedDependency[BankConsentService],
    ) -> BankConsentOut:
        return await bank_consents.revoke(enterprise_id, consent_id, principal)


class HeldConsentController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/consents"
    tags = ["bank consents"]
    security = SESSION_SECURITY
    dependencies = {"bank_consents": Provide(provide_bank_consents, sync_to_thread=False)}

    @get(
        "/",
        summary="The consents the bank holds, live and past (its own users and admins)",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def held(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        bank_consents: NamedDependency[BankConsentService],
    ) -> list[BankConsentOut]:
        require_bank_or_admin(principal, bank_id)
        return await bank_consents.held_by(bank_id)
