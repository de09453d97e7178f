"""The chainer: links committed, unlinked audit rows into the hash chain, in ``seq`` order.

One chainer at a time, across processes: a run holds a PostgreSQL session advisory lock
(:data:`LOCK_KEY`) on a connection of its own, and a run that cannot take it returns at once
(``busy``). Under the lock it reads the chain's head (the linked row with the highest ``seq``,
or :data:`~xinyidai.domain.audit.content.GENESIS_HASH` before the first link), then links the
following unlinked rows in ``seq`` order, in batches of one transaction each (one UPDATE per
batch; the trigger allows exactly this update).

**Gaps.** ``seq`` values are drawn when an INSERT runs and become visible when its transaction
commits, so the rows a chainer sees may have holes: a value whose insert rolled back (never to
come), or one whose transaction is still open (coming). Linking past a hole of the second kind
would leave that row behind the head for ever, so a hole is crossed only once it is *settled*:

1. Every INSERT into ``audit_entries`` holds a ``RowExclusiveLock`` on the table from before it
   draws its value (the lock is taken when the statement is planned or its plan revalidated)
   until its transaction ends, and the identity's cache is 1, so a value below a row the
   chainer has *seen* was drawn before the chainer looked.
2. After reading rows up to ``s``, the chainer lists the transactions holding that lock
   (``pg_locks``; its own excluded) and waits, a few seconds at most, until each has ended.
3. Then every value below ``s`` is final: its row is visible now or will never exist. The
   chainer reads again, links the rows that appeared, and crosses the holes that remain.

Requests never wait for any of this: only the chainer waits, and only at a hole. If a
transaction holding the lock stays open past :data:`SETTLE_TIMEOUT`, the run links up to the
hole and stops; a later run carries on (``verify`` reports rows left unlinked too long). A row
committed with a ``seq`` below the head can therefore only be forged (an insert overriding the
identity) or come from a sequence whose cache was raised: the chainer never links it, and
``verify`` reports it.

**Wake-ups.** After it releases the lock, a run looks once more for rows it has not seen and
goes round again if there are any: a run that found the lock taken may have returned while
this one was finishing, and its rows must not wait for the cron run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from xinyidai.dates import utc_now
from xinyidai.domain.audit.content import (
    GENESIS_HASH,
    canonical_content,
    content_query,
    link_hash,
)
from xinyidai.models import AuditEntry

log = structlog.get_logger(__name__)

LOCK_KEY = 0x7879645F61756474  # "xyd_audt": the session advisory lock of the one chainer
BATCH_SIZE = 1000
"""Rows linked per transaction."""
SETTLE_TIMEOUT = 5.0
"""Seconds a run waits, at a hole in ``seq``, for the inserts still open to end."""
MAX_SECONDS = 30.0
"""A run stops starting new batches after this long (the cron run carries on)."""
_POLL = 0.02  # seconds between two looks at pg_locks while settling

_WRITERS = text(
    "SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}') FROM pg_locks"
    " WHERE locktype = 'relation' AND relation = 'audit_entries'::regclass"
    " AND mode = 'RowExclusiveLock' AND granted AND pid IS DISTINCT FROM pg_backend_pid()"
)
_STILL_WRITING = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation'"
    " AND relation = 'audit_entries'::regclass AND virtualtransaction = ANY(:writers))"
)
_HEAD = text("SELECT seq, hash FROM audit_entries WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1")
_LINK = text(
    "UPDATE audit_entries AS a"
    " SET prev_hash = v.prev_hash, hash = v.hash, linked_at = :linked_at"
    " FROM unnest(CAST(:seqs AS bigint[]), CAST(:prevs AS text[]), CAST(:hashes AS text[]))"
    " AS v(seq, prev_hash, hash)"
    " WHERE a.seq = v.seq AND a.hash IS NULL"
)
_PENDING = text(
    "SELECT count(*) FROM (SELECT 1 FROM audit_entries WHERE hash IS NULL AND seq > :after"
    " LIMIT :enough) AS pending"
)


@dataclass(frozen=True, slots=True)
class Head:
    """The chain's last link (``seq`` 0 and the genesis hash before the first)."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class ChainRun:
    """What one run of the chainer did."""

    linked: int  # rows this run linked
    busy: bool  # it stopped because another chainer held the lock
    head_seq: int  # the chain's last link when it stopped (0: no link yet)
    waiting: int  # committed rows it could not link yet: behind a hole still in flight


@dataclass(frozen=True, slots=True)
class _Batch:
    linked: int
    head: Head
    waiting: int


async def read_head(conn: AsyncConnection) -> Head:
    """The chain's last link: the linked row with the highest ``seq``."""
    row = (await conn.execute(_HEAD)).first()
    return Head(0, GENESIS_HASH) if row is None else Head(int(row.seq), str(row.hash))


