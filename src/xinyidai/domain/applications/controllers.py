"""Applications in the portal: the SME's (``/api/v1/applications``) and the bank users' inbox,
decisions and loans (``/api/v1/banks/{bank_id}/applications``, ``…/loans``)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal, require_bank_user
from xinyidai.domain.applications.idempotency import IdempotencyKey
from xinyidai.domain.applications.loans import LoanService
from xinyidai.domain.applications.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPage,
    Decided,
    DecisionIn,
    LoanEventIn,
    LoanEventResult,
    LoanOut,
)
from xinyidai.domain.applications.services import ApplicationService
from xinyidai.domain.applications.vocabulary import Actor, ApplicationStatus
from xinyidai.domain.openapi_bank.schemas import BankProfile
from xinyidai.domain.openapi_bank.services import BankPulls
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.settings import Settings

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Offset = Annotated[int, QueryParameter(ge=0, le=100_000)]
REPLAYED = "Idempotent-Replayed"


def provide_applications(db: NamedDependency[AsyncSession]) -> ApplicationService:
    return ApplicationService(db)


def provide_loans(db: NamedDependency[AsyncSession]) -> LoanService:
    return LoanService(db)


class ApplicationController(Controller):
    path = "/api/v1/applications"
    tags = ["applications"]
    security = SESSION_SECURITY
    dependencies = {"applications": Provide(provide_applications, sync_to_thread=False)}

    @post(
        "/",
        status_code=201,
        summary="Apply for a product: the application, the bank's consent and its delivery, "
        "in one step",
        description="Send an `Idempotency-Key`: the same key and body return the first result "
        f"(with `{REPLAYED}: true`); another body 422; while the first is in flight, 409.",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def submit(
        self,
        data: JSONBody[ApplicationCreate],
        idempotency_key: IdempotencyKey,
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> Response[ApplicationOut]:
        out, replayed = await applications.submit(data, idempotency_key, principal)
        return Response(out, status_code=201, headers={REPLAYED: str(replayed).lower()})

    @get(
        "/",
        summary="The SME's applications, newest first",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def list_applications(
        self,
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ApplicationPage:
        return await applications.of_enterprise(principal, limit=limit, offset=offset)

    @get(
        "/{application_id:uuid}",
        summary="One application with its timeline",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def get_application(
        self,
        application_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> ApplicationOut:
        return await applications.get(application_id, principal)

    @post(
        "/{application_id:uuid}/withdraw",
        status_code=200,
        summary="Withdraw an application before the bank decides",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def withdraw(
        self,
        application_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> ApplicationOut:
        return await applications.withdraw(application_id, principal)


class BankApplicationController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}"
    tags = ["applications"]
    security = SESSION_SECURITY
    dependencies = {
        "applications": Provide(provide_applications, sync_to_thread=False),
        "loans": Provide(provide_loans, sync_to_thread=False),
    }

    @get(
        "/applications",
        summary="The bank's inbox: applications to it, newest first",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def inbox(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
        status: Annotated[ApplicationStatus | None, QueryParameter()] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ApplicationPage:
        return await applications.inbox(
            bank_id, principal, status=status, limit=limit, offset=offset
        )

    @get(
        "/applications/{application_id:uuid}",
        summary="One application to the bank, with its timeline",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def application(
        self,
        bank_id: FromPath[UUID],
        application_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> ApplicationOut:
        return await applications.for_bank(bank_id, application_id, principal)

    @get(
        "/applications/{application_id:uuid}/profile",
        summary="The applicant's profile, cut to what its live consents to the bank cover",
        description="Written to the SME's access log with the reading user.",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def applicant_profile(
        self,
        bank_id: FromPath[UUID],
        application_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
        db: NamedDependency[AsyncSession],
    ) -> BankProfile:
        application = await applications.for_bank(bank_id, application_id, principal)
        return await BankPulls(db).for_bank_user(
            principal, bank_id, application.enterprise_id, f"application {application.id}"
        )

    @post(
        "/applications/{application_id:uuid}/review",
        status_code=200,
        summary="Mark an application under review",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def review(
        self,
        bank_id: FromPath[UUID],
        application_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> ApplicationOut:
        require_bank_user(principal, bank_id, "review its applications")
        return await applications.review(
            bank_id, application_id, Actor.BANK, str(principal.user_id)
        )

    @post(
        "/applications/{application_id:uuid}/decision",
        status_code=200,
        summary="Approve (amount, annual rate, term) or reject (a reason code)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def decide(
        self,
        bank_id: FromPath[UUID],
        application_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        principal: NamedDependency[Principal],
        applications: NamedDependency[ApplicationService],
    ) -> Decided:
        require_bank_user(principal, bank_id, "decide on its applications")
        return await applications.decide(
            bank_id, application_id, data, Actor.BANK, str(principal.user_id)
        )

    @get(
        "/loans",
        summary="The bank's loans, newest first",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def list_loans(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        loans: NamedDependency[LoanService],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> list[LoanOut]:
        require_bank_user(principal, bank_id, "read its loans")
        return await loans.of_bank(bank_id, limit=limit, offset=offset)

    @post(
        "/loans/{loan_id:uuid}/events",
        status_code=200,
        summary="Report a loan event (disbursed, repayment, overdue, default, settled)",
        description="Send an `Idempotency-Key`: a replay records nothing new.",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def loan_event(
        self,
        request: Request[Any, Any, Any],
        bank_id: FromPath[UUID],
        loan_id: FromPath[UUID],
        data: JSONBody[LoanEventIn],
        idempotency_key: IdempotencyKey,
        principal: NamedDependency[Principal],
        loans: NamedDependency[LoanService],
    ) -> Response[LoanEventResult]:
        require_bank_user(principal, bank_id, "report on its loans")
        settings: Settings = request.app.state.settings
        result, replayed = await loans.record(
            bank_id,
            loan_id,
            data,
            idempotency_key,
            actor=Actor.BANK,
            actor_id=str(principal.user_id),
            future_days=settings.loan_event_future_days,
        )
        return Response(result, headers={REPLAYED: str(replayed).lower()})
