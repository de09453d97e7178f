"""The hash chain: appended entries are linked in order with the documented hash, and
``verify`` names an edited, a deleted and a reordered entry, and rows left unlinked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.domain.audit.conftest import append, append_committed, chain_all, chained, rows, tamper
from xinyidai.domain.audit.chainer import chain_pending
from xinyidai.domain.audit.schemas import BreakKind, ChainReport
from xinyidai.domain.audit.verify import verify_chain
from xinyidai.models import ActorKind

GENESIS = "0" * 64


async def verify(engine: AsyncEngine, stale_after: float = 300.0) -> ChainReport:
    async with AsyncSession(engine) as session:
        return await verify_chain(session, stale_after=stale_after)


def documented_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """The link's hash exactly as ``domain/audit/content.py`` documents it, written out here
    independently of that module."""

    def instant(value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def opt(value: Any) -> Any:
        return None if value is None else str(value)

    content = {
        "seq": row["seq"],
        "id": str(row["id"]),
        "occurred_at": instant(row["occurred_at"]),
        "actor_kind": str(row["actor_kind"]),
        "actor_id": row["actor_id"],
        "bank_id": opt(row["bank_id"]),
        "client_id": row["client_id"],
        "action": row["action"],
        "enterprise_id": opt(row["enterprise_id"]),
        "consent_id": opt(row["consent_id"]),
        "request_id": row["request_id"],
        "detail": row["detail"],
        "status": row["status"],
        "linked_at": instant(row["linked_at"]),
    }
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode() + body.encode("utf-8")).hexdigest()


async def test_entries_are_appended_unlinked_then_linked_in_seq_order(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with audit_sessions() as session:
        await append(session, detail={"名称": "广州测试科技有限公司", "families": ["tax"]})
        await append(
            session,
            actor_kind=ActorKind.SYSTEM,
            actor_id="chain-test",
            bank_id=None,
            client_id=None,
            enterprise_id=None,
            consent_id=None,
            request_id=None,
            detail=None,
            status="refused",
        )
        await session.commit()
    await append_committed(audit_sessions, 3)
    before = await rows(engine)
    assert [r["hash"] for r in before] == [None] * 5
    assert [r["linked_at"] for r in before] == [None] * 5

    run = await chain_pending(engine)

    assert (run.linked, run.busy, run.waiting) == (5, False, 0)
    linked = await rows(engine)
    assert run.head_seq == linked[-1]["seq"]
    assert [r["seq"] for r in linked] == sorted(r["seq"] for r in linked)
    assert linked[0]["prev_hash"] == GENESIS
    prev = GENESIS
    for row in linked:
        assert row["prev_hash"] == prev
        assert row["hash"] == documented_hash(prev, row)
        prev = row["hash"]
    assert linked[0]["detail"]["名称"] == "广州测试科技有限公司"
    assert linked[1]["status"] == "refused"
    assert linked[2]["status"] == "200"

    report = await verify(engine)
    assert report.ok and report.intact
    assert (report.linked, report.head_seq, report.head_hash) == (5, linked[-1]["seq"], prev)
    assert report.first_break is None
    assert report.unlinked == 0


async def test_a_later_run_extends_the_chain_from_its_head(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    first = await chained(engine, 3)
    await append_committed(audit_sessions, 2)
    run = await chain_all(engine)
    assert run.linked == 2
    after = await rows(engine)
    assert after[3]["prev_hash"] == first[-1]["hash"]
    assert (await verify(engine)).ok


async def test_verify_names_an_edited_entry(engine: AsyncEngine) -> None:
    linked = await chained(engine, 5)
    victim = linked[2]
    await tamper(
        engine,
        "UPDATE audit_entries SET detail = jsonb_set(detail, '{uscc}', '\"91440101MA5C0000XX\"')"
        " WHERE seq = :seq",
        seq=victim["seq"],
    )
    report = await verify(engine)
    assert not report.ok and not report.intact
    broken = report.first_break
    assert broken is not None
    assert (broken.seq, broken.id, broken.kind) == (victim["seq"], victim["id"], BreakKind.EDITED)
    assert broken.after_seq == linked[1]["seq"]
    assert report.linked == 2  # the links before it hold


async def test_verify_names_the_link_after_a_deleted_entry(engine: AsyncEngine) -> None:
    linked = await chained(engine, 5)
    await tamper(engine, "DELETE FROM audit_entries WHERE seq = :seq", seq=linked[2]["seq"])
    broken = (await verify(engine)).first_break
    assert broken is not None
    assert (broken.seq, broken.id, broken.kind) == (
        linked[3]["seq"],
        linked[3]["id"],
        BreakKind.MISSING,
    )
    assert broken.after_seq == linked[1]["seq"]
    assert f"between seq {linked[1]['seq']} and seq {linked[3]['seq']}" in broken.message


async def test_verify_names_a_deleted_first_entry(engine: AsyncEngine) -> None:
    linked = await chained(engine, 3)
    await tamper(engine, "DELETE FROM audit_entries WHERE seq = :seq", seq=linked[0]["seq"])
    broken = (await verify(engine)).first_break
    assert broken is not None
    assert (broken.seq, broken.kind, broken.after_seq) == (
        linked[1]["seq"],
        BreakKind.MISSING,
        None,
    )


_SWAP = (
    "DROP INDEX uq_audit_entries_id",  # unique at each row, so the swap goes without it
    """
