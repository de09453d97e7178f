"""SME registry endpoints."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.enterprises.schemas import EnterpriseOut, EnterprisePage, EnterpriseUpdate
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_enterprises(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> EnterpriseService:
    return EnterpriseService(db, request.app.state.cipher)


class EnterpriseController(Controller):
    path = "/api/v1/enterprises"
    tags = ["enterprises"]
    security = SESSION_SECURITY
    dependencies = {"enterprises": Provide(provide_enterprises, sync_to_thread=False)}

    @get(
        "/",
        summary="Search the SME registry (credit office)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def search(
        self,
        principal: NamedDependency[Principal],
        enterprises: NamedDependency[EnterpriseService],
        q: Annotated[
            str | None, QueryParameter(max_length=100, description="Name or USCC contains")
        ] = None,
        district: Annotated[str | None, QueryParameter(pattern=r"^\d{6}$")] = None,
        section: Annotated[str | None, QueryParameter(pattern=r"^[A-Ta-t]$")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> EnterprisePage:
        return await enterprises.search(
            principal, q=q, district=district, section=section, limit=limit, offset=offset
        )

    @get(
        "/{enterprise_id:uuid}",
        summary="One enterprise (its own users and the credit office)",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def read(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        enterprises: NamedDependency[EnterpriseService],
    ) -> EnterpriseOut:
        return await enterprises.get(enterprise_id, principal)

    @patch(
        "/{enterprise_id:uuid}",
        summary="Correct the enterprise's own registration data",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def update(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[EnterpriseUpdate],
        principal: NamedDependency[Principal],
        enterprises: NamedDependency[EnterpriseService],
    ) -> EnterpriseOut:
        return await enterprises.update(enterprise_id, data, principal)
