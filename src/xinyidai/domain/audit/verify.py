"""Verifying the audit chain: walk it in ``seq`` order, recompute every link, name the first
broken one, and report the rows left outside it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.audit.content import (
    GENESIS_HASH,
    canonical_content,
    content_query,
    link_hash,
)
from xinyidai.domain.audit.schemas import BreakKind, ChainBreak, ChainReport, UnlinkedEntry
from xinyidai.models import AuditEntry

PAGE = 2000
"""Links read per query while walking."""
LISTED = 20
"""Rows outside the chain a report lists by name (it counts them all)."""
_HEX = re.compile(r"[0-9a-f]{64}")


async def _holder(session: AsyncSession, hash_: str) -> tuple[int, Any] | None:
    """The row whose hash is ``hash_``, if any (a full scan: only run at a broken link)."""
    row = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.id).where(AuditEntry.hash == hash_).limit(1)
        )
    ).first()
    return None if row is None else (int(row.seq), row.id)


async def _check(
    session: AsyncSession, row: Mapping[str, Any], expected: str, after: int | None
) -> ChainBreak | None:
    """Whether the link of ``row`` holds, ``expected`` being the hash of the link before it
    (the genesis hash for the first) and ``after`` that link's ``seq``."""

    def broken(kind: BreakKind, message: str) -> ChainBreak:
        return ChainBreak(seq=row["seq"], id=row["id"], kind=kind, message=message, after_seq=after)

    prev = row["prev_hash"]
    if prev is None or row["linked_at"] is None or not _HEX.fullmatch(prev):
        return broken(BreakKind.MALFORMED, "its link is half written (hash without prev_hash)")
    before = "the start of the chain" if after is None else f"seq {after}"
    if prev != expected:
        if prev == GENESIS_HASH:
            return broken(
                BreakKind.REORDERED,
                f"it records the genesis hash, as the chain's first entry, but follows {before}",
            )
        holder = await _holder(session, prev)
        if holder is not None:
            return broken(
                BreakKind.REORDERED,
                f"it was linked after the entry now at seq {holder[0]} (id {holder[1]}), "
                f"but follows {before}: the order of entries was changed",
            )
        return broken(
            BreakKind.MISSING,
            f"the entry it was linked after is gone (its prev_hash matches no entry): an entry "
            f"between {before} and seq {row['seq']} was deleted, or rewritten with a new hash",
        )
    if link_hash(prev, canonical_content(row)) != row["hash"]:
        return broken(
            BreakKind.EDITED,
            "its content no longer matches its hash: it was edited after it was linked",
        )
    return None


async def _outside(session: AsyncSession, condition: Any) -> tuple[int, list[UnlinkedEntry]]:
    """How many unlinked rows meet ``condition``, and the oldest of them."""
    unlinked = AuditEntry.hash.is_(None)
    count = await session.scalar(select(func.count()).where(unlinked, condition)) or 0
    age = func.extract("epoch", func.now() - AuditEntry.occurred_at)
    rows = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.id, AuditEntry.occurred_at, age.label("age"))
            .where(unlinked, condition)
            .order_by(AuditEntry.seq)
            .limit(LISTED)
        )
    ).all()
    listed = [
        UnlinkedEntry(seq=r.seq, id=r.id, occurred_at=r.occurred_at, age_seconds=float(r.age))
        for r in rows
    ]
    return count, listed


async def verify_chain(session: AsyncSession, *, stale_after: float) -> ChainReport:
    """Walk the chain and report on it (see :class:`ChainReport`).

    Every link is checked in ``seq`` order: its ``prev_hash`` must be the hash of the link
    before it (the genesis hash for the first), and its ``hash`` must be recomputed from that
    and the row's canonical content. The walk stops at the first link that fails, named with
    its ``seq``, id and what is wrong: content *edited*; the entry it was linked after
    *missing* (deleted); or *reordered* (it was linked after an entry that now stands
    elsewhere). Rows not linked yet are reported when older than ``stale_after`` seconds, and
    unlinked rows below the head (which the chainer never links) always.

    Reads one snapshot (REPEATABLE READ), so links the chainer adds meanwhile do not matter;
    the session must not have begun its transaction yet."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    expected, after, linked = GENESIS_HASH, None, 0
    first_break: ChainBreak | None = None
    while first_break is None:
        query = content_query().where(AuditEntry.hash.is_not(None))
        if after is not None:
            query = query.where(AuditEntry.seq > after)
        page = (await session.execute(query.order_by(AuditEntry.seq).limit(PAGE))).mappings()
        rows = page.all()
        for row in rows:
            first_break = await _check(session, row, expected, after)
            if first_break is not None:
                break
            expected, after, linked = row["hash"], row["seq"], linked + 1
        if len(rows) < PAGE:
            break
    head = (
        await session.execute(
            text(
                "SELECT seq, hash FROM audit_entries WHERE hash IS NOT NULL"
                " ORDER BY seq DESC LIMIT 1"
            )
        )
    ).first()
    head_seq = None if head is None else int(head.seq)
    unlinked = await session.scalar(select(func.count()).where(AuditEntry.hash.is_(None))) or 0
    stale_count, stale = await _outside(
        session,
        (AuditEntry.seq > (head_seq or 0))
        & (AuditEntry.occurred_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_after)),
    )
    behind_count, behind = (
        (0, []) if head_seq is None else await _outside(session, AuditEntry.seq < head_seq)
    )
    intact = first_break is None and behind_count == 0
    return ChainReport(
        ok=intact and stale_count == 0,
        intact=intact,
        linked=linked,
        head_seq=head_seq,
        head_hash=None if head is None else str(head.hash),
        first_break=first_break,
        unlinked=unlinked,
        stale_after=stale_after,
        stale_count=stale_count,
        stale=stale,
        behind_head_count=behind_count,
        behind_head=behind,
    )
