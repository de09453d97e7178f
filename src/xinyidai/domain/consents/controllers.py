"""SME data authorisations: grant, list, revoke."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.consents.schemas import AuthorizationCreate, AuthorizationOut
from xinyidai.domain.consents.services import AuthorizationService, to_out
from xinyidai.domain.credit_data.sync import queue_sync
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


class AuthorizationController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}/data-authorizations"
    tags = ["authorisations"]
    security = SESSION_SECURITY

    @post(
        "/",
        status_code=201,
        summary="Authorise the platform to fetch data families",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def grant(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[AuthorizationCreate],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        request: Request[Any, Any, Any],
    ) -> AuthorizationOut:
        auth = await AuthorizationService(db).grant(enterprise_id, data, principal)
        run = await queue_sync(
            db,
            request.app.state.queue.enqueue,
            enterprise_id,
            trigger="authorisation",
            requested_by=principal.user_id,
        )
        return to_out(auth, dt.datetime.now(dt.UTC), run.id)

    @get(
        "/",
        summary="The SME's authorisations, live and past",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def list_authorisations(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> list[AuthorizationOut]:
        now = dt.datetime.now(dt.UTC)
        return [
            to_out(a, now) for a in await AuthorizationService(db).list(enterprise_id, principal)
        ]

    @delete(
        "/{authorization_id:uuid}",
        status_code=200,
        summary="Revoke an authorisation",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def revoke(
        self,
        enterprise_id: FromPath[UUID],
        authorization_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> AuthorizationOut:
        auth = await AuthorizationService(db).revoke(enterprise_id, authorization_id, principal)
        return to_out(auth, dt.datetime.now(dt.UTC))