UPDATE audit_entries AS a SET
    id = b.id, occurred_at = b.occurred_at, actor_kind = b.actor_kind, actor_id = b.actor_id,
    bank_id = b.bank_id, client_id = b.client_id, action = b.action,
    enterprise_id = b.enterprise_id, consent_id = b.consent_id, request_id = b.request_id,
    detail = b.detail, status = b.status, prev_hash = b.prev_hash, hash = b.hash,
    linked_at = b.linked_at
FROM audit_entries AS b
WHERE (a.seq, b.seq) IN ((:one, :two), (:two, :one))
""",
    "CREATE UNIQUE INDEX uq_audit_entries_id ON audit_entries (id)",
)


async def test_verify_names_two_entries_whose_order_was_swapped(engine: AsyncEngine) -> None:
    linked = await chained(engine, 6)
    one, two = linked[2], linked[4]
    await tamper(engine, *_SWAP, one=one["seq"], two=two["seq"])
    moved = await rows(engine)
    assert moved[2]["id"] == two["id"] and moved[4]["id"] == one["id"]  # each row intact
    report = await verify(engine)
    broken = report.first_break
    assert broken is not None
    # At seq ``one`` now stands the entry that was linked after the row at seq ``two`` - 1.
    assert (broken.seq, broken.id, broken.kind) == (one["seq"], two["id"], BreakKind.REORDERED)
    assert f"now at seq {linked[3]['seq']}" in broken.message
    assert broken.after_seq == linked[1]["seq"]


async def test_verify_names_an_adjacent_swap(engine: AsyncEngine) -> None:
    linked = await chained(engine, 4)
    one, two = linked[1], linked[2]
    await tamper(engine, *_SWAP, one=one["seq"], two=two["seq"])
    broken = (await verify(engine)).first_break
    assert broken is not None
    assert (broken.seq, broken.id, broken.kind) == (one["seq"], two["id"], BreakKind.REORDERED)
    assert f"now at seq {two['seq']}" in broken.message  # it follows the entry it was after


async def test_an_entry_rewritten_with_a_recomputed_hash_breaks_the_next_link(
    engine: AsyncEngine,
) -> None:
    """A tamperer who edits a row and recomputes its own hash still breaks its successor."""
    linked = await chained(engine, 4)
    victim = dict(linked[1], status="403")
    forged = documented_hash(victim["prev_hash"], victim)
    await tamper(
        engine,
        "UPDATE audit_entries SET status = '403', hash = :forged WHERE seq = :seq",
        forged=forged,
        seq=victim["seq"],
    )
    broken = (await verify(engine)).first_break
    assert broken is not None
    assert (broken.seq, broken.kind) == (linked[2]["seq"], BreakKind.MISSING)
    assert broken.after_seq == linked[1]["seq"]


async def test_a_half_written_link_is_malformed(engine: AsyncEngine) -> None:
    linked = await chained(engine, 2)
    await tamper(
        engine,
        "ALTER TABLE audit_entries DROP CONSTRAINT ck_audit_entries_link_complete",
        "UPDATE audit_entries SET prev_hash = NULL WHERE seq = :seq",
        seq=linked[1]["seq"],
    )
    broken = (await verify(engine)).first_break
    assert broken is not None
    assert (broken.seq, broken.kind) == (linked[1]["seq"], BreakKind.MALFORMED)


async def test_a_rolled_back_append_leaves_a_gap_the_chain_crosses(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await append_committed(audit_sessions, 1)
    async with audit_sessions() as session:
        await append(session)
        await session.rollback()
    await append_committed(audit_sessions, 1)
    run = await chain_pending(engine)
    assert (run.linked, run.waiting) == (2, 0)
    linked = await rows(engine)
    assert linked[1]["seq"] == linked[0]["seq"] + 2  # the rolled-back insert's value
    assert linked[1]["prev_hash"] == linked[0]["hash"]
    assert (await verify(engine)).ok


async def test_an_open_insert_holds_the_chain_at_its_gap_until_it_ends(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A later entry is not linked past an earlier one whose transaction is still open: the
    earlier one is linked first once it commits, and nothing is left behind the head."""
    async with audit_sessions() as slow:
        slow_id = await append(slow)  # draws its seq first, commits last
        await append_committed(audit_sessions, 1)

        held = await chain_pending(engine, settle_timeout=0.2)

        assert (held.linked, held.waiting, held.head_seq) == (0, 1, 0)
        assert (await verify(engine, stale_after=3600)).ok  # waiting is not broken
        await slow.commit()
    run = await chain_pending(engine)
    assert (run.linked, run.waiting) == (2, 0)
    linked = await rows(engine)
    assert linked[0]["id"] == slow_id
    assert linked[0]["prev_hash"] == GENESIS
    assert linked[1]["prev_hash"] == linked[0]["hash"]
    assert (await verify(engine)).ok


