"""A bank's intake (where the relay delivers its applications), under ``/api/v1/banks/{bank_id}``:
its own users only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.applications.intakes import BankIntakes
from xinyidai.domain.applications.relay_schemas import IntakeIn, IntakeOut
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_intakes(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> BankIntakes:
    state = request.app.state
    return BankIntakes(db, state.cipher, state.webhook_policy)


class BankIntakeController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/intake"
    tags = ["banks"]
    security = SESSION_SECURITY
    dependencies = {"intakes": Provide(provide_intakes, sync_to_thread=False)}

    @get(
        "/",
        summary="Where the platform delivers the bank's applications (its own users only); "
        "null when it has none and polls instead. The client secret is never shown",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def show(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        intakes: NamedDependency[BankIntakes],
    ) -> IntakeOut | None:
        return await intakes.show(bank_id, principal)

    @put(
        "/",
        summary="Set the bank's intake: its URL, and the token endpoint and client the platform "
        "uses to call it (OAuth 2.0 client credentials); both URLs https with a public host",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def set(
        self,
        bank_id: FromPath[UUID],
        data: JSONBody[IntakeIn],
        principal: NamedDependency[Principal],
        intakes: NamedDependency[BankIntakes],
    ) -> IntakeOut:
        return await intakes.set(bank_id, data, principal)

    @delete(
        "/",
        summary="Remove the bank's intake: it polls for its applications from now on",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def remove(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        intakes: NamedDependency[BankIntakes],
    ) -> None:
        await intakes.remove(bank_id, principal)
