"""A scratch database for one bench row: created (dropped first if a crashed run left it),
migrated, and dropped afterwards, on the bench's PostgreSQL (the role needs ``CREATEDB``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from xinyidai.infra import migrate


def dsn(url: str) -> str:
    """asyncpg's form of a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_url(url: str, database: str) -> str:
    """``url`` pointing at ``database`` instead."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn(admin_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """Yield the URL of a freshly migrated database ``name``; drop it on the way out."""
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        url = database_url(admin_url, name)
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
