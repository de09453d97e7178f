"""Login sessions in Redis.

The cookie holds an opaque random token; Redis holds the session under the token's SHA-256, so a
leaked Redis dump does not yield usable cookies. A new token is issued at every login (no session
fixation); every session of a user is indexed so all can be revoked at once. Each session carries
its own CSRF token, which unsafe requests must echo in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from redis.asyncio import Redis

SESSION_COOKIE = "xyd_session"
CSRF_COOKIE = "xyd_csrf"
CSRF_HEADER = "x-csrf-token"


class SessionData(msgspec.Struct, frozen=True):
    user_id: str
    role: str
    csrf: str
    created: float


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    data: SessionData


def session_key(token: str) -> str:
    """The Redis key of a session: its token's SHA-256, so Redis never holds a usable token."""
    return "xyd:session:" + hashlib.sha256(token.encode()).hexdigest()


def _user_key(user_id: str) -> str:
    return f"xyd:user-sessions:{user_id}"


class SessionStore:
    def __init__(self, redis: Redis, max_age: int) -> None:
        self.redis = redis
        self.max_age = max_age

    async def create(self, user_id: str, role: str) -> NewSession:
        token = secrets.token_urlsafe(32)
        data = SessionData(
            user_id=user_id, role=role, csrf=secrets.token_urlsafe(24), created=time.time()
        )
        key = session_key(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, msgspec.msgpack.encode(data), ex=self.max_age)
            pipe.sadd(_user_key(user_id), key)
            pipe.expire(_user_key(user_id), self.max_age)
            await pipe.execute()
        return NewSession(token=token, data=data)

    async def load(self, token: str) -> SessionData | None:
        if not token or len(token) > 128:
            return None
        key = session_key(token)
        raw = await self.redis.getex(key, ex=self.max_age)  # sliding expiry
        if raw is None:
            return None
        try:
            payload = raw.encode() if isinstance(raw, str) else raw
            return msgspec.msgpack.decode(payload, type=SessionData)
        except msgspec.DecodeError:
            await self.redis.delete(key)
            return None

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
