"""Alembic environment: migrations run through asyncpg against the URL the CLI passes in."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import xinyidai.models  # noqa: F401  (registers every model on the metadata)
from xinyidai.infra.db import async_url
from xinyidai.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url")
    if not url:
        from xinyidai.settings import Settings

        url = Settings.from_env().database_url
    if not url:
        raise RuntimeError("no database URL: run migrations through `xinyidai db upgrade`")
    return async_url(url)


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=False,
        transaction_per_migration=True,
    )


def run_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
