"""The credit profile and the access log."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.profiles.schemas import AccessLogPage, ProfileOut
from xinyidai.domain.profiles.services import ProfileService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_profiles(db: NamedDependency[AsyncSession]) -> ProfileService:
    return ProfileService(db)


class ProfileController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}"
    tags = ["profiles"]
    security = SESSION_SECURITY
    dependencies = {"profiles": Provide(provide_profiles, sync_to_thread=False)}

    @get(
        "/profile",
        summary="The latest credit profile snapshot",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def profile(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        profiles: NamedDependency[ProfileService],
    ) -> ProfileOut:
        return await profiles.latest(enterprise_id, principal)

    @get(
        "/access-log",
        summary="Who read this enterprise's data (its own users only)",
        responses=problem_responses(400, 401, 404, 422, 503),
    )
    async def access_log(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        profiles: NamedDependency[ProfileService],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> AccessLogPage:
        return await profiles.access_log(enterprise_id, principal, limit=limit, offset=offset)
