"""Real engines for the test suite: embedded PostgreSQL and Redis unless URLs are given.

Every test gets its own database, cloned from a template that migrations built once, and a
flushed Redis database, so tests cannot see each other's data.

Under pytest-xdist every worker is a process of its own with engines of its own: embedded ones
under its own directory, or, when URLs are given, its own template and test databases in that
server (names carry the worker) and its own Redis database (worker ``gwN`` uses the URL's
database number plus N).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from xinyidai.infra import migrate
from xinyidai.infra.embedded import EmbeddedPostgres, EmbeddedRedis

_counter = itertools.count(1)


def worker_number() -> int:
    """This pytest-xdist worker's number (``gw3`` -> 3); 0 without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


TEMPLATE = f"xyd_test_template_{worker_number()}"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def with_redis_database(url: str, offset: int) -> str:
    """``url`` naming the Redis database ``offset`` after the one it names (0 if none):
    ``redis://host/N`` or ``unix:///path?db=N``."""
    if offset == 0:
        return url
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(int(query.get("db", 0)) + offset)
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"
    number = int(parts.path.strip("/") or 0) + offset
    return urlunsplit(parts._replace(path=f"/{number}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class SuiteEngines:
    database_url: str  # the maintenance database (``postgres``)
    redis_url: str
    embedded: list[EmbeddedPostgres | EmbeddedRedis]
    workdir: Path

    async def admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(_asyncpg_dsn(self.database_url))

    def build_template(self) -> None:
        async def recreate() -> None:
            conn = await self.admin()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
            finally:
                await conn.close()

        asyncio.run(recreate())
        migrate.upgrade(with_database(self.database_url, TEMPLATE))

    async def fresh_database(self) -> str:
        name = f"xyd_test_{os.getpid()}_{next(_counter)}"
        conn = await self.admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY FILE_COPY')
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        conn = await self.admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def stop(self) -> None:
        for engine in reversed(self.embedded):
            engine.stop()


# A test database is thrown away after its test: the embedded server need not survive a crash.
# Without these, every database cloned for a test waits for checkpoints to reach the disk
# (about 1.5 s a test on this machine, against 0.1 s).
_DISPOSABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


async def _disposable(database_url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        for name, value in _DISPOSABLE.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = {value}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def start_engines() -> SuiteEngines:
    workdir = Path(tempfile.mkdtemp(prefix="xyt-", dir="/tmp"))
    embedded: list[EmbeddedPostgres | EmbeddedRedis] = []
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not database_url:
        pg = EmbeddedPostgres(workdir / "pg", database="postgres")
        database_url = pg.start()
        embedded.append(pg)
        asyncio.run(_disposable(database_url))  # only our own server: never one we are given
    else:
        database_url = with_database(database_url, "postgres")
    if not redis_url:
        redis = EmbeddedRedis(workdir / "redis", persist=False)
        redis_url = redis.start()
        embedded.append(redis)
    else:
        redis_url = with_redis_database(redis_url, worker_number())
    engines = SuiteEngines(database_url, redis_url, embedded, workdir)
    engines.build_template()
    return engines
