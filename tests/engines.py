"""Real engines for the test suite: embedded PostgreSQL and Redis unless URLs are given.

Every test gets its own database, cloned from a template that migrations built once, and a
flushed Redis database, so tests cannot see each other's data.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from xinyidai.infra import migrate
from xinyidai.infra.embedded import EmbeddedPostgres, EmbeddedRedis

TEMPLATE = "xyd_test_template"
_counter = itertools.count(1)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


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


def start_engines() -> SuiteEngines:
    workdir = Path(tempfile.mkdtemp(prefix="xyt-", dir="/tmp"))
    embedded: list[EmbeddedPostgres | EmbeddedRedis] = []
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not database_url:
        pg = EmbeddedPostgres(workdir / "pg", database="postgres")
        database_url = pg.start()
        embedded.append(pg)
    else:
        database_url = with_database(database_url, "postgres")
    if not redis_url:
        redis = EmbeddedRedis(workdir / "redis", persist=False)
        redis_url = redis.start()
        embedded.append(redis)
    engines = SuiteEngines(database_url, redis_url, embedded, workdir)
    engines.build_template()
    return engines
