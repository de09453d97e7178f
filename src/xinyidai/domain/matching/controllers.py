"""``GET /api/v1/enterprises/{id}/matches``: the SME's own matches."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.matching.schemas import MatchesOut
from xinyidai.domain.matching.services import MatchService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


class MatchController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}/matches"
    tags = ["matching"]
    security = SESSION_SECURITY

    @get(
        "/",
        summary="Every product on offer for the SME: eligible or not and why, what would change "
        "it, the estimated limit and rate (its own users only; nothing is logged or shared)",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def matches(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        state: State,
    ) -> MatchesOut:
        return await MatchService(db, state.redis).for_enterprise(enterprise_id, principal)
