"""Accounts: registration of an SME with its first user, login under the throttle of
``throttle.py`` (with device cookies, so an attacker cannot lock out the owner), and creation of
bank, office and admin users (CLI only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import structlog
from advanced_alchemy.exceptions import DuplicateKeyError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import bindparam, select

from xinyidai.dates import utc_now
from xinyidai.domain.accounts import devices, passwords
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.accounts.schemas import LoginRequest, Me, Organisation, RegisterRequest
from xinyidai.domain.accounts.sessions import NewSession, SessionStore, principals_changed
from xinyidai.domain.accounts.throttle import Throttle, digest
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.domain.verification.services import DETAIL_COLUMNS, ClaimService
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.db import after_commit
from xinyidai.infra.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from xinyidai.infra.text import clean_text, storable
from xinyidai.models import Bank, Enterprise, EnterpriseClaim, Role, User
from xinyidai.settings import Env

if TYPE_CHECKING:
    from uuid import UUID

    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.settings import Settings

log = structlog.get_logger(__name__)

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


def normalise_email(raw: str) -> str:
    """An e-mail address trimmed and lower-cased; InvalidInput if it is not one."""
    email = raw.strip().lower() if storable(raw) else ""
    if not _EMAIL_RE.match(email) or ".." in email:
        raise InvalidInput.field("email", "this is not a valid e-mail address", "email_format")
    return email


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A user signed in: who they are, their new session and their device cookie's value."""

    user: User
    me: Me
    session: NewSession
    device_cookie: str