async def _unlinked_after(conn: AsyncConnection, after: int, limit: int) -> Sequence[RowMapping]:
    query = (
        content_query()
        .where(AuditEntry.hash.is_(None), AuditEntry.seq > after)
        .order_by(AuditEntry.seq)
        .limit(limit)
    )
    rows: Sequence[RowMapping] = (await conn.execute(query)).mappings().all()
    return rows


async def _settle(conn: AsyncConnection, patience: float) -> bool:
    """Wait until every transaction that holds the insert lock on the table now has ended;
    whether they did within ``patience`` seconds."""
    writers = list((await conn.execute(_WRITERS)).scalar_one())
    deadline = time.monotonic() + patience
    while writers:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(_POLL)
        if not (await conn.execute(_STILL_WRITING, {"writers": writers})).scalar_one():
            return True
    return True


async def _write_links(
    conn: AsyncConnection, links: list[tuple[int, str, str]], linked_at: dt.datetime
) -> None:
    seqs, prevs, hashes = (list(column) for column in zip(*links, strict=True))
    result: Any = await conn.execute(
        _LINK, {"seqs": seqs, "prevs": prevs, "hashes": hashes, "linked_at": linked_at}
    )
    if result.rowcount != len(links):  # pragma: no cover - the lock makes this impossible
        raise RuntimeError(f"linked {result.rowcount} of {len(links)} audit rows; rolled back")


async def _link_batch(
    conn: AsyncConnection, head: Head, limit: int, settle_timeout: float
) -> _Batch:
    """Link up to ``limit`` rows after ``head``, in one transaction (begun by the caller)."""
    rows = await _unlinked_after(conn, head.seq, limit)
    linked_at = utc_now()
    links: list[tuple[int, str, str]] = []
    prev, last = head.hash, head.seq
    final_below = last + 1  # every seq below this is visible or will never be
    settled = False
    waiting = 0
    i = 0
    while i < len(rows):
        row = rows[i]
        if row["seq"] > last + 1 and row["seq"] > final_below:  # a hole not known to be final
            if settled or not await _settle(conn, settle_timeout):
                waiting = len(rows) - i
                break
            settled = True
            final_below = rows[-1]["seq"]  # seen before the settling began
            rows = await _unlinked_after(conn, last, limit - len(links))
            i = 0
            continue
        current = link_hash(prev, canonical_content({**row, "linked_at": linked_at}))
        links.append((row["seq"], prev, current))
        prev, last = current, row["seq"]
        i += 1
    if links:
        await _write_links(conn, links, linked_at)
    return _Batch(len(links), Head(last, prev), waiting)


async def _release(conn: AsyncConnection) -> None:
    """Give the advisory lock back; a connection that cannot is dropped, never pooled with
    the lock still held."""
    try:
        await conn.rollback()
        released = (
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        ).scalar_one()
        await conn.commit()
        if not released:  # pragma: no cover - we took it on this connection
            raise RuntimeError("the chainer's advisory lock was not held")
    except BaseException:
        await conn.invalidate()
        raise


async def _locked_run(
    conn: AsyncConnection, deadline: float, batch_size: int, settle_timeout: float
) -> _Batch:
    """Link batches under the lock until the rows run out, a hole stops us or time is up."""
    head = await read_head(conn)
    await conn.commit()
    linked = 0
    while True:
        async with conn.begin():
            batch = await _link_batch(conn, head, batch_size, settle_timeout)
        linked += batch.linked
        head = batch.head
        if batch.linked < batch_size or time.monotonic() >= deadline:
            return _Batch(linked, head, batch.waiting)


async def chain_pending(
    engine: AsyncEngine,
    *,
    batch_size: int = BATCH_SIZE,
    settle_timeout: float = SETTLE_TIMEOUT,
    max_seconds: float = MAX_SECONDS,
) -> ChainRun:
    """Link every committed, unlinked row that can be linked now (see the module's doc).

    Returns at once, with ``busy``, when another chainer holds the lock."""
    deadline = time.monotonic() + max_seconds
    linked, waiting, head_seq = 0, 0, 0
    while True:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="READ COMMITTED")
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
            ).scalar_one()
            await conn.commit()
            if not got:
                log.debug("audit_chain_busy")
                return ChainRun(linked, True, head_seq, waiting)
            try:
                batch = await _locked_run(conn, deadline, batch_size, settle_timeout)
            finally:
                await _release(conn)
        linked += batch.linked
        waiting, head_seq = batch.waiting, batch.head.seq
        if time.monotonic() >= deadline:
            break
        # Rows that arrived while we held the lock: their own run may have found it taken.
        async with engine.connect() as conn:
            pending = (
                await conn.execute(_PENDING, {"after": head_seq, "enough": waiting + 1})
            ).scalar_one()
        if pending <= waiting:
            break
    if waiting:  # an insert stayed open past SETTLE_TIMEOUT: worth knowing if it lasts
        log.info("audit_chain_held", linked=linked, head_seq=head_seq, waiting=waiting)
    else:
        log.debug("audit_chained", linked=linked, head_seq=head_seq)
    return ChainRun(linked, False, head_seq, waiting)
