"""Audit-log fixtures: an engine for the chainer, appending entries, and a tamperer who owns
the table (and so can switch its guard trigger off)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from xinyidai.domain.audit.chainer import ChainRun, chain_pending
from xinyidai.domain.audit.services import AuditLog
from xinyidai.infra.db import create_engine, session_factory
from xinyidai.models import ActorKind, AuditEntry
from xinyidai.settings import Settings

_calls = itertools.count(1)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert settings.database_url
    created = create_engine(settings, settings.database_url)
    yield created
    await created.dispose()


@pytest.fixture
def audit_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


async def append(session: AsyncSession, **overrides: Any) -> uuid.UUID:
    """One bank-API-like entry (a profile read), in the session's transaction."""
    n = next(_calls)
    values: dict[str, Any] = {
        "action": "openapi.profile.read",
        "actor_kind": ActorKind.BANK_CLIENT,
        "actor_id": f"client-{n}",
        "bank_id": uuid.uuid4(),
        "client_id": f"client-{n}",
        "enterprise_id": uuid.uuid4(),
        "consent_id": uuid.uuid4(),
        "request_id": f"req-{n}",
        "detail": {"families": ["tax", "score"], "uscc": "91440101MA5C00000X", "n": n},
        "status": 200,
    }
    values.update(overrides)
    return await AuditLog(session).append(**values)


async def append_committed(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """``count`` entries, each committed on its own (as requests write them)."""
    for _ in range(count):
        async with sessions() as session:
            await append(session)
            await session.commit()


async def chained(engine: AsyncEngine, count: int) -> list[dict[str, Any]]:
    """``count`` entries appended and linked; the rows, in ``seq`` order."""
    await append_committed(session_factory(engine), count)
    run = await chain_pending(engine)
    assert (run.linked, run.waiting, run.busy) == (count, 0, False)
    return await rows(engine)


async def rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq))
        return [dict(row) for row in result.mappings()]


async def tamper(engine: AsyncEngine, *statements: str, **params: Any) -> None:
    """Run ``statements`` with the guard trigger switched off, as the table's owner could: the
    chain, not the trigger, must then tell what changed."""
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        for statement in statements:
            await conn.execute(text(statement), params)
        await conn.execute(
            text("ALTER TABLE audit_entries ENABLE ALWAYS TRIGGER audit_entries_append_only")
        )
        await conn.execute(
            text("ALTER TABLE audit_entries ENABLE ALWAYS TRIGGER audit_entries_no_truncate")
        )


async def chain_all(engine: AsyncEngine) -> ChainRun:
    """Run the chainer until nothing waits (for tests whose inserts have all ended)."""
    run = await chain_pending(engine)
    assert not run.busy and run.waiting == 0, run
    return run
