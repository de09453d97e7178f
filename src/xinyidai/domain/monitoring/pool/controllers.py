"""The pool in the portal: the credit office's desk (``/api/v1/office/pool``: years and caps,
rule sets, the priority list, registrations, claims, the ledger and balances) and each bank's
own registrations and claims (``/api/v1/banks/{bank_id}/pool``). Banks and SMEs get 403 on
every office endpoint; a bank's endpoints are for its own users only (403), and another bank's
claim or loan is not found (404)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import (
    Principal,
    authenticate,
    require_bank_user,
    require_role,
)
from xinyidai.domain.monitoring.pool import ledger
from xinyidai.domain.monitoring.pool.claims import PoolClaims
from xinyidai.domain.monitoring.pool.rules import PoolRules
from xinyidai.domain.monitoring.pool.schemas import (
    PoolBalances,
    PoolCapIn,
    PoolClaimIn,
    PoolClaimOut,
    PoolClaimPage,
    PoolEntryPage,
    PoolRegistrationPage,
    PoolRejectIn,
    PoolRuleSetIn,
    PoolRuleSetOut,
    PoolYearOut,
    PriorityFirmEnd,
    PriorityFirmIn,
    PriorityFirmOut,
)
from xinyidai.domain.monitoring.pool.vocabulary import PoolClaimStatus
from xinyidai.domain.monitoring.pool.years import PoolYears, check_year
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import Role

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=100_000)]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2199, description="A pool year")]
PathYear = FromPath[int]


def _office(principal: Principal) -> None:
    require_role(principal, Role.OFFICE)


async def office_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The controller's guard: the credit office only (403 for anyone else), checked before
    the body is read, so a bank or an SME learns nothing from the endpoint's validation."""
    _office(await authenticate(connection))


def _near_share(request: Request[Any, Any, Any]) -> Any:
    return request.app.state.settings.pool_alert_share


