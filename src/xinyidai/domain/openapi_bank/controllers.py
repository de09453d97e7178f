"""``/openapi/v1``: what a bank's server calls with a DPoP-bound access token."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.schemas import SharedData
from xinyidai.domain.openapi_bank.auth import BankCaller, provide_caller
from xinyidai.domain.openapi_bank.limits import headers_of
from xinyidai.domain.openapi_bank.schemas import BankProfile, HeldConsents
from xinyidai.domain.openapi_bank.services import BankPulls
from xinyidai.infra.http import problem_responses

DPOP_SECURITY: list[dict[str, list[str]]] = [{"dpop": []}]

RATE_LIMIT_HEADERS = [
    ResponseHeader(
        name="RateLimit-Limit",
        documentation_only=True,
        description="Calls this client may make per window",
    ),
    ResponseHeader(
        name="RateLimit-Remaining", documentation_only=True, description="Calls left in the window"
    ),
    ResponseHeader(
        name="RateLimit-Reset",
        documentation_only=True,
        description="Seconds until the window starts again",
    ),
]
PROFILE_HEADERS = [
    ResponseHeader(
        name="ETag",
        documentation_only=True,
        description="The profile's version: send it back as `If-None-Match`",
    ),
    *RATE_LIMIT_HEADERS,
]


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
        response_headers=PROFILE_HEADERS,
        responses={
            304: ResponseSpec(
                data_container=None,
                description="Not modified: the `If-None-Match` tag is still the profile's",
                generate_examples=False,
            ),
            **problem_responses(400, 401, 403, 404, 422, 429, 503),
        },
    )
    async def profile(
        self,
        uscc: FromPath[str],
        request: Request[Any, Any, Any],
        caller: NamedDependency[BankCaller],
        db: NamedDependency[AsyncSession],
        families: Annotated[
            list[SharedData] | None, QueryParameter(description="Only these (default: all)")
        ] = None,
        if_none_match: Annotated[
            str | None,
            HeaderParameter(
                name="If-None-Match",
                max_length=2000,
                description="The `ETag` of the profile you hold",
            ),
        ] = None,
    ) -> Response[BankProfile]:
        caller.require_scope("profiles")
        profile, etag = await BankPulls(db).profile(caller, uscc, families)
        quoted = f'"{etag}"'
        headers = {"ETag": quoted, "Cache-Control": "private, no-cache", **headers_of(request)}
        if quoted in [t.strip() for t in (if_none_match or "").split(",")]:
            return Response(None, status_code=304, headers=headers)  # type: ignore[arg-type]
        return Response(profile, headers=headers)

    @get(
        "/consents",
        summary="The consents your bank holds: live, expired and revoked",
        description="Scope `consents`.",
        response_headers=RATE_LIMIT_HEADERS,
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
