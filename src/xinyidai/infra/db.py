"""Database engine configuration and the transaction boundaries: requests' and jobs'."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog
from advanced_alchemy.extensions.litestar import (
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from litestar import Request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

log = structlog.get_logger(__name__)

if TYPE_CHECKING:
    import asyncpg

    from xinyidai.settings import Settings


def async_url(url: str) -> str:
    """``postgresql://…`` as SQLAlchemy's asyncpg URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def pool_connections(settings: Settings) -> int:
    """Connections a process's pool keeps: ``DB_POOL_SIZE`` and as many again for bursts."""
    return 2 * settings.db_pool_size


def engine_kwargs(settings: Settings) -> dict[str, object]:
    """Pool and driver settings. Every wait is bounded: opening a connection
    (``DB_CONNECT_TIMEOUT``), waiting for a pooled one (``DB_POOL_TIMEOUT``) and each statement
    (``DB_COMMAND_TIMEOUT``), so a server that stops answering turns into errors the HTTP layer
    answers with 503 instead of requests that hang for ever.

    The pool keeps every connection it opened (no overflow connections opened and closed
    again under load), and checks them without a round trip: see :func:`drop_closed`."""
    return {
        "pool_size": pool_connections(settings),
        "max_overflow": 0,
        "pool_timeout": settings.db_pool_timeout,
        "connect_args": {
            "timeout": settings.db_connect_timeout,
            "command_timeout": settings.db_command_timeout,
        },
    }


def drop_closed(engine: AsyncEngine) -> AsyncEngine:
    """Hand out no pooled connection the server has closed (a restart, an idle timeout): the
    driver notices the closed socket while the connection sits in the pool, and a checkout
    then opens a new one instead. This replaces a "pre-ping" statement on every checkout (two
    round trips with asyncpg). A server that dies while a connection is out fails that one
    statement: the request is answered 503 and SQLAlchemy drops the pool's older connections."""

    def check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")

    event.listen(engine.sync_engine, "checkout", check)
    return engine


PROBE_TIMEOUT = 2.0
"""Upper bound, in seconds, of a readiness probe's connect and query."""


def create_probe_engine(settings: Settings, database_url: str) -> AsyncEngine:
    """An engine without a pool, for readiness probes: every ``connect()`` opens a NEW
    connection, so a server that still serves the pooled connections but accepts no new ones
    is reported down."""
    timeout = min(PROBE_TIMEOUT, settings.db_connect_timeout)
    return create_async_engine(
        async_url(database_url),
        poolclass=NullPool,
        connect_args={"timeout": timeout, "command_timeout": timeout},
    )


_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
        errno.ENOENT,  # a Unix socket that is gone: the server is not running
    }
)
_DRIVER_DIR = f"{os.sep}asyncpg{os.sep}"


def _raised_in_driver(exc: BaseException) -> bool:
    """Whether ``exc`` was raised inside asyncpg (a connect failing), not by our own code."""
    tb = exc.__traceback__
    while tb is not None:
        if _DRIVER_DIR in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the database cannot be reached or did not
    answer in time, as opposed to a query the database refused or a bug of ours."""
    import asyncpg
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OperationalError, InterfaceError, PoolTimeout, TimeoutError)):
            return True
        if isinstance(
            current,
            (
                asyncpg.PostgresConnectionError,
                asyncpg.CannotConnectNowError,
                asyncpg.InterfaceError,  # connection closed, another operation in progress
                asyncpg.TooManyConnectionsError,
                asyncpg.AdminShutdownError,
                asyncpg.QueryCanceledError,  # statement_timeout or a cancelled hung query
            ),
        ):
            return True
        if isinstance(current, ConnectionError | socket.gaierror):
            return True
        if (
            isinstance(current, OSError)
            and current.errno in _NETWORK_ERRNOS
            and _raised_in_driver(current)
        ):
            return True
        # What SQLAlchemy wrapped (``orig``) or what it was raised from; not ``__context__``:
        # an error of our own raised while handling a timeout is still our own.
        current = getattr(current, "orig", None) or current.__cause__
    return False


Enqueue = Callable[..., Awaitable[Any]]
"""``Queue.enqueue`` of the job queue: ``await enqueue("job_name", key=…, **kwargs)``."""


def _info(enqueue: Enqueue | None) -> dict[str, Any]:
    return {"enqueue": enqueue} if enqueue is not None else {}


def sqlalchemy_config(settings: Settings, database_url: str) -> SQLAlchemyAsyncConfig:
    """The app's engine (Advanced Alchemy's plugin creates it at startup and disposes of it at
    shutdown), in autocommit by default (see :class:`RequestSessions`, where requests take
    their sessions; never from the plugin)."""
    options: dict[str, Any] = {**engine_kwargs(settings), "isolation_level": "AUTOCOMMIT"}
    return SQLAlchemyAsyncConfig(
        connection_string=async_url(database_url),
        engine_config=EngineConfig(**options),
        create_all=False,
        set_default_exception_handler=False,
    )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: they read without a transaction, and need no CSRF token."""


