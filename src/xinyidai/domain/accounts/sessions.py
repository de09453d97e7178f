"""Login sessions in Redis, and the principal they carry.

The cookie holds an opaque random token; Redis holds the session under the token's SHA-256, so a
leaked Redis dump does not yield usable cookies. A new token is issued at every login (no session
fixation); every session of a user is indexed so all can be revoked at once. Each session carries
its own CSRF token, which unsafe requests must echo in ``X-CSRF-Token``.

A session also carries who its user is (role, e-mail, enterprise, bank), so an authenticated
request needs no database read to know its principal. What keeps that copy honest is the user's
**principal version**: a random value in Redis that every change to a user's role, organisation
or active flag replaces once its transaction commits (:func:`bump_versions`). Loading a session
returns the record and the user's current version in one round trip (a Lua script); a record
checked at another version, or checked longer ago than ``SESSION_RECHECK_SECONDS``, is read again
from the database before it is trusted (``guards.authenticate``).

Layout: ``xyd:sess:<sha256>`` is a hash of ``user`` (the user id) and ``data`` (a msgpack
:class:`SessionData`); ``xyd:user-sess:<user id>`` the set of the user's session keys;
``xyd:principal:<user id>`` the user's principal version.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import msgspec

from xinyidai.infra.db import after_commit
from xinyidai.settings import MAX_SESSION_AGE

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript
    from sqlalchemy.ext.asyncio import AsyncSession

SESSION_COOKIE = "xyd_session"
CSRF_COOKIE = "xyd_csrf"
CSRF_HEADER = "x-csrf-token"

NEVER_CHECKED = "-"
"""The version of a record whose principal has not been read from the database yet (a new
session): it matches no version Redis holds, so its first request reads the user."""


class SessionData(msgspec.Struct, frozen=True):
    """One session: its CSRF token and the principal as last read from the database."""

    user_id: str
    role: str
    csrf: str
    created: float
    email: str = ""
    enterprise_id: str | None = None
    bank_id: str | None = None
    version: str = NEVER_CHECKED  # the user's principal version when the fields were read
    checked: float = 0.0  # when they were read (epoch seconds)


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    data: SessionData


@dataclass(frozen=True, slots=True)
class LoadedSession:
    data: SessionData
    current_version: str  # the user's principal version now ("" when Redis holds none)

    def is_current(self, now: float, recheck_seconds: float) -> bool:
        """Whether the principal fields can be trusted without reading the database."""
        return (
            self.data.version == self.current_version
            and 0 <= now - self.data.checked < recheck_seconds
        )


SESSION_PREFIX = "xyd:sess:"
VERSION_PREFIX = "xyd:principal:"


def session_key(token: str) -> str:
    """The Redis key of a session: its token's SHA-256, so Redis never holds a usable token."""
    return SESSION_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def version_key(user_id: str) -> str:
    return VERSION_PREFIX + user_id


def _user_key(user_id: str) -> str:
    return f"xyd:user-sess:{user_id}"


LOAD_SCRIPT = """
local found = redis.call('HMGET', KEYS[1], 'user', 'data')
if not found[1] or not found[2] then return false end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {found[2], redis.call('GET', ARGV[2] .. found[1]) or ''}
"""
"""A session's record and its user's principal version, in one round trip; slides the
session's expiry. (The version key is derived from the record, so it is not declared in KEYS:
fine for the single Redis the platform runs on, not for a Redis Cluster.)"""

_SAVE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1])
return 1
"""
"""Replace a live session's record; a session ended meanwhile stays ended."""


def _encode(data: SessionData) -> bytes:
    return msgspec.msgpack.encode(data)


def _bytes(raw: Any) -> bytes:
    return raw.encode() if isinstance(raw, str) else bytes(raw)


class SessionStore:
    def __init__(self, redis: Redis, max_age: int) -> None:
        self.redis = redis
        self.max_age = max_age

    @cached_property
    def _load(self) -> AsyncScript:
        return self.redis.register_script(LOAD_SCRIPT)

    @cached_property
    def _save(self) -> AsyncScript:
        return self.redis.register_script(_SAVE_SCRIPT)

    async def create(self, user_id: str, role: str) -> NewSession:
        """A new session for the user. Its principal is read from the database on its first
        request (``NEVER_CHECKED``), so a change committed while the login ran is never missed."""
        token = secrets.token_urlsafe(32)
        data = SessionData(
            user_id=user_id, role=role, csrf=secrets.token_urlsafe(24), created=time.time()
        )
        key = session_key(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"user": user_id, "data": _encode(data)})
            pipe.expire(key, self.max_age)
            pipe.sadd(_user_key(user_id), key)
            pipe.expire(_user_key(user_id), self.max_age)
            await pipe.execute()
        return NewSession(token=token, data=data)

    async def load(self, token: str) -> LoadedSession | None:
        """The live session of ``token`` (its expiry slid) with its user's current principal
        version; None for an unknown, expired or unreadable one."""
        if not token or len(token) > 128:
            return None
        key = session_key(token)
        found = await self._load(keys=[key], args=[self.max_age, VERSION_PREFIX])
        if not found:
            return None
        try:
            data = msgspec.msgpack.decode(_bytes(found[0]), type=SessionData)
        except msgspec.DecodeError:
            await self.redis.delete(key)
            return None
        return LoadedSession(data=data, current_version=_bytes(found[1]).decode())

    async def current_version(self, user_id: str) -> str:
        """The user's principal version now ("" when Redis holds none)."""
        raw = await self.redis.get(version_key(user_id))
        return "" if raw is None else _bytes(raw).decode()

    async def save(self, token: str, data: SessionData) -> bool:
        """Replace the record of a live session (keeping its expiry); False if it has ended."""
        return bool(await self._save(keys=[session_key(token)], args=[_encode(data)]))

    async def destroy(self, token: str, user_id: str | None = None) -> None:
        key = session_key(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if user_id is not None:
                pipe.srem(_user_key(user_id), key)
            await pipe.execute()

    async def destroy_all(self, user_id: str) -> int:
        keys = await self.redis.smembers(_user_key(user_id))
        async with self.redis.pipeline(transaction=True) as pipe:
            if keys:
                pipe.delete(*keys)
            pipe.delete(_user_key(user_id))
            await pipe.execute()
        return len(keys)


VERSION_TTL = MAX_SESSION_AGE + 24 * 3600


async def bump_versions(redis: Redis, user_ids: Iterable[object]) -> None:
    """Give each user a new principal version, so that every session of theirs reads the user
    again on its next request. Call it after the change has committed (:func:`principals_changed`
    arranges that). A random value, not a counter: a version key that expired
    and came back can never repeat one a session holds. It lives longer than any idle session
    may (``VERSION_TTL``), so no session can outlive the version it would need to see."""
    ids = [str(user_id) for user_id in user_ids]
    if not ids:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for user_id in ids:
            pipe.set(version_key(user_id), secrets.token_hex(8), ex=VERSION_TTL)
        await pipe.execute()


def principals_changed(session: AsyncSession, redis: Redis, user_ids: Iterable[object]) -> None:
    """Record that the transaction of ``session`` changes who these users are (role,
    organisation, active flag): once it commits, their sessions read them again (see
    :func:`bump_versions`). Code that changes such a column calls this in the same breath."""
    ids = [str(user_id) for user_id in user_ids]

    async def bump() -> None:
        await bump_versions(redis, ids)

    if ids:
        after_commit(session, bump)