async def test_the_chainer_crosses_the_gap_once_the_open_insert_rolls_back(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with audit_sessions() as slow:
        await append(slow)
        await append_committed(audit_sessions, 1)
        held = await chain_pending(engine, settle_timeout=0.2)
        assert (held.linked, held.waiting) == (0, 1)
        await slow.rollback()
    run = await chain_pending(engine)
    assert (run.linked, run.waiting) == (1, 0)
    assert (await verify(engine)).ok


async def test_verify_reports_entries_left_unlinked_too_long(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chained(engine, 2)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    async with audit_sessions() as session:
        old = await append(session, occurred_at=long_ago)
        await append(session)  # just now: waiting, not stale
        await session.commit()

    report = await verify(engine, stale_after=600)

    assert report.intact and not report.ok
    assert report.unlinked == 2
    assert report.stale_count == 1
    assert [e.id for e in report.stale] == [old]
    assert report.stale[0].age_seconds >= 3600 - 60
    assert report.behind_head_count == 0
    await chain_all(engine)
    assert (await verify(engine, stale_after=600)).ok


async def test_verify_reports_an_unlinked_entry_below_the_head(
    engine: AsyncEngine, audit_sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A row slipped in below the head (an insert overriding the identity) is never linked and
    always reported."""
    await append_committed(audit_sessions, 1)
    async with audit_sessions() as session:
        await append(session)
        await session.rollback()  # leaves a hole the chain crosses
    await append_committed(audit_sessions, 1)
    await chain_all(engine)
    hole = (await rows(engine))[0]["seq"] + 1
    forged = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit_entries (seq, id, occurred_at, actor_kind, actor_id, action,"
                " detail, status) OVERRIDING SYSTEM VALUE VALUES"
                " (:seq, :id, now(), 'user', 'someone', 'openapi.profile.read', '{}', '200')"
            ),
            {"seq": hole, "id": forged},
        )
    run = await chain_pending(engine)
    assert run.linked == 0
    report = await verify(engine)
    assert not report.intact and report.first_break is None
    assert report.behind_head_count == 1
    assert [(e.seq, e.id) for e in report.behind_head] == [(hole, forged)]
