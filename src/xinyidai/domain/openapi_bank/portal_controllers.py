"""The bank API as the bank's users see it in the portal (session, not OAuth)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.openapi_bank.usage import MAX_DAYS, ApiUsage, ApiUsageOut
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


class ApiUsageController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/api-usage"
    tags = ["banks"]
    security = SESSION_SECURITY

    @get(
        "/",
        summary="The bank's calls to the bank API per day, client and action (its own users "
        "and admins only)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def usage(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        days: Annotated[
            int, QueryParameter(ge=1, le=MAX_DAYS, description="How many days back, today included")
        ] = 30,
    ) -> ApiUsageOut:
        return await ApiUsage(db).of_bank(bank_id, principal, days)
