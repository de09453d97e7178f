"""Who is calling: the authenticated principal, role guards and CSRF.

``authenticate`` is the one authentication path. The app runs it as its ``before_request`` hook
(``authenticate_early``) for every endpoint that takes ``principal``, so a request without a
session is refused before its body is read. The principal comes from the session record in Redis
(``sessions.py``): no database read, unless the user's principal version changed since the record
was checked, or the record is older than ``SESSION_RECHECK_SECONDS``; then the user is read again
(one statement) and the record updated, or the session ended if the account is no longer active.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xinyidai.domain.accounts.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    SessionData,
    SessionStore,
)
from xinyidai.infra.db import SAFE_METHODS
from xinyidai.infra.errors import Forbidden, NotAuthenticated, NotFound
from xinyidai.models import Role, User


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    email: str
    role: Role
    enterprise_id: UUID | None
    bank_id: UUID | None
    session: SessionData | None = None
    session_token: str | None = None

    def may_read_enterprise(self, enterprise_id: UUID) -> bool:
        return self.role is Role.OFFICE or (
            self.role is Role.SME and self.enterprise_id == enterprise_id
        )

    def may_edit_enterprise(self, enterprise_id: UUID) -> bool:
        return self.role is Role.SME and self.enterprise_id == enterprise_id


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def principal_of(user: User) -> Principal:
    """The principal of ``user`` acting outside a request (the demo's seeding, jobs)."""
    return Principal(
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        bank_id=user.bank_id,
    )


def _session_principal(data: SessionData, token: str) -> Principal:
    """The principal a (checked) session record names."""
    return Principal(
        user_id=UUID(data.user_id),
        email=data.email,
        role=Role(data.role),
        enterprise_id=_uuid(data.enterprise_id),
        bank_id=_uuid(data.bank_id),
        session=data,
        session_token=token,
    )


_SESSION_STATE = "xinyidai.session"
_PRINCIPAL_COLUMNS = (User.email, User.role, User.enterprise_id, User.bank_id, User.is_active)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The one authentication path: the session cookie names a live session, and unsafe methods
    echo its CSRF token. Remembers the principal in the request's scope. Reads headers and
    Redis only (and the user's row when the record must be checked again), never the body."""
    state = connection.scope["state"]
    found: Principal | None = state.get(_SESSION_STATE)
    if found is not None:
        return found
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated("log in first")
    sessions: SessionStore = connection.app.state.sessions
    loaded = await sessions.load(token)
    if loaded is None:
        raise NotAuthenticated("the session has ended; log in again")
    if connection.scope["method"] not in SAFE_METHODS:  # type: ignore[typeddict-item]
        sent = connection.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), loaded.data.csrf.encode()):
            raise Forbidden("missing or wrong X-CSRF-Token header")
    data = loaded.data
    now = time.time()
    app_state = connection.app.state
    if not loaded.is_current(now, app_state.settings.session_recheck_seconds):
        data = await check_session(app_state.sessions, app_state.db_sessions.read, token, data, now)
    state[_SESSION_STATE] = found = _session_principal(data, token)
    return found


async def check_session(
    sessions: SessionStore,
    db_sessions: async_sessionmaker[AsyncSession],
    token: str,
    data: SessionData,
    now: float,
) -> SessionData:
    """Read the session's user again and store what was read with the version it was read at
    (the version is read first: a change committed after it bumps it again, so it is seen on
    the next request). An account gone or deactivated ends the session."""
    version = await sessions.current_version(data.user_id)
    async with db_sessions() as db:
        row = (
            await db.execute(select(*_PRINCIPAL_COLUMNS).where(User.id == UUID(data.user_id)))
        ).one_or_none()
    if row is None or not row.is_active:
        await sessions.destroy(token, data.user_id)
        raise NotAuthenticated("the account is no longer active")
    checked = msgspec.structs.replace(
        data,
        email=row.email,
        role=Role(row.role).value,
        enterprise_id=str(row.enterprise_id) if row.enterprise_id else None,
        bank_id=str(row.bank_id) if row.bank_id else None,
        version=version,
        checked=now,
    )
    if not await sessions.save(token, checked):
        raise NotAuthenticated("the session has ended; log in again")
    return checked


_NEEDS_SESSION = "xinyidai.needs_session"


def needs_session(handler: BaseRouteHandler) -> bool:
    """Whether the handler takes ``principal``, itself or through its dependencies (worked out
    once per handler and kept in its ``opt``)."""
    opt = handler.opt
    if _NEEDS_SESSION not in opt:
        providers = handler.resolve_dependencies()
        pending = list(handler.parsed_fn_signature.parameters)
        seen: set[str] = set()
        found = False
        while pending and not found:
            name = pending.pop()
            if name == "principal":
                found = True
            elif name in providers and name not in seen:
                seen.add(name)
                signature = getattr(providers[name], "parsed_fn_signature", None)
                if signature is not None:
                    pending.extend(signature.parameters)
        opt[_NEEDS_SESSION] = found
    return bool(opt[_NEEDS_SESSION])


async def authenticate_early(request: Request[Any, Any, Any]) -> None:
    """The app's ``before_request`` hook. Litestar runs it after guards and before it builds
    the handler's arguments, which is when it reads and decodes the body: endpoints that need a
    session refuse a request without one (401, or 403 without the CSRF token) before a byte of
    its body is read, uploads included. Returns None, so the handler runs."""
    if needs_session(request.route_handler):
        await authenticate(request)


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The logged-in, active user, as ``authenticate`` found them (it runs here if the early
    hook did not)."""
    return await authenticate(request)


def require_verified(principal: Principal) -> None:
    """An SME account acts for an enterprise only once its claim is verified."""
    if principal.role is Role.SME and principal.enterprise_id is None:
        raise Forbidden(
            "this account is not verified yet: the enterprise's legal representative must "
            "verify the claim through the identity service first (POST /api/v1/claim/verification)"
        )


def require_own_enterprise(principal: Principal, enterprise_id: UUID) -> None:
    """Only the SME's own verified users pass; anyone else is told the enterprise does not
    exist (an unverified account is told to verify first, whatever the id)."""
    require_verified(principal)
    if not principal.may_edit_enterprise(enterprise_id):
        raise NotFound("no such enterprise")


def require_readable_enterprise(principal: Principal, enterprise_id: UUID) -> None:
    """The SME's own users and the credit office pass; anyone else gets the same 404."""
    require_verified(principal)
    if not principal.may_read_enterprise(enterprise_id):
        raise NotFound("no such enterprise")


def require_bank_or_admin(principal: Principal, bank_id: UUID) -> None:
    """A bank's own business (its clients, the consents it holds): its users and platform
    admins only; everyone else is refused."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.BANK or principal.bank_id != bank_id:
        raise Forbidden("only the bank's own users may see this")


def require_bank_user(principal: Principal, bank_id: UUID, action: str) -> None:
    """Acting for a bank (publishing its products, claiming for it): its own users only;
    admins and everyone else are refused. ``action`` completes "only the bank's own users may
    …"."""
    if principal.role is not Role.BANK or principal.bank_id != bank_id:
        raise Forbidden(f"only the bank's own users may {action}")


def require_office(principal: Principal) -> None:
    """The credit office's desk: anyone else is refused (403). Its endpoints are listed in the
    public API document, so answering 404 would hide nothing; a bank or an SME is told plainly
    that the desk is not theirs, as on every office endpoint."""
    if principal.role is not Role.OFFICE:
        raise Forbidden("only the credit office may do this")


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden("this action is not open to your role")
