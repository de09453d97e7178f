"""The request metrics of every web worker process of a host, in one scrape.

Each process counts its own requests (``infra/http.Metrics``: a dict lookup and three
increments, no locks, no I/O). With several worker processes a scrape reaches one of them at
random, so each process also shares its series through Redis: within ``SHARE_INTERVAL`` of a
change it writes them, whole, as one field of the host's hash (``xyd:metrics:<host name>``, one
field per process). A scrape writes its own process's series first, then reads the hash and
adds every process's series up: the others' are at most ``SHARE_INTERVAL`` old.

Series of processes that have ended stay in the hash, so the host's counters never go down
when a worker is replaced (as Prometheus expects of counters); the hash expires
``SHARE_TTL`` after the host's last write. Prometheus scrapes each host (container) as one
target, so the hash is per host, not per deployment.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from typing import TYPE_CHECKING

import msgspec
import structlog
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from xinyidai.infra.http import Metrics, Series

SHARE_INTERVAL = 5.0
SHARE_TTL = 7 * 24 * 3600
log = structlog.get_logger(__name__)

# (method, route, status, count, total seconds, bucket counts)
_Row = tuple[str, str, int, int, float, list[int]]


class MetricsShare:
    def __init__(self, metrics: Metrics, redis: Redis, host: str | None = None) -> None:
        self.metrics = metrics
        self.redis = redis
        self.key = f"xyd:metrics:{host or socket.gethostname()}"
        self.process = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.pending = False
        self._task: asyncio.Task[None] | None = None

    def changed(self) -> None:
        """A series changed: write them all within ``SHARE_INTERVAL`` (once per interval)."""
        if self.pending:
            return
        self.pending = True
        asyncio.get_running_loop().call_later(SHARE_INTERVAL, self._publish_later)

    def _publish_later(self) -> None:
        self._task = asyncio.ensure_future(self._publish_quietly())

    async def _publish_quietly(self) -> None:
        try:
            await self.publish()
        except RedisError as exc:  # the next change tries again
            log.warning("metrics_not_shared", error=str(exc))

    async def publish(self) -> None:
        self.pending = False
        rows: list[_Row] = [
            (method, route, status, series.count, series.total, series.buckets)
            for (method, route, status), series in list(self.metrics.series.items())
        ]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key, self.process, msgspec.msgpack.encode(rows))
            pipe.expire(self.key, SHARE_TTL)
            await pipe.execute()

    async def gather(self) -> dict[tuple[str, str, int], Series]:
        """Every process's series of this host, added up (this process's as they are now)."""
        from xinyidai.infra.http import Series  # http imports this module

        await self.publish()
        stored = await self.redis.hgetall(self.key)
        merged: dict[tuple[str, str, int], Series] = {}
        for blob in stored.values():
            raw = blob.encode() if isinstance(blob, str) else blob
            for method, route, status, count, total, buckets in msgspec.msgpack.decode(
                raw, type=list[_Row]
            ):
                into = merged.setdefault((method, route, status), Series())
                into.count += count
                into.total += total
                into.buckets = [a + b for a, b in zip(into.buckets, buckets, strict=True)]
        return merged
