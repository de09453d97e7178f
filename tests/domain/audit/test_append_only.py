"""PostgreSQL itself keeps the audit log append-only: only the chainer's link may update a row."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.domain.audit.conftest import append, append_committed, chained, rows
from xinyidai.domain.audit.services import DETAIL_MAX_BYTES


async def refused(engine: AsyncEngine, statement: str, **params: object) -> str:
    """The database's refusal of ``statement`` (which must be refused)."""
    with pytest.raises(DBAPIError) as caught:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    return str(caught.value.orig)


async def test_delete_and_truncate_are_refused(engine: AsyncEngine) -> None:
    linked = await chained(engine, 2)
    await append_committed(async_sessionmaker(engine), 1)  # an unlinked row is no more deletable
    for seq in (linked[0]["seq"], linked[1]["seq"] + 1):
        message = await refused(engine, "DELETE FROM audit_entries WHERE seq = :seq", seq=seq)
        assert "append-only: DELETE refused" in message
    assert "append-only: TRUNCATE refused" in await refused(engine, "TRUNCATE audit_entries")
    assert len(await rows(engine)) == 3


async def test_content_is_never_updated_linked_or_not(engine: AsyncEngine) -> None:
    linked = await chained(engine, 1)
    await append_committed(async_sessionmaker(engine), 1)
    for seq in (linked[0]["seq"], linked[0]["seq"] + 1):
        message = await refused(
            engine, "UPDATE audit_entries SET status = '500' WHERE seq = :seq", seq=seq
        )
        assert "append-only: UPDATE refused" in message
    after = await rows(engine)
    assert [r["status"] for r in after] == ["200", "200"]


async def test_a_link_is_written_once_and_alone(engine: AsyncEngine) -> None:
    linked = await chained(engine, 1)
    await append_committed(async_sessionmaker(engine), 1)
    other = "a" * 64
    # A linked row is not linked again.
    await refused(
        engine,
        "UPDATE audit_entries SET prev_hash = :h, hash = :h, linked_at = now() WHERE seq = :seq",
        h=other,
        seq=linked[0]["seq"],
    )
    # Linking an unlinked row while changing anything else is refused.
    await refused(
        engine,
        "UPDATE audit_entries SET prev_hash = :h, hash = :h, linked_at = now(),"
        " detail = '{}' WHERE seq = :seq",
        h=other,
        seq=linked[0]["seq"] + 1,
    )
    # Half a link is refused too (the constraint keeps the three link columns together).
    await refused(
        engine,
        "UPDATE audit_entries SET hash = :h WHERE seq = :seq",
        h=other,
        seq=linked[0]["seq"] + 1,
    )
    # The chainer's own update (the three link columns, from NULL) is what goes through.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE audit_entries SET prev_hash = :p, hash = :h, linked_at = now()"
                " WHERE seq = :seq"
            ),
            {"p": linked[0]["hash"], "h": other, "seq": linked[0]["seq"] + 1},
        )
    assert (await rows(engine))[1]["hash"] == other


async def test_an_entry_cannot_arrive_already_linked(engine: AsyncEngine) -> None:
    message = await refused(
        engine,
        "INSERT INTO audit_entries (id, occurred_at, actor_kind, actor_id, action, detail,"
        " status, prev_hash, hash, linked_at) VALUES (:id, now(), 'system', 'x', 'x', '{}',"
        " '200', :h, :h, now())",
        id=uuid.uuid4(),
        h="0" * 64,
    )
    assert "appended unlinked" in message


async def test_the_guard_fires_whatever_the_replication_role(engine: AsyncEngine) -> None:
    """``ENABLE ALWAYS``: ``SET session_replication_role = replica`` does not switch it off."""
    async with engine.connect() as conn:
        states: dict[str, str] = dict(
            (
                await conn.execute(
                    text(
                        "SELECT tgname, tgenabled::text FROM pg_trigger"
                        " WHERE tgrelid = 'audit_entries'::regclass AND NOT tgisinternal"
                    )
                )
            ).all()
        )
    assert states == {"audit_entries_append_only": "A", "audit_entries_no_truncate": "A"}


async def test_appends_keep_details_small_and_canonical(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with audit_sessions() as session:
        with pytest.raises(TypeError, match="floats"):
            await append(session, detail={"rate": 0.045})
        with pytest.raises(TypeError, match=r"detail\.items\[0\]"):
            await append(session, detail={"items": [object()]})
        with pytest.raises(ValueError, match=f"at most {DETAIL_MAX_BYTES}"):
            await append(session, detail={"blob": ["x" * 900] * 5})
        # Text the platform did not choose is stored, made storable, never refused.
        await append(session, client_id="bank\x00client" + "x" * 500, request_id="r\x07")
        await session.commit()
    [stored] = await rows(engine)
    assert stored["client_id"].startswith("bank\ufffdclient") and len(stored["client_id"]) == 200
    assert stored["request_id"] == "r\ufffd"
