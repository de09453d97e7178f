"""The credit profile and the access log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal, require_readable_enterprise
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.profiles.access import AccessLog, AccessLogPage
from xinyidai.infra.errors import NotFound
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


class ProfileOut(msgspec.Struct, kw_only=True):
    enterprise_id: UUID
    version: int
    format: str
    content_hash: str
    as_of: dt.date
    built_at: dt.datetime
    reason: str
    content: dict[str, Any]


class ProfileController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}"
    tags = ["profiles"]
    security = SESSION_SECURITY

    @get(
        "/profile",
        summary="The latest credit profile snapshot",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def profile(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> ProfileOut:
        require_readable_enterprise(principal, enterprise_id)
        snapshot = await snapshots.latest(db, enterprise_id)
        if snapshot is None:
            raise NotFound("no profile has been built for this enterprise yet")
        await AccessLog(db).record(
            enterprise_id, principal, resource="profile", detail=f"version {snapshot.version}"
        )
        return ProfileOut(
            enterprise_id=enterprise_id,
            version=snapshot.version,
            format=snapshot.format,
            content_hash=snapshot.content_hash,
            as_of=snapshot.as_of,
            built_at=snapshot.created_at,
            reason=snapshot.reason,
            content=snapshot.content,
        )

    @get(
        "/access-log",
        summary="Who read this enterprise's data (its own users only)",
        responses=problem_responses(400, 401, 404, 422, 503),
    )
    async def access_log(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> AccessLogPage:
        return await AccessLog(db).for_enterprise(
            enterprise_id, principal, limit=limit, offset=offset
        )
