"""The one Redis client of a process."""

from __future__ import annotations

import asyncio
import contextlib

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff


def create_redis(url: str) -> Redis:
    """A pooled client with short timeouts, so a Redis outage fails fast and recovers by itself."""
    return Redis.from_url(
        url,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1),
        decode_responses=False,
    )


def is_redis_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says Redis cannot be reached, did not answer in time, or is still loading
    its data (a restart): all transient, all answered with 503."""
    import redis.exceptions as redis_exc

    return isinstance(
        exc, (redis_exc.ConnectionError, redis_exc.TimeoutError, redis_exc.BusyLoadingError)
    )


async def redis_answers(url: str, seconds: float) -> bool:
    """Whether a NEW connection to Redis opens and answers PING within ``seconds`` (a
    readiness probe: the pooled client could still hold connections a stuck server no longer
    serves)."""
    client = Redis.from_url(
        url,
        socket_connect_timeout=seconds,
        socket_timeout=seconds,
        single_connection_client=True,
        retry=Retry(NoBackoff(), retries=0),
    )
    try:
        async with asyncio.timeout(seconds):
            return bool(await client.ping())
    except Exception:  # any failure means not ready
        return False
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            await client.aclose()
