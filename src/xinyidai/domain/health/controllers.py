"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

Status = Literal["ok", "down"]


class Live(msgspec.Struct):
    status: Literal["ok"] = "ok"


class Ready(msgspec.Struct):
    database: Status
    redis: Status


_LIVE = Live()
_CHECK_TIMEOUT = 2.0


async def _database_ok(request: Request[Any, Any, Any]) -> bool:
    engine = request.app.state.alchemy.get_engine()
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means not ready
        return False


async def _redis_ok(request: Request[Any, Any, Any]) -> bool:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            return bool(await request.app.state.redis.ping())
    except Exception:  # any failure means not ready
        return False


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
        database, redis = await asyncio.gather(_database_ok(request), _redis_ok(request))
        body = Ready(database="ok" if database else "down", redis="ok" if redis else "down")
        return Response(body, status_code=200 if database and redis else 503)

    @get(
        "/metrics",
        summary="Prometheus metrics",
        media_type=CONTENT_TYPE_LATEST,
        include_in_schema=False,
    )
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return Response(
            generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
        )
