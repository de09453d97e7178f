"""``/openapi/v1`` for applications and loans: what a bank's server calls with a DPoP-bound
token holding the ``applications`` scope. Every call is audited with the bank's client."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.applications.controllers import REPLAYED
from xinyidai.domain.applications.feed import BankFeed
from xinyidai.domain.applications.idempotency import IdempotencyKey
from xinyidai.domain.applications.loans import LoanService
from xinyidai.domain.applications.schemas import (
    ApplicationDocument,
    ApplicationFeed,
    ApplicationOut,
    Decided,
    DecisionIn,
    LoanEventIn,
    LoanEventResult,
    ReasonCode,
)
from xinyidai.domain.applications.services import ApplicationService
from xinyidai.domain.applications.vocabulary import Actor, RejectReason
from xinyidai.domain.openapi_bank.auth import BankCaller, provide_caller
from xinyidai.domain.openapi_bank.controllers import DPOP_SECURITY, RATE_LIMIT_HEADERS
from xinyidai.domain.openapi_bank.limits import headers_of
from xinyidai.domain.openapi_bank.services import BankPulls
from xinyidai.infra.db import unit_of_work
from xinyidai.infra.http import problem_responses
from xinyidai.settings import Settings

SCOPE = "applications"

REASON_WORDS: dict[RejectReason, tuple[str, str]] = {
    RejectReason.CREDIT_GRADE: ("信用等级不满足", "Credit grade below the bank's threshold"),
    RejectReason.DEBT_CAPACITY: ("偿债能力不足", "Insufficient capacity to repay"),
    RejectReason.AMOUNT_TOO_HIGH: ("申请金额超出可贷额度", "Amount above what can be lent"),
    RejectReason.NEGATIVE_RECORDS: ("存在不良公共信用记录", "Negative public credit records"),
    RejectReason.INSUFFICIENT_DATA: ("经营数据不足", "Not enough operating data"),
    RejectReason.INDUSTRY_POLICY: ("行业政策限制", "Industry policy restrictions"),
    RejectReason.OPERATING_HISTORY: ("经营年限不足", "Operating history too short"),
    RejectReason.EXISTING_EXPOSURE: ("现有负债过高", "Existing debt too high"),
    RejectReason.INCOMPLETE_DOCUMENTS: ("材料不全", "Incomplete documents"),
    RejectReason.OTHER: ("其他原因", "Other (see the note)"),
}


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def provide_feed(request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> BankFeed:
    return BankFeed(db, _settings(request).issuer)


def _doc_only(out: ApplicationOut) -> dict[str, Any]:
    return {"application_id": str(out.id), "status": out.status.value}


class BankApplicationApiController(Controller):
    path = "/"
    tags = ["bank API"]
    security = DPOP_SECURITY
    dependencies = {
        "caller": Provide(provide_caller),
        "feed": Provide(provide_feed, sync_to_thread=False),
    }

    @get(
        "/reason-codes",
        summary="The reasons a rejection may give",
        response_headers=RATE_LIMIT_HEADERS,
        responses=problem_responses(400, 401, 403, 429, 503),
    )
    async def reason_codes(
        self, request: Request[Any, Any, Any], caller: NamedDependency[BankCaller]
    ) -> Response[list[ReasonCode]]:
        codes = [ReasonCode(code=c, zh=zh, en=en) for c, (zh, en) in REASON_WORDS.items()]
        return Response(codes, headers=headers_of(request))

    @get(
        "/applications",
        summary="Your bank's applications, oldest first, with a cursor",
        description=f"Scope `{SCOPE}`. For banks without an intake URL: an application's first "
        "read here is its delivery.",
        response_headers=RATE_LIMIT_HEADERS,
        responses=problem_responses(400, 401, 403, 422, 429, 503),
    )
    async def list_applications(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
        feed: NamedDependency[BankFeed],
        cursor: Annotated[str | None, QueryParameter(max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Response[ApplicationFeed]:
        caller.require_scope(SCOPE)
        page = await feed.page(caller.bank_id, cursor, limit)
        waiting = [doc.id for doc in page.items if doc.status == "submitted"]
        if waiting:
            # The read is autocommitted; the acknowledgement is one transaction of its own.
            async with unit_of_work(request.app.state.db_sessions.write) as tx:
                await BankFeed(tx, feed.base_url).acknowledge_polled(
                    caller.bank_id, waiting, caller.client_id
                )
        await BankPulls(db).audit(
            caller, "openapi.applications.list", 200, detail={"count": len(page.items)}
        )
        return Response(page, headers=headers_of(request))

    @get(
        "/applications/{application_id:uuid}",
        summary="One of your bank's applications",
        response_headers=RATE_LIMIT_HEADERS,
        responses=problem_responses(400, 401, 403, 404, 429, 503),
    )
    async def get_application(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        caller: NamedDependency[BankCaller],
        feed: NamedDependency[BankFeed],
    ) -> Response[ApplicationDocument]:
        caller.require_scope(SCOPE)
        return Response(await feed.one(caller.bank_id, application_id), headers=headers_of(request))

    @post(
        "/applications/{application_id:uuid}/review",
        status_code=200,
        summary="Mark an application under review",
        responses=problem_responses(400, 401, 403, 404, 409, 429, 503),
    )
    async def review(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
        feed: NamedDependency[BankFeed],
    ) -> Response[ApplicationDocument]:
        caller.require_scope(SCOPE)
        out = await ApplicationService(db).review(
            caller.bank_id, application_id, Actor.BANK_API, caller.client_id
        )
        await BankPulls(db).audit(
            caller,
            "openapi.applications.review",
            200,
            enterprise_id=out.enterprise_id,
            detail=_doc_only(out),
        )
        return Response(await feed.one(caller.bank_id, application_id), headers=headers_of(request))

    @post(
        "/applications/{application_id:uuid}/decision",
        status_code=200,
        summary="Approve (amount, annual rate, term) or reject (a reason code)",
        description=f"Scope `{SCOPE}`. 409 once decided or withdrawn; another bank's id 404.",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 429, 503),
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
    ) -> Response[Decided]:
        caller.require_scope(SCOPE)
        decided = await ApplicationService(db).decide(
            caller.bank_id, application_id, data, Actor.BANK_API, caller.client_id
        )
        await BankPulls(db).audit(
            caller,
            "openapi.applications.decide",
            200,
            enterprise_id=decided.application.enterprise_id,
            detail={**_doc_only(decided.application), "outcome": data.outcome.value},
        )
        return Response(decided, headers=headers_of(request))

    @post(
        "/loans/{loan_id:uuid}/events",
        status_code=200,
        summary="Report a loan event: disbursed, repayment, overdue, default, settled",
        description=f"Scope `{SCOPE}`. Send an `Idempotency-Key`: the same key and body return "
        "the first answer and record nothing new; another body 422.",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 429, 503),
    )
    async def loan_event(
        self,
        request: Request[Any, Any, Any],
        loan_id: FromPath[UUID],
        data: JSONBody[LoanEventIn],
        idempotency_key: IdempotencyKey,
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
    ) -> Response[LoanEventResult]:
        caller.require_scope(SCOPE)
        result, replayed = await LoanService(db).record(
            caller.bank_id,
            loan_id,
            data,
            idempotency_key,
            actor=Actor.BANK_API,
            actor_id=caller.client_id,
            future_days=_settings(request).loan_event_future_days,
        )
        await BankPulls(db).audit(
            caller,
            "openapi.loans.event",
            200,
            enterprise_id=result.loan.enterprise_id,
            detail={"loan_id": str(loan_id), "kind": data.kind.value, "replayed": replayed},
        )
        return Response(result, headers={REPLAYED: str(replayed).lower(), **headers_of(request)})
