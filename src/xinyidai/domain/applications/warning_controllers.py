"""A bank's post-loan warnings (贷后预警) under ``/api/v1/banks/{bank_id}/warnings``: its own
users only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.applications.warnings import LoanWarnings, WarningOut, WarningPage
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


class LoanWarningController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/warnings"
    tags = ["loans"]
    security = SESSION_SECURITY

    @get(
        "/",
        summary="The bank's post-loan warnings, newest first (its own users only)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def warnings(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[
            UUID | None, QueryParameter(description="`next_cursor` of the previous page")
        ] = None,
        unread: Annotated[bool, QueryParameter(description="Only the unread ones")] = False,
        loan_id: Annotated[UUID | None, QueryParameter(description="Only this loan's")] = None,
    ) -> WarningPage:
        return await LoanWarnings(db).page(
            bank_id, principal, limit=limit, cursor=cursor, unread_only=unread, loan_id=loan_id
        )

    @post(
        "/{warning_id:uuid}/read",
        status_code=200,
        summary="Mark one of the bank's post-loan warnings read",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def read(
        self,
        bank_id: FromPath[UUID],
        warning_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> WarningOut:
        return await LoanWarnings(db).mark_read(bank_id, warning_id, principal)
