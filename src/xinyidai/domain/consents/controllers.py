"""SME data authorizations: grant, list, revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.consents.flows import GrantFlow
from xinyidai.domain.consents.schemas import AuthorizationCreate, AuthorizationOut
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
