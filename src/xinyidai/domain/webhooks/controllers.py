"""A bank's webhook URL and its delivery log, under ``/api/v1/banks/{bank_id}``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.webhooks.schemas import DeliveryPage, WebhookEndpointIn, WebhookEndpointOut
from xinyidai.domain.webhooks.services import Webhooks
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import DeliveryStatus


def provide_webhooks(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> Webhooks:
    return Webhooks(db, request.app.state.webhook_policy)


class WebhookController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}"
    tags = ["banks"]
    security = SESSION_SECURITY
    dependencies = {"webhooks": Provide(provide_webhooks, sync_to_thread=False)}

    @get(
        "/webhook",
        summary="The bank's webhook URL (its own users and admins only); null when none is set",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def webhook(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        webhooks: NamedDependency[Webhooks],
    ) -> WebhookEndpointOut | None:
        return await webhooks.endpoint(bank_id, principal)

    @put(
        "/webhook",
        summary="Set the bank's webhook URL (https, a public host; checked again at each delivery)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def set_webhook(
        self,
        bank_id: FromPath[UUID],
        data: JSONBody[WebhookEndpointIn],
        principal: NamedDependency[Principal],
        webhooks: NamedDependency[Webhooks],
    ) -> WebhookEndpointOut:
        return await webhooks.set_endpoint(bank_id, data.url, principal)

    @delete(
        "/webhook",
        summary="Stop sending the bank webhooks",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def remove_webhook(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        webhooks: NamedDependency[Webhooks],
    ) -> None:
        await webhooks.remove_endpoint(bank_id, principal)

    @get(
        "/webhook-deliveries",
        summary="The bank's webhook deliveries, newest first (its own users and admins only)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def deliveries(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        webhooks: NamedDependency[Webhooks],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=64, description="`next_cursor` of the previous page"),
        ] = None,
        status: Annotated[DeliveryStatus | None, QueryParameter()] = None,
    ) -> DeliveryPage:
        return await webhooks.deliveries(
            bank_id, principal, limit=limit, cursor=cursor, status=status
        )
