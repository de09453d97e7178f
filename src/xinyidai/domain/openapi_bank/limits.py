"""Per-client rate limits of the bank API, counted in Redis so every process shares them.

A fixed one-minute window per client (``INCR`` then ``EXPIRE`` on the window's key): cheap, one
round trip, and exact across processes. Every answer carries the draft IETF ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` headers; over the limit the answer is 429 with
``Retry-After``.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from redis.asyncio import Redis

from xinyidai.infra.errors import TooManyRequests

WINDOW_SECONDS = 60
_STATE_KEY = "rate_limit_headers"


async def count(redis: Redis, request: Request[Any, Any, Any], client_id: str, limit: int) -> None:
    """Count this call against the client's window; 429 once the window is used up."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"ratelimit:bank-api:{client_id}:{window}"
    pipe = redis.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, WINDOW_SECONDS + 5)
    used, _ = await pipe.execute()
    reset = int((window + 1) * WINDOW_SECONDS - now) + 1
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(limit - int(used), 0)),
        "RateLimit-Reset": str(reset),
    }
    request.state[_STATE_KEY] = headers
    if int(used) > limit:
        raise TooManyRequests(
            f"this client may make {limit} requests a minute; try again in {reset} s",
            headers=headers,
            retry_after=reset,
        )


def headers_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The counted call's headers, for its answer."""
    found: dict[str, str] = request.state.get(_STATE_KEY, {})
    return found
