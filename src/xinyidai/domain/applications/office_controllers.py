"""The credit office's desk for application deliveries: dead letters and requeueing."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.applications.dead_letters import DeadLetters
from xinyidai.domain.applications.relay_schemas import OfficeDeliveryOut, OfficeDeliveryPage
from xinyidai.domain.applications.vocabulary import OutboxStatus
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_dead_letters(db: NamedDependency[AsyncSession]) -> DeadLetters:
    return DeadLetters(db)


class OfficeDeliveryController(Controller):
    path = "/api/v1/office/deliveries"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {"dead_letters": Provide(provide_dead_letters, sync_to_thread=False)}

    @get(
        "/",
        summary="Applications' deliveries to their banks, newest first: dead letters unless "
        "another status is asked for (the credit office only)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def deliveries(
        self,
        principal: NamedDependency[Principal],
        dead_letters: NamedDependency[DeadLetters],
        status: Annotated[OutboxStatus, QueryParameter()] = OutboxStatus.DEAD,
        bank_id: Annotated[UUID | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=64, description="`next_cursor` of the previous page"),
        ] = None,
    ) -> OfficeDeliveryPage:
        return await dead_letters.deliveries(
            principal, status=status, bank_id=bank_id, limit=limit, cursor=cursor
        )

    @post(
        "/{delivery_id:uuid}/requeue",
        status_code=200,
        summary="Deliver a dead or failed application again: attempts from zero, the first "
        "one now (audit-logged)",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def requeue(
        self,
        delivery_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        dead_letters: NamedDependency[DeadLetters],
    ) -> OfficeDeliveryOut:
        return await dead_letters.requeue(delivery_id, principal)