_ME = (
    select(
        User.id,
        User.email,
        User.display_name,
        User.role,
        User.enterprise_id,
        User.bank_id,
        Enterprise.name.label("enterprise_name"),
        Bank.name.label("bank_name"),
        EnterpriseClaim.id.label("claim_id"),
        EnterpriseClaim.name.label("claim_name"),
        EnterpriseClaim.status.label("claim_status"),
    )
    .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
    .outerjoin(Bank, Bank.id == User.bank_id)
    .outerjoin(EnterpriseClaim, EnterpriseClaim.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)
"""The user with their organisation: ``/me`` in one statement (built once: hot reads do not
rebuild their statements per request)."""


class AccountService:
    def __init__(
        self, session: AsyncSession, redis: Redis, settings: Settings, cipher: FieldCipher
    ) -> None:
        self.session = session
        self.redis = redis
        self.settings = settings
        self.cipher = cipher
        self.sessions = SessionStore(redis, settings.session_max_age)
        self.throttle = Throttle(redis, settings)

    @cached_property
    def users(self) -> UserRepository:
        """Built on first use: most requests (``/me``) never need it."""
        return UserRepository(session=self.session, auto_commit=False)

    # --- registration -------------------------------------------------------------------------
    async def sign_up(self, data: RegisterRequest, address: str) -> LoginResult | Conflict:
        """Register an SME (``register_sme``) and sign its first user in; a refusal to answer
        with is returned, as ``register_sme`` does."""
        user = await self.register_sme(data, address)
        if isinstance(user, Conflict):
            return user
        return await self._signed_in(user)

    async def register_sme(self, data: RegisterRequest, address: str) -> User | Conflict:
        """A new SME account with its unverified claim to be ``data.enterprise`` (flushed).

        The whole body is validated before anything is looked up; then the address's
        registration allowance is counted; an e-mail that has an account costs the same Argon2
        hash as a new one before its 409. A claim on a USCC that someone already verified is
        refused: the refusal is returned (with an alert queued for the office, which the caller
        commits), not raised.
        """
        email = normalise_email(data.email)
        display_name = clean_text("display_name", data.display_name)
        details = EnterpriseService(self.session, self.cipher).details(data.enterprise)
        await passwords.check_strength(data.password, email=email, display_name=display_name)
        await self.throttle.registration(address)
        password_hash = await passwords.hash_password(data.password, self.settings.hash_cost)
        claims = ClaimService(self.session)
        refusal = await claims.verified_elsewhere(
            details["uscc"], email=email, details=details, address=address
        )
        if refusal is not None:
            return refusal
        if await self.users.exists(email=email):
            raise Conflict("an account with this e-mail already exists")
        user = User(
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=Role.SME,
            enterprise_id=None,
        )
        try:
            user = await self.users.add(user)
        except DuplicateKeyError as exc:
            raise Conflict("an account with this e-mail already exists") from exc
        await claims.open(user, details)
        log.info("sme_registered", user_id=str(user.id))
        return user

    async def create_user(
        self,
        *,
        email: str,
        password: str | None,
        display_name: str,
        role: Role,
        org: str | None,
        demo: bool = False,
    ) -> User:
        """Create a user of any role. ``org`` is the enterprise's USCC or the bank's short code.

        ``password=None`` makes an account no password logs in to (the demo's SME owners).
        ``demo`` is for the demo seed alone: its accounts keep the published demo password, which
        the strength rule refuses to anyone else; it is refused when ``ENV=production``."""
        email = normalise_email(email)
        if demo and self.settings.env is Env.PRODUCTION:
            raise Forbidden("demo accounts are refused when ENV=production")
        if not demo and password is not None:
            await passwords.check_strength(password, email=email, display_name=display_name)
        enterprise = bank_id = None
        if role is Role.SME:
            # The account claims the registry's enterprise; its legal representative must still
            # verify the claim before the account may act for it.
            enterprise = await self.session.scalar(
                select(Enterprise).where(Enterprise.uscc == (org or "").upper())
            )
            if enterprise is None:
                raise InvalidInput.field("org", f"no enterprise with USCC {org!r}", "org_unknown")
        elif role is Role.BANK:
            bank = await self.session.scalar(select(Bank).where(Bank.short_code == (org or "")))
            if bank is None:
                raise InvalidInput.field("org", f"no bank with short code {org!r}", "org_unknown")
            bank_id = bank.id
        elif org:
            raise InvalidInput.field(
                "org", f"{role.value} users belong to no organisation", "org_not_allowed"
            )
        if await self.users.exists(email=email):
            raise Conflict("an account with this e-mail already exists")
        user = User(
            email=email,
            display_name=display_name or email,
            role=role,
            password_hash=(
                await passwords.hash_password(password, self.settings.hash_cost)
                if password is not None
                else passwords.NO_PASSWORD
            ),
            bank_id=bank_id,
        )
        user = await self.users.add(user)
        if enterprise is not None:
            details = {column: getattr(enterprise, column) for column in DETAIL_COLUMNS}
            await ClaimService(self.session).open(user, {"uscc": enterprise.uscc, **details})
        return user

    # --- accounts' state ------------------------------------------------------------------
    async def set_active(self, email: str, *, active: bool) -> User:
        """Deactivate (or reactivate) the account of ``email``. Once committed, every session
        of a deactivated user ends, and a request already on its way is refused at once (the
        user's principal version changes)."""
        user = await self.users.get_one_or_none(email=normalise_email(email))
        if user is None:
            raise NotFound("no user with this e-mail")
        user.is_active = active
        principals_changed(self.session, self.redis, [user.id])
        if not active:
            user_id = str(user.id)

            async def end_sessions() -> None:
                await self.sessions.destroy_all(user_id)

            after_commit(self.session, end_sessions)
        log.warning("account_activated" if active else "account_deactivated", user_id=str(user.id))
        return user

    # --- listing -----------------------------------------------------------------------------
    async def bank_users(self, bank_id: UUID) -> list[User]:
        """The users of the bank ``bank_id``, newest first (the caller checks who may ask)."""
        rows = await self.session.scalars(
            select(User)
            .where(User.bank_id == bank_id)
            .order_by(User.created_at.desc(), User.id.desc())
        )
        return list(rows)

    # --- login --------------------------------------------------------------------------------
    async def login(
        self, data: LoginRequest, address: str, device_cookie: str | None = None
    ) -> LoginResult:
        """Check the password under the throttle of ``throttle.py``; a browser whose device
        cookie names this account is trusted (its own allowance, never locked out by others)."""
        await self.throttle.login_attempt(address)
        try:
            email = normalise_email(data.email)
        except InvalidInput:
            email = ""  # cannot name an account: fails like a wrong password, without a lookup
        user = await self.users.get_one_or_none(email=email) if email else None
        device = devices.read(self.settings.secret_key, device_cookie)
        nonce = device.nonce if device and user and device.user_id == user.id else None
        if nonce is not None and not await self.throttle.device_trusted(nonce):
            nonce = None
        if email and nonce is None:
            await self.throttle.check_untrusted(email, address)
        ok = await passwords.verify_password(
            user.password_hash if user else None, data.password, self.settings.hash_cost
        )
        if not ok or user is None:
            log.info("login_failed", email_digest=digest(email), trusted_device=nonce is not None)
            if email:
                await self.throttle.failed(email, address, nonce)
            raise NotAuthenticated("wrong e-mail or password")
        if not user.is_active:
            raise NotAuthenticated("this account is disabled")
        await self.throttle.succeeded(email, address, nonce)
        if passwords.needs_rehash(user.password_hash, self.settings.hash_cost):
            user.password_hash = await passwords.hash_password(
                data.password, self.settings.hash_cost
            )
        user.last_login_at = utc_now()
        result = await self._signed_in(user)
        log.info("login", user_id=str(user.id), role=user.role, trusted_device=nonce is not None)
        return result

    async def _signed_in(self, user: User) -> LoginResult:
        """A new session for ``user``, with what the client is told about them."""
        new_session = await self.sessions.create(str(user.id), user.role)
        return LoginResult(
            user=user,
            me=await self.me(user.id),
            session=new_session,
            device_cookie=devices.issue(self.settings.secret_key, user.id),
        )

    async def logout(self, principal: Principal) -> None:
        """End the principal's session."""
        if principal.session_token:
            await self.sessions.destroy(principal.session_token, str(principal.user_id))
        log.info("logout", user_id=str(principal.user_id))

    # --- who am I -----------------------------------------------------------------------------
    async def me(self, user_id: object) -> Me:
        """The user and their organisation (enterprise, claim, bank or the platform), in one
        statement."""
        row = (await self.session.execute(_ME, {"user_id": user_id})).one_or_none()
        if row is None:
            raise NotAuthenticated("the account is no longer active")
        role = Role(row.role)
        if role is Role.SME and row.enterprise_id is not None:
            org = Organisation(
                kind="enterprise",
                id=row.enterprise_id,
                name=row.enterprise_name or "",
                verified=True,
            )
        elif role is Role.SME:
            org = Organisation(
                kind="claim",
                id=row.claim_id,
                name=row.claim_name or "",
                verified=False,
                claim_status=row.claim_status,
            )
        elif role is Role.BANK and row.bank_id is not None:
            org = Organisation(kind="bank", id=row.bank_id, name=row.bank_name or "")
        else:
            org = Organisation(kind="platform", name="信易贷平台 Xinyidai")
        return Me(
            id=row.id,
            email=row.email,
            display_name=row.display_name,
            role=role,
            organisation=org,
        )
