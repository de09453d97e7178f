"""``/api/v1/me/notifications``: the signed-in SME user's notifications."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.notifications.schemas import NotificationOut, NotificationPage
from xinyidai.domain.notifications.services import Notifications
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


class MarkedRead(msgspec.Struct, kw_only=True):
    marked: int


class NotificationController(Controller):
    path = "/api/v1/me/notifications"
    tags = ["notifications"]
    security = SESSION_SECURITY

    @get(
        "/",
        summary="The user's notifications, newest first (an SME's: its enterprise's)",
        responses=problem_responses(400, 401, 422, 503),
    )
    async def notifications(
        self,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[
            UUID | None, QueryParameter(description="`next_cursor` of the previous page")
        ] = None,
        unread: Annotated[bool, QueryParameter(description="Only the unread ones")] = False,
    ) -> NotificationPage:
        return await Notifications(db).page(
            principal, limit=limit, cursor=cursor, unread_only=unread
        )

    @post(
        "/{notification_id:uuid}/read",
        status_code=200,
        summary="Mark a notification read",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def read(
        self,
        notification_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> NotificationOut:
        return await Notifications(db).mark_read(principal, notification_id)

    @post(
        "/read-all",
        status_code=200,
        summary="Mark every notification read",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def read_all(
        self, principal: NamedDependency[Principal], db: NamedDependency[AsyncSession]
    ) -> MarkedRead:
        return MarkedRead(marked=await Notifications(db).mark_all_read(principal))
