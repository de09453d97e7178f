"""Accounts: registration of an SME with its first user, login with throttling and lockout,
and creation of bank, office and admin users (CLI only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from advanced_alchemy.exceptions import DuplicateKeyError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import select

from xinyidai.domain.accounts import passwords
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.accounts.schemas import LoginRequest, Me, Organisation, RegisterRequest
from xinyidai.domain.accounts.sessions import NewSession, SessionStore
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.domain.verification.services import DETAIL_COLUMNS, ClaimService
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.errors import Conflict, InvalidInput, NotAuthenticated, TooManyRequests
from xinyidai.infra.text import clean_text, storable
from xinyidai.models import Bank, Enterprise, EnterpriseClaim, Role, User

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.settings import Settings

log = structlog.get_logger(__name__)

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)
_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "qwertyuiop",
        "iloveyou123",
        "abc1234567",
        "12345678910",
        "admin12345",
        "welcome123",
        "a123456789",
        "aa12345678",
        "qwerty1234",
        "1q2w3e4r5t",
        "zxcvbnm123",
        "woaini1314",
        "password!1",
    }
)


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


def normalise_email(raw: str) -> str:
    email = raw.strip().lower() if storable(raw) else ""
    if not _EMAIL_RE.match(email) or ".." in email:
        raise InvalidInput.field("email", "this is not a valid e-mail address", "email_format")
    return email


def check_password_policy(password: str, email: str) -> None:
    problems = []
    if len(password) < 10:
        problems.append("at least 10 characters")
    if not any(ch.isalpha() for ch in password):
        problems.append("at least one letter")
    if all(ch.isalpha() for ch in password):
        problems.append("at least one digit or symbol")
    local = email.split("@", 1)[0]
    if len(local) >= 4 and local in password.lower():
        problems.append("not containing the e-mail name")
    if password.lower() in _COMMON:
        problems.append("not a commonly used password")
    if problems:
        raise InvalidInput.field(
            "password", "the password needs " + ", ".join(problems), "password_policy"
        )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User
    session: NewSession


class AccountService:
    def __init__(
        self, session: AsyncSession, redis: Redis, settings: Settings, cipher: FieldCipher
    ) -> None:
        self.session = session
        self.redis = redis
        self.settings = settings
        self.cipher = cipher
        self.users = UserRepository(session=session, auto_commit=False)
        self.sessions = SessionStore(redis, settings.session_max_age)

    # --- registration -------------------------------------------------------------------------
    async def register_sme(
        self, data: RegisterRequest, address: str | None = None
    ) -> User | Conflict:
        """A new SME account with its unverified claim to be ``data.enterprise`` (flushed).

        Everything is validated before anything is looked up. A claim on a USCC that someone
        already verified is refused: the refusal is returned (with an alert queued for the
        office, which the caller commits), not raised.
        """
        email = normalise_email(data.email)
        check_password_policy(data.password, email)
        display_name = clean_text("display_name", data.display_name)
        details = EnterpriseService(self.session, self.cipher).details(data.enterprise)
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
            password_hash=await passwords.hash_password(data.password),
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
        self, *, email: str, password: str | None, display_name: str, role: Role, org: str | None
    ) -> User:
        """Create a user of any role. ``org`` is the enterprise's USCC or the bank's short code.
        ``password=None`` makes an account no password logs in to (the demo's SME owners)."""
        email = normalise_email(email)
        if password is not None:
            check_password_policy(password, email)
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
                await passwords.hash_password(password)
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

    # --- login --------------------------------------------------------------------------------
    async def _throttle_address(self, address: str) -> None:
        key = f"xyd:login:ip:{_digest(address)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            # SET NX EX then INCR: a fixed window that works on Redis 6.2 (no EXPIRE NX there).
            pipe.set(key, 0, ex=self.settings.login_ip_window, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
            _, count, ttl = await pipe.execute()
        if count > self.settings.login_ip_limit:
            log.warning("login_throttled", scope="address")
            raise TooManyRequests(
                "too many login attempts from this address; wait and retry",
                retry_after=max(int(ttl), 1),
            )

    async def _check_lock(self, email: str) -> None:
        ttl = await self.redis.ttl(f"xyd:login:lock:{_digest(email)}")
        if ttl and ttl > 0:
            raise TooManyRequests(
                "this account is temporarily locked after repeated failed logins",
                retry_after=int(ttl),
            )

    async def _record_failure(self, email: str) -> None:
        fail_key = f"xyd:login:fail:{_digest(email)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(fail_key, 0, ex=self.settings.login_lockout_seconds, nx=True)
            pipe.incr(fail_key)
            _, failures = await pipe.execute()
        if failures >= self.settings.login_max_failures:
            lockout = self.settings.login_lockout_seconds
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(f"xyd:login:lock:{_digest(email)}", b"1", ex=lockout)
                pipe.delete(fail_key)
                await pipe.execute()
            log.warning("account_locked", email_digest=_digest(email), seconds=lockout)
            raise TooManyRequests(
                "this account is temporarily locked after repeated failed logins",
                retry_after=lockout,
            )

    async def login(self, data: LoginRequest, address: str) -> LoginResult:
        await self._throttle_address(address)
        try:
            email = normalise_email(data.email)
        except InvalidInput:
            email = ""  # cannot name an account: fails like a wrong password, without a lookup
        if email:
            await self._check_lock(email)
        user = await self.users.get_one_or_none(email=email) if email else None
        ok = await passwords.verify_password(user.password_hash if user else None, data.password)
        if not ok or user is None:
            if email:
                await self._record_failure(email)
            log.info("login_failed", email_digest=_digest(email))
            raise NotAuthenticated("wrong e-mail or password")
        if not user.is_active:
            raise NotAuthenticated("this account is disabled")
        await self.redis.delete(f"xyd:login:fail:{_digest(email)}")
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash_password(data.password)
        user.last_login_at = dt.datetime.now(dt.UTC)
        new_session = await self.sessions.create(str(user.id), user.role)
        log.info("login", user_id=str(user.id), role=user.role)
        return LoginResult(user=user, session=new_session)

    async def logout(self, principal: Principal) -> None:
        if principal.session_token:
            await self.sessions.destroy(principal.session_token, str(principal.user_id))
        log.info("logout", user_id=str(principal.user_id))

    # --- who am I -----------------------------------------------------------------------------
    async def me(self, user_id: object) -> Me:
        user = await self.users.get(user_id)
        if user.role == Role.SME and user.enterprise_id is not None:
            ent = await self.session.get(Enterprise, user.enterprise_id)
            org = Organisation(
                kind="enterprise",
                id=user.enterprise_id,
                name=ent.name if ent else "",
                verified=True,
            )
        elif user.role == Role.SME:
            claim = await self.session.scalar(
                select(EnterpriseClaim).where(EnterpriseClaim.user_id == user.id)
            )
            org = Organisation(
                kind="claim",
                id=claim.id if claim else None,
                name=claim.name if claim else "",
                verified=False,
                claim_status=claim.status if claim else None,
            )
        elif user.role == Role.BANK and user.bank_id is not None:
            bank = await self.session.get(Bank, user.bank_id)
            org = Organisation(kind="bank", id=user.bank_id, name=bank.name if bank else "")
        else:
            org = Organisation(kind="platform", name="信易贷平台 Xinyidai")
        return Me(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=Role(user.role),
            organisation=org,
        )
