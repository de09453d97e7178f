"""Auth endpoints: register an SME, log in and out, who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts import devices
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.accounts.schemas import LoginRequest, LoginResponse, Me, RegisterRequest
from xinyidai.domain.accounts.services import AccountService, LoginResult
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, SESSION_COOKIE, NewSession
from xinyidai.infra.http import SESSION_SECURITY, problem_handler, problem_responses
from xinyidai.settings import Settings


def provide_accounts(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> AccountService:
    state = request.app.state
    return AccountService(db, state.redis, state.settings, state.cipher)


def client_address(request: Request[Any, Any, Any], settings: Settings) -> str:
    if settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def _session_cookies(settings: Settings, new: NewSession) -> list[Cookie]:
    common: dict[str, Any] = {
        "path": "/",
        "secure": settings.secure_cookies,
        "samesite": "lax",
        "max_age": settings.session_max_age,
    }
    return [
        Cookie(key=SESSION_COOKIE, value=new.token, httponly=True, **common),
        Cookie(key=CSRF_COOKIE, value=new.data.csrf, httponly=False, **common),
    ]


def _device_cookie(settings: Settings, value: str) -> Cookie:
    """The long-lived device cookie (``devices.py``), sent back only to the auth endpoints."""
    return Cookie(
        key=devices.DEVICE_COOKIE,
        value=value,
        path=devices.DEVICE_COOKIE_PATH,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=settings.login_device_max_age,
    )


def _cleared_cookies(settings: Settings) -> list[Cookie]:
    return [
        Cookie(
            key=name,
            value="",
            path="/",
            max_age=0,
            expires=0,
            secure=settings.secure_cookies,
            samesite="lax",
            httponly=name == SESSION_COOKIE,
        )
        for name in (SESSION_COOKIE, CSRF_COOKIE)
    ]


def _signed_in(
    settings: Settings, result: LoginResult, status_code: int = 200
) -> Response[LoginResponse]:
    """The answer to a sign-in: the user, the CSRF token, and the session and device cookies."""
    body = LoginResponse(
        user=result.me, csrf_token=result.session.data.csrf, expires_in=settings.session_max_age
    )
    cookies = _session_cookies(settings, result.session)
    cookies.append(_device_cookie(settings, result.device_cookie))
    return Response(body, status_code=status_code, cookies=cookies)


class AuthController(Controller):
    path = "/api/v1"
    tags = ["accounts"]
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @post(
        "/auth/register",
        status_code=201,
        summary="Register an SME and its first user",
        responses=problem_responses(400, 409, 422, 429, 503),
    )
    async def register(
        self,
        data: JSONBody[RegisterRequest],
        accounts: NamedDependency[AccountService],
        request: Request[Any, Any, Any],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        result = await accounts.sign_up(data, client_address(request, settings))
        if isinstance(result, Exception):  # refused, and reported to the office: commit that
            return problem_handler(request, result)
        return _signed_in(settings, result, status_code=201)

    @post(
        "/auth/login",
        status_code=200,
        summary="Log in with e-mail and password",
        responses=problem_responses(400, 401, 422, 429, 503),
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        accounts: NamedDependency[AccountService],
        request: Request[Any, Any, Any],
    ) -> Response[LoginResponse]:
        settings: Settings = request.app.state.settings
        result = await accounts.login(
            data,
            client_address(request, settings),
            device_cookie=request.cookies.get(devices.DEVICE_COOKIE),
        )
        return _signed_in(settings, result)

    @post(
        "/auth/logout",
        status_code=204,
        summary="End this session",
        security=SESSION_SECURITY,
        responses=problem_responses(401, 403, 503),
    )
    async def logout(
        self,
        principal: NamedDependency[Principal],
        accounts: NamedDependency[AccountService],
        request: Request[Any, Any, Any],
    ) -> Response[None]:
        await accounts.logout(principal)
        return Response(None, status_code=204, cookies=_cleared_cookies(request.app.state.settings))

    @get(
        "/me",
        summary="The logged-in user and their organisation",
        security=SESSION_SECURITY,
        responses=problem_responses(401, 503),
    )
    async def me(
        self, principal: NamedDependency[Principal], accounts: NamedDependency[AccountService]
    ) -> Me:
        return await accounts.me(principal.user_id)
