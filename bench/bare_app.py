"""The baselines: a bare Litestar hello-world with the app's liveness route and nothing else
(``create_app``), a bare app doing the authenticated reads by hand (``create_auth_app``), a bare
app returning an SME's latest snapshot row by USCC (``create_bank_app``), and a bare app
decoding an application's body (``create_submit_app``).

Served by the same server command line as the platform app, so a ratio against it measures
what the platform's own layers (middleware, logging, metrics, plugins) cost per request.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import msgspec
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.exceptions import NotAuthorizedException, NotFoundException
from redis.asyncio import Redis

# The platform's own session record and response Structs: the baseline does the platform's work
# by hand (one Redis lookup, raw asyncpg reads), but answers in the same shapes.
from xinyidai.domain.accounts.schemas import Me, Organisation
from xinyidai.domain.accounts.sessions import (
    LOAD_SCRIPT,
    SESSION_COOKIE,
    VERSION_PREFIX,
    SessionData,
    session_key,
)
from xinyidai.domain.applications.schemas import ApplicationCreate
from xinyidai.domain.profiles.schemas import ProfileOut


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[live])


def create_app() -> Litestar:
    """Factory, so that the server runs it exactly as it runs the platform app."""
    return app


# --------------------------------------------------------------------------------------------
# The authenticated baseline (``create_auth_app``): the platform's work for three reads, by hand
# --------------------------------------------------------------------------------------------
# Each route does what the platform does for the same read, written directly: the session cookie
# looked up in Redis exactly as ``xinyidai.domain.accounts.sessions`` stores it (one EVALSHA of
# the platform's own load script: the session hash under ``xyd:sess:<sha256>`` with its expiry
# slid, and the user's principal version), the principal taken from the session record when its
# version is current (as the platform does; a stale record is refused here instead of read
# again, which the bench never causes), then the rows the response is made of, read with raw
# asyncpg (jsonb decoded by msgspec) and serialised with msgspec. Same PostgreSQL and Redis as
# the app (``DATABASE_URL``, ``REDIS_URL``), same pool size as the platform's default.

SESSION_MAX_AGE = int(os.environ.get("SESSION_MAX_AGE") or 8 * 3600)
POOL_SIZE = 2 * int(os.environ.get("DB_POOL_SIZE") or 10)  # as infra.db.pool_connections

ME_SQL = (
    "SELECT u.id, u.email, u.display_name, u.role, u.enterprise_id, e.name "
    "FROM users u LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE u.id = $1"
)
PROFILE_SQL = (
    "SELECT version, format, content_hash, as_of, created_at, reason, content "
    "FROM profile_snapshots WHERE enterprise_id = $1 ORDER BY version DESC LIMIT 1"
)
SCORE_SQL = (
    "SELECT id, score, grade, pd, model_version, snapshot_id, snapshot_version, created_at, "
    "reasons FROM credit_scores WHERE enterprise_id = $1 "
    "ORDER BY snapshot_version DESC, created_at DESC, id DESC LIMIT 1"
)


class ScoreOut(msgspec.Struct, kw_only=True):
    enterprise_id: UUID
    score_id: UUID
    score: int
    grade: str
    pd: float
    model_version: str
    snapshot_id: UUID
    snapshot_version: int
    scored_at: dt.datetime
    reasons: list[Any]


_ENCODER = msgspec.json.Encoder()


def _json(value: msgspec.Struct) -> Response[bytes]:
    return Response(_ENCODER.encode(value), media_type=MediaType.JSON)


async def _session(request: Request[Any, Any, Any]) -> SessionData:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        raise NotAuthorizedException("log in first")
    load = request.app.state.load_session
    found = await load(keys=[session_key(token)], args=[SESSION_MAX_AGE, VERSION_PREFIX])
    if not found:
        raise NotAuthorizedException("log in first")
    data = msgspec.msgpack.decode(found[0], type=SessionData)
    if data.version != found[1].decode():
        raise NotAuthorizedException("the session must be checked again")
    return data


async def _owner(request: Request[Any, Any, Any], enterprise_id: UUID) -> None:
    """The session's user owns ``enterprise_id`` (else 401/404)."""
    data = await _session(request)
    if data.enterprise_id is None or UUID(data.enterprise_id) != enterprise_id:
        raise NotFoundException("no such enterprise")


@get("/bare/me")
async def me(request: Request[Any, Any, Any]) -> Response[bytes]:
    data = await _session(request)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        row = await conn.fetchrow(ME_SQL, UUID(data.user_id))
    if row is None:
        raise NotAuthorizedException("the account is no longer active")
    org = Organisation(kind="enterprise", id=row["enterprise_id"], name=row["name"], verified=True)
    return _json(
        Me(
            id=row["id"],
            email=row["email"],
            display_name=row["display_name"],
            role=row["role"],
            organisation=org,
        )
    )


@get("/bare/enterprises/{enterprise_id:uuid}/profile")
async def profile(request: Request[Any, Any, Any], enterprise_id: UUID) -> Response[bytes]:
    await _owner(request, enterprise_id)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        row = await conn.fetchrow(PROFILE_SQL, enterprise_id)
    if row is None:
        raise NotFoundException("no profile has been built for this enterprise yet")
    return _json(
        ProfileOut(
            enterprise_id=enterprise_id,
            version=row["version"],
            format=row["format"],
            content_hash=row["content_hash"],
            as_of=row["as_of"],
            built_at=row["created_at"],
            reason=row["reason"],
            content=row["content"],
        )
    )


