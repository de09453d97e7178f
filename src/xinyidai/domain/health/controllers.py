"""Liveness, readiness and Prometheus metrics.

Readiness opens NEW connections to the database and Redis (short timeouts): a server that keeps
its established connections but accepts no new ones, or answers none, is reported down.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from xinyidai.infra.db import PROBE_TIMEOUT
from xinyidai.infra.errors import NotFound
from xinyidai.infra.redis import redis_answers
from xinyidai.settings import Settings

Status = Literal["ok", "down"]


class Live(msgspec.Struct):
    status: Literal["ok"] = "ok"


class Ready(msgspec.Struct):
    database: Status
    redis: Status


_LIVE = Live()
_RETRY_AFTER = 5
_LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


async def _database_ok(request: Request[Any, Any, Any]) -> bool:
    """A NEW connection (the probe engine has no pool) opens and answers ``SELECT 1``."""
    engine = request.app.state.db_probe
    try:
        async with asyncio.timeout(PROBE_TIMEOUT), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means not ready
        return False


async def _redis_ok(request: Request[Any, Any, Any]) -> bool:
    """A NEW connection to Redis opens and answers ``PING``."""
    settings: Settings = request.app.state.settings
    assert settings.redis_url
    return await redis_answers(settings.redis_url, PROBE_TIMEOUT)


class _SharedCheck:
    """One readiness check at a time per process: probes that arrive while one runs share its
    answer. Each check opens new connections, so a flood of ``/health/ready`` from outside
    opens at most one at a time to each engine, instead of one per request (which could use
    up the database's connection slots)."""

    __slots__ = ("_running",)

    def __init__(self) -> None:
        self._running: asyncio.Future[tuple[bool, bool]] | None = None

    async def __call__(self, request: Request[Any, Any, Any]) -> tuple[bool, bool]:
        if self._running is None:
            self._running = asyncio.ensure_future(self._check(request))
        # Shielded: a caller that goes away does not cancel the others' answer.
        return await asyncio.shield(self._running)

    async def _check(self, request: Request[Any, Any, Any]) -> tuple[bool, bool]:
        try:
            database, redis = await asyncio.gather(_database_ok(request), _redis_ok(request))
            return database, redis
        finally:
            self._running = None


def _shared_check(request: Request[Any, Any, Any]) -> _SharedCheck:
    state = request.app.state
    check: _SharedCheck | None = state.get("readiness_check")
    if check is None:
        check = state["readiness_check"] = _SharedCheck()
    return check


def may_scrape(request: Request[Any, Any, Any], settings: Settings) -> bool:
    """With ``METRICS_TOKEN`` set: the request carries ``Authorization: Bearer <token>``
    (compared in constant time). Without it: the direct peer is a loopback address and the
    request carries no forwarding header, so a reverse proxy on the same host (whose
    connections come from loopback) does not open the metrics to everyone behind it;
    ``X-Forwarded-For`` is never believed here, whatever ``TRUSTED_PROXIES`` says."""
    if settings.metrics_token:
        sent = request.headers.get("authorization", "")
        scheme, _, token = sent.partition(" ")
        expected = settings.metrics_token.encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)
    client = request.scope.get("client")
    if not client or client[0] not in _LOOPBACK:
        return False
    return not any(name in request.headers for name in _FORWARDING_HEADERS)


class HealthController(Controller):
    path = "/"
    tags = ["operations"]
    include_in_schema = True

    @get("/health/live", summary="The process is up", cache_control=None)
    async def live(self) -> Live:
        return _LIVE

    @get(
        "/health/ready",
        summary="The database and Redis answer",
        responses={
            503: ResponseSpec(
                data_container=Ready, description="Something is down", generate_examples=False
            )
        },
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Ready]:
        database, redis = await _shared_check(request)(request)
        body = Ready(database="ok" if database else "down", redis="ok" if redis else "down")
        if database and redis:
            return Response(body)
        return Response(body, status_code=503, headers={"Retry-After": str(_RETRY_AFTER)})

    @get(
        "/metrics",
        summary="Prometheus metrics",
        media_type=CONTENT_TYPE_LATEST,
        include_in_schema=False,
    )
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """Prometheus metrics, for a loopback scraper or one holding ``METRICS_TOKEN``; to anyone
        else the endpoint does not exist (404), like other resources a caller may not see."""
        if not may_scrape(request, request.app.state.settings):
            raise NotFound("no such resource")
        return Response(
            await request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST
        )
