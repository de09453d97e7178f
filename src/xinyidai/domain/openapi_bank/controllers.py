"""``/openapi/v1``: what a bank's server calls with a DPoP-bound access token."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.schemas import SharedData
from xinyidai.domain.openapi_bank.auth import BankCaller, provide_caller
from xinyidai.domain.openapi_bank.limits import headers_of
from xinyidai.domain.openapi_bank.schemas import BankProfile, HeldConsents
from xinyidai.domain.openapi_bank.services import BankPulls
from xinyidai.infra.http import problem_responses

DPOP_SECURITY: list[dict[str, list[str]]] = [{"dpop": []}]


class BankApiController(Controller):
    path = "/"
    tags = ["bank API"]
    security = DPOP_SECURITY
    dependencies = {"caller": Provide(provide_caller)}

    @get(
        "/profiles/{uscc:str}",
        summary="An SME's latest profile, cut to what its live consents to your bank cover",
        description="Scope `profiles`. `families` narrows what is returned. 403 names the "
        "missing consent or family. Sends an `ETag`; `If-None-Match` gets 304 when unchanged. "
        "Every call is written to the SME's access log.",
        responses=problem_responses(400, 401, 403, 404, 422, 429, 503),
    )
    async def profile(
        self,
        request: Request[Any, Any, Any],
        uscc: FromPath[str],
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
        families: Annotated[
            list[SharedData] | None, QueryParameter(description="Only these (default: all)")
        ] = None,
    ) -> Response[Any]:
        caller.require_scope("profiles")
        profile, etag = await BankPulls(db).profile(caller, uscc, families)
        quoted = f'"{etag}"'
        headers = {"ETag": quoted, "Cache-Control": "private, no-cache", **headers_of(request)}
        if quoted in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(None, status_code=304, headers=headers)
        return Response(profile, headers=headers)

    @get(
        "/consents",
        summary="The consents your bank holds: live, expired and revoked",
        description="Scope `consents`.",
        responses=problem_responses(400, 401, 403, 429, 503),
    )
    async def consents(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
    ) -> Response[HeldConsents]:
        caller.require_scope("consents")
        held = HeldConsents(items=await BankConsentService(db).held_by(caller.bank_id))
        await BankPulls(db).audit(
            caller, "openapi.consents.list", 200, detail={"count": len(held.items)}
        )
        return Response(held, headers=headers_of(request))


__all__ = ["BankApiController", "BankProfile", "provide_caller"]