class RequestSessions:
    """Where a request's database session comes from, by its method.

    - Safe methods (GET, HEAD, OPTIONS) **read**: each statement runs on its own, in
      autocommit, so a read costs its statement's round trip and no BEGIN or COMMIT. A read
      may still write one self-contained row (the access log's entry), which commits with its
      statement.
    - Every other method **writes**: one transaction, committed by :func:`provide_transaction`
      when the handler succeeds and rolled back when it raises.

    ``engine`` is :func:`sqlalchemy_config`'s: its connections are in autocommit unless a
    session asks for a transaction, so reads pay nothing to switch. With ``enqueue`` (the
    queue), code that writes can queue jobs after the commit (``enqueue_after_commit``).
    """

    def __init__(self, engine: AsyncEngine, *, enqueue: Enqueue | None = None) -> None:
        self.engine = engine
        info = _info(enqueue)
        self.read = async_sessionmaker(engine, expire_on_commit=False, info=info)
        self.write = async_sessionmaker(
            engine.execution_options(isolation_level="READ COMMITTED"),
            expire_on_commit=False,
            info=info,
        )

    def for_method(self, method: str) -> async_sessionmaker[AsyncSession]:
        return self.read if method in SAFE_METHODS else self.write


def create_engine(settings: Settings, database_url: str) -> AsyncEngine:
    """An engine for CLI commands and jobs (outside a request)."""
    return drop_closed(create_async_engine(async_url(database_url), **engine_kwargs(settings)))


def session_factory(
    engine: AsyncEngine, *, enqueue: Enqueue | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for CLI commands and jobs; with ``enqueue`` (the worker's queue), work written
    in them can queue follow-up jobs after the commit."""
    return async_sessionmaker(engine, expire_on_commit=False, info=_info(enqueue))


AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "after_commit"  # the session's pending after-commit actions, in ``info``


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run ``action`` once the session's transaction has committed (e.g. enqueue a job that
    reads what was just written). Not run if the transaction rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def enqueue_after_commit(session: AsyncSession, function: str, **kwargs: Any) -> bool:
    """Queue the job ``function(**kwargs)`` once the transaction commits, if the session was
    made with a queue (requests and jobs are; the CLI's and the tests' plain sessions are not).
    Returns whether it will be queued. The caller needs a sweeper (a cron job) for the cases
    where it is not, or where Redis was down at the commit."""
    enqueue: Enqueue | None = session.info.get("enqueue")
    if enqueue is None:
        return False

    async def send() -> None:
        await enqueue(function, **kwargs)

    after_commit(session, send)
    return True


async def commit(session: AsyncSession) -> None:
    """Commit, then run the after-commit actions. Their failures are logged, not raised: the
    data is committed, and the sweeper jobs pick up work whose enqueueing failed."""
    await session.commit()
    actions: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("after_commit_failed")


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A job's transaction: a new session, committed when the block ends, then its after-commit
    actions run (see :func:`commit`); rolled back, its actions dropped, when the block raises.

    Job bodies write through this and never call ``session.commit()`` themselves, so the jobs
    that their work queues (a new snapshot's score) are always sent once it is committed. A
    job that needs several transactions (to record that it started, say) opens one block each.
    """
    async with sessions() as session:
        try:
            yield session
            await commit(session)
        except BaseException as exc:  # the block or the commit itself
            session.info.pop(_AFTER_COMMIT, None)
            await _abandon(session, exc)
            raise


async def provide_transaction(
    request: Request[Any, Any, Any],
) -> AsyncGenerator[AsyncSession, None]:
    """The request's unit of work (see :class:`RequestSessions`): commit when the handler
    succeeds, roll back when it raises, close the session either way.

    Services never commit; this boundary does, before the response is sent, so a failed commit
    becomes an error response instead of a success that did not happen. Every dependency that
    needs the database takes ``db``, so this cleanup runs for every request that opened a
    session. A session that never ran a statement never took a connection: requests that need
    no database cost nothing here.
    """
    sessions: RequestSessions = request.app.state.db_sessions
    factory = sessions.for_method(request.method)
    db_session = factory()
    try:
        yield db_session
    except BaseException as exc:
        await _abandon(db_session, exc)
        raise
    else:
        if factory is sessions.read and not _has_work(db_session):
            return  # its statements committed as they ran; closing is all that is left
        try:
            await commit(db_session)
        except BaseException as exc:
            await _abandon(db_session, exc)
            raise
    finally:
        await db_session.close()


def _has_work(session: AsyncSession) -> bool:
    """Whether committing ``session`` would do anything: objects to flush, or actions to run."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(_AFTER_COMMIT))


async def _abandon(session: AsyncSession, exc: BaseException) -> None:
    """Roll back after ``exc``; when the database is what failed, drop the connection instead:
    a rollback on a server that stopped answering would wait out another timeout, and a
    connection whose statement timed out must not go back to the pool."""
    if not is_database_unavailable(exc):
        try:
            await session.rollback()
            return
        except Exception as rollback_error:
            if not is_database_unavailable(rollback_error):
                raise
    await session.invalidate()


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, with the session's transaction begun on it, for
    bulk work SQLAlchemy does not do (COPY): what it writes commits or rolls back with the
    session."""
    from sqlalchemy import text

    connection = await session.connection()
    # SQLAlchemy's asyncpg adapter opens the server-side transaction lazily, on the first
    # statement; run one so that our raw statements are inside it.
    await connection.execute(text("SELECT 1"))
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():  # pragma: no cover - guards against adapter changes
        raise RuntimeError("bulk work needs a session inside a transaction")
    return driver