@get("/bare/enterprises/{enterprise_id:uuid}/score")
async def score(request: Request[Any, Any, Any], enterprise_id: UUID) -> Response[bytes]:
    await _owner(request, enterprise_id)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        row = await conn.fetchrow(SCORE_SQL, enterprise_id)
    if row is None:
        raise NotFoundException("no score has been computed for this enterprise yet")
    return _json(
        ScoreOut(
            enterprise_id=enterprise_id,
            score_id=row["id"],
            score=row["score"],
            grade=row["grade"],
            pd=float(row["pd"]),
            model_version=row["model_version"],
            snapshot_id=row["snapshot_id"],
            snapshot_version=row["snapshot_version"],
            scored_at=row["created_at"],
            reasons=row["reasons"],
        )
    )


async def _jsonb(conn: Any) -> None:
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=msgspec.json.encode, decoder=msgspec.json.decode
    )


@asynccontextmanager
async def _engines(app: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE, init=_jsonb)
    redis = Redis.from_url(os.environ["REDIS_URL"])
    app.state.pool, app.state.redis = pool, redis
    app.state.load_session = redis.register_script(LOAD_SCRIPT)
    try:
        yield
    finally:
        await redis.aclose()
        await pool.close()


def create_auth_app() -> Litestar:
    """The authenticated baseline: liveness (for the harness) and the three reads by hand."""
    return Litestar(route_handlers=[live, me, profile, score], lifespan=[_engines])


# --------------------------------------------------------------------------------------------
# The bank API baseline (``create_bank_app``): the snapshot row a profile pull is made of
# --------------------------------------------------------------------------------------------
# The SME's latest profile snapshot read by USCC with raw asyncpg (one statement, jsonb decoded
# by msgspec) and returned as it is, serialised with msgspec: no token, proof, consent, cut or
# log. It answers GET (the ``bank_profile`` row) and, after reading the form body as the token
# endpoint does, POST (the ``bank_token`` row), so that it gets the very requests the platform
# gets (same wrk script, headers and bodies). Same PostgreSQL and pool size as the platform.

SNAPSHOT_BY_USCC_SQL = (
    "SELECT s.id, s.version, s.format, s.content_hash, s.as_of, s.created_at, s.content "
    "FROM profile_snapshots s JOIN enterprises e ON e.id = s.enterprise_id "
    "WHERE e.uscc = $1 ORDER BY s.version DESC LIMIT 1"
)


class SnapshotRow(msgspec.Struct, kw_only=True):
    uscc: str
    snapshot_id: UUID
    version: int
    format: str
    content_hash: str
    as_of: dt.date
    built_at: dt.datetime
    content: dict[str, Any]


async def _snapshot(request: Request[Any, Any, Any], uscc: str) -> Response[bytes]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        row = await conn.fetchrow(SNAPSHOT_BY_USCC_SQL, uscc)
    if row is None:
        raise NotFoundException("no profile for this enterprise")
    return _json(
        SnapshotRow(
            uscc=uscc,
            snapshot_id=row["id"],
            version=row["version"],
            format=row["format"],
            content_hash=row["content_hash"],
            as_of=row["as_of"],
            built_at=row["created_at"],
            content=row["content"],
        )
    )


@get("/bare/profiles/{uscc:str}")
async def snapshot_row(request: Request[Any, Any, Any], uscc: str) -> Response[bytes]:
    return await _snapshot(request, uscc)


@post("/bare/profiles/{uscc:str}", status_code=200)
async def snapshot_row_after_form(request: Request[Any, Any, Any], uscc: str) -> Response[bytes]:
    await request.form()  # the token row's body, parsed as the token endpoint parses it
    return await _snapshot(request, uscc)


@asynccontextmanager
async def _database(app: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE, init=_jsonb)
    try:
        yield
    finally:
        await app.state.pool.close()


def create_bank_app() -> Litestar:
    """The bank API baseline: liveness (for the harness) and the snapshot row by USCC."""
    return Litestar(
        route_handlers=[live, snapshot_row, snapshot_row_after_form], lifespan=[_database]
    )


# --------------------------------------------------------------------------------------------
# The submission baseline (``create_submit_app``): the same body decoded, 201
# --------------------------------------------------------------------------------------------
# ``POST /bare/applications`` reads the body ``app_submit`` sends and decodes it into the
# platform's own ``ApplicationCreate`` (msgspec, the same validation of shapes and ranges), then
# answers 201 with a new id. It gets the very requests the platform gets (same wrk script,
# cookies, CSRF and idempotency headers) and ignores the headers: no session, database or queue.


class Submitted(msgspec.Struct, kw_only=True):
    id: UUID
    status: str


@post("/bare/applications", status_code=201)
async def submit_application(request: Request[Any, Any, Any]) -> Response[bytes]:
    data = msgspec.json.decode(await request.body(), type=ApplicationCreate)
    del data
    return Response(
        _ENCODER.encode(Submitted(id=uuid4(), status="submitted")),
        media_type=MediaType.JSON,
        status_code=201,
    )


def create_submit_app() -> Litestar:
    """The submission baseline: liveness (for the harness) and the decoding POST."""
    return Litestar(route_handlers=[live, submit_application])