class OfficePoolController(Controller):
    path = "/api/v1/office/pool"
    tags = ["credit office", "risk-compensation pool"]
    security = SESSION_SECURITY
    guards = [office_only]

    @get(
        "/years",
        summary="Pool years, newest first: cap, approved, pending, remaining, exposure",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def years(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> list[PoolYearOut]:
        _office(principal)
        return await PoolYears(db).overview(near_share=_near_share(request))

    @put(
        "/years/{year:int}",
        summary="Set a year's cap: the difference is an allocation entry (audit-logged)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def set_cap(
        self,
        request: Request[Any, Any, Any],
        year: PathYear,
        data: JSONBody[PoolCapIn],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PoolYearOut:
        _office(principal)
        check_year(year)
        return await PoolYears(db).set_cap(
            year, data.cap, principal, note=data.note, near_share=_near_share(request)
        )

    @get(
        "/rule-sets",
        summary="The pool's rule sets with their validity dates and share bands",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def rule_sets(
        self, principal: NamedDependency[Principal], db: NamedDependency[AsyncSession]
    ) -> list[PoolRuleSetOut]:
        _office(principal)
        return await PoolRules(db).rule_sets()

    @post(
        "/rule-sets",
        status_code=201,
        summary="Add a rule set from a date (audit-logged); validity periods never overlap",
        responses=problem_responses(400, 401, 403, 409, 422, 503),
    )
    async def add_rule_set(
        self,
        data: JSONBody[PoolRuleSetIn],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PoolRuleSetOut:
        _office(principal)
        return await PoolRules(db).add_rule_set(data, principal)

    @get(
        "/priority-firms",
        summary="The priority list (重点企业名单); only those listed on `on` if given",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def priority_firms(
        self,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        on: Annotated[dt.date | None, QueryParameter()] = None,
    ) -> list[PriorityFirmOut]:
        _office(principal)
        return await PoolRules(db).firms(on=on)

    @post(
        "/priority-firms",
        status_code=201,
        summary="Put a firm on the priority list for a period (audit-logged)",
        responses=problem_responses(400, 401, 403, 409, 422, 503),
    )
    async def add_priority_firm(
        self,
        data: JSONBody[PriorityFirmIn],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PriorityFirmOut:
        _office(principal)
        return await PoolRules(db).add_firm(data, principal)

    @post(
        "/priority-firms/{firm_id:uuid}/end",
        status_code=200,
        summary="End a firm's listing on a date (audit-logged)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def end_priority_firm(
        self,
        firm_id: FromPath[UUID],
        data: JSONBody[PriorityFirmEnd],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PriorityFirmOut:
        _office(principal)
        return await PoolRules(db).end_firm(firm_id, data.valid_to, principal)

    @get(
        "/registrations",
        summary="Disbursed loans as the pool decided on them: registered with their share, or "
        "not with the reasons",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def registrations(
        self,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        year: Year = None,
        bank_id: Annotated[UUID | None, QueryParameter()] = None,
        eligible: Annotated[bool | None, QueryParameter()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PoolRegistrationPage:
        _office(principal)
        return await PoolClaims(db).registrations(
            bank_id=bank_id, year=year, eligible=eligible, limit=limit, offset=offset
        )

    @get(
        "/claims",
        summary="Claims, newest first",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def claims(
        self,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        status: Annotated[PoolClaimStatus | None, QueryParameter()] = None,
        year: Year = None,
        bank_id: Annotated[UUID | None, QueryParameter()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PoolClaimPage:
        _office(principal)
        return await PoolClaims(db).claims(
            bank_id=bank_id, year=year, status=status, limit=limit, offset=offset
        )

    @post(
        "/claims/{pool_claim_id:uuid}/approve",
        status_code=200,
        summary="Approve a claim: the compensation is a ledger entry (audit-logged); 409 while "
        "the bank's compensation is paused or past the year's cap",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def approve(
        self,
        pool_claim_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PoolClaimOut:
        _office(principal)
        return await PoolClaims(db).approve(pool_claim_id, principal)

    @post(
        "/claims/{pool_claim_id:uuid}/reject",
        status_code=200,
        summary="Reject a claim with a reason (audit-logged)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def reject(
        self,
        pool_claim_id: FromPath[UUID],
        data: JSONBody[PoolRejectIn],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PoolClaimOut:
        _office(principal)
        return await PoolClaims(db).reject(pool_claim_id, data.reason, principal)

    @get(
        "/ledger",
        summary="Ledger entries with their lines, newest first; of a year, an account, a bank",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def ledger_entries(
        self,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        year: Year = None,
        account: Annotated[str | None, QueryParameter(max_length=100)] = None,
        bank_id: Annotated[UUID | None, QueryParameter()] = None,
        limit: Limit = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=64, description="`next_cursor` of the previous page"),
        ] = None,
    ) -> PoolEntryPage:
        _office(principal)
        return await ledger.entries(
            db, year=year, account=account, bank_id=bank_id, limit=limit, cursor=cursor
        )

    @get(
        "/balances",
        summary="Every account's balance (sums of its lines) and the sum of all lines (0.00)",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def balances(
        self,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        year: Year = None,
    ) -> PoolBalances:
        _office(principal)
        return await ledger.balances(db, year=year)


async def own_bank_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The bank controller's guard: the bank's own users only (403), before the body is read."""
    bank_id = connection.path_params["bank_id"]
    require_bank_user(await authenticate(connection), bank_id, "use its pool account")


class BankPoolController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/pool"
    tags = ["risk-compensation pool"]
    security = SESSION_SECURITY
    guards = [own_bank_only]

    @get(
        "/registrations",
        summary="The bank's loans as the pool decided on them",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def registrations(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        year: Year = None,
        eligible: Annotated[bool | None, QueryParameter()] = None,
        defaulted: Annotated[bool | None, QueryParameter()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PoolRegistrationPage:
        require_bank_user(principal, bank_id, "read its pool registrations")
        return await PoolClaims(db).registrations(
            bank_id=bank_id,
            year=year,
            eligible=eligible,
            defaulted=defaulted,
            limit=limit,
            offset=offset,
        )

    @get(
        "/claims",
        summary="The bank's claims, newest first",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def claims(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
        status: Annotated[PoolClaimStatus | None, QueryParameter()] = None,
        year: Year = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PoolClaimPage:
        require_bank_user(principal, bank_id, "read its pool claims")
        return await PoolClaims(db).claims(
            bank_id=bank_id, year=year, status=status, limit=limit, offset=offset
        )

    @get(
        "/claims/{pool_claim_id:uuid}",
        summary="One of the bank's claims",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def claim(
        self,
        bank_id: FromPath[UUID],
        pool_claim_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PoolClaimOut:
        require_bank_user(principal, bank_id, "read its pool claims")
        return await PoolClaims(db).claim(pool_claim_id, bank_id=bank_id)

    @post(
        "/claims",
        status_code=201,
        summary="File a claim on a defaulted registered loan (paused while the bank's loss "
        "rate exceeds the threshold)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def file_claim(
        self,
        bank_id: FromPath[UUID],
        data: JSONBody[PoolClaimIn],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> PoolClaimOut:
        require_bank_user(principal, bank_id, "claim for its loans")
        return await PoolClaims(db).file(bank_id, data.loan_id, principal)
