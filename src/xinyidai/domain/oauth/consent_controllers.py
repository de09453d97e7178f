"""The portal's OAuth endpoints (session): the consent screen (what a bank's pushed request
asks, and the SME's answer, which sends the browser back to the bank's site), and banks'
clients (admins register them; a bank's users see theirs)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal, require_verified
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.schemas import BankConsentCreate, SharedData
from xinyidai.domain.oauth import codeflow
from xinyidai.domain.oauth.clients import ClientAdmin, ClientService
from xinyidai.domain.oauth.schemas import (
    ClientCreate,
    ClientOut,
    ConsentAnswer,
    ConsentDecision,
    ConsentRequestOut,
)
from xinyidai.infra.errors import NotFound
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import Bank, ConsentChannel, ConsentPurpose, Role
from xinyidai.settings import Env

# What codeflow.take_pushed hands out (secrets.token_urlsafe(24)), and the word "expired".
RequestId = Annotated[
    str, Parameter(min_length=7, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="")
]


def _sme(principal: Principal) -> None:
    if principal.role is not Role.SME:
        raise NotFound("no such consent request")
    require_verified(principal)


class ConsentRequestController(Controller):
    path = "/api/v1/oauth/consent-requests/{request_id:str}"
    tags = ["oauth"]
    security = SESSION_SECURITY

    @get(
        "/",
        summary="What a bank asks the SME to consent to (the consent screen)",
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    async def show(
        self,
        request: Request[Any, Any, Any],
        request_id: RequestId,
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> ConsentRequestOut:
        _sme(principal)
        pushed = await codeflow.read_consent_request(request.app.state.redis, request_id)
        client = await ClientService(db).find(pushed.client_id)
        if client is None:
            raise NotFound("the bank's client is no longer registered")
        bank = await db.get(Bank, client.bank_id)
        assert principal.enterprise_id is not None  # a verified SME
        held = await BankConsentService(db).authorised_families(
            principal.enterprise_id, dt.datetime.now(dt.UTC)
        )
        return ConsentRequestOut(
            unavailable=[SharedData(f) for f in pushed.families if f != "score" and f not in held],
            bank_name=bank.name if bank else client.name,
            client_name=client.name,
            families=[SharedData(f) for f in pushed.families],
            purpose=ConsentPurpose(pushed.purpose),
            reference=pushed.reference,
            consent_days=pushed.consent_days,
            redirect_host=pushed.redirect_uri.split("/")[2],
            scope=pushed.scope.split(),
        )

    @post(
        "/",
        status_code=200,
        summary="The SME approves or declines; answers where to send the browser",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        request_id: RequestId,
        data: JSONBody[ConsentDecision],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> ConsentAnswer:
        _sme(principal)
        redis = request.app.state.redis
        issuer = request.app.state.settings.issuer
        pushed = await codeflow.read_consent_request(redis, request_id)
        client = await ClientService(db).find(pushed.client_id)
        if client is None:
            raise NotFound("the bank's client is no longer registered")
        if not data.approve:
            await codeflow.end_consent_request(redis, request_id)
            return ConsentAnswer(
                redirect_to=codeflow.redirect(
                    pushed, issuer, error="access_denied", error_description="the SME declined"
                ),
                consent_id=None,
            )
        assert principal.enterprise_id is not None  # a verified SME
        consent = await BankConsentService(db).grant(
            principal.enterprise_id,
            BankConsentCreate(
                bank_id=client.bank_id,
                families=[SharedData(f) for f in pushed.families],
                purpose=ConsentPurpose(pushed.purpose),
                reference=pushed.reference,
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=pushed.consent_days),
            ),
            principal,
            channel=ConsentChannel.OAUTH,
            client_id=client.client_id,
        )
        # Taken only now, so a refused consent leaves the request answerable; a concurrent
        # answer finds nothing here and this transaction (with its consent) rolls back.
        await codeflow.end_consent_request(redis, request_id)
        code = await codeflow.issue_code(
            redis, pushed, consent_id=consent.id, user_id=principal.user_id
        )
        return ConsentAnswer(
            redirect_to=codeflow.redirect(pushed, issuer, code=code), consent_id=str(consent.id)
        )


class BankClientController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/clients"
    tags = ["oauth"]
    security = SESSION_SECURITY

    @post(
        "/",
        status_code=201,
        summary="Register an OAuth client for the bank (platform admins)",
        description="Confidential, `private_key_jwt` with the given public keys; redirect URIs "
        "(https, matched exactly) enable the code flow.",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        bank_id: FromPath[UUID],
        data: JSONBody[ClientCreate],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> ClientOut:
        settings = request.app.state.settings
        return await ClientAdmin(db).register(
            bank_id, data, principal, allow_http_loopback=settings.env is not Env.PRODUCTION
        )

    @get(
        "/",
        summary="The bank's OAuth clients (its own users and admins)",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def list_clients(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        db: NamedDependency[AsyncSession],
    ) -> list[ClientOut]:
        return await ClientAdmin(db).of_bank(bank_id, principal)
