"""The audit chain's verification report (``xinyidai audit verify --json`` prints it)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

import msgspec


class BreakKind(StrEnum):
    """What is wrong at a broken link."""

    EDITED = "edited"  # the row's content no longer matches its hash
    MISSING = "missing"  # the row it links to is gone: its prev_hash matches no row
    REORDERED = "reordered"  # it links to a row that stands elsewhere in the order
    MALFORMED = "malformed"  # a half-written link (hash without prev_hash or linked_at)


class ChainBreak(msgspec.Struct, frozen=True, kw_only=True):
    """The first broken link: the row where the walk stopped and why."""

    seq: int
    id: UUID
    kind: BreakKind
    message: str
    after_seq: int | None  # the last intact link before it (None: it is the first link)


class UnlinkedEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A row outside the chain."""

    seq: int
    id: UUID
    occurred_at: dt.datetime
    age_seconds: float


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    """The chain walked from its first link to its head.

    ``intact``: no broken link and no row left behind the head. ``ok``: intact, and no row
    waits for its link longer than ``stale_after`` seconds."""

    ok: bool
    intact: bool
    linked: int  # links checked (all of them when intact)
    head_seq: int | None
    head_hash: str | None
    first_break: ChainBreak | None
    unlinked: int  # rows not linked yet, in all
    stale_after: float
    stale_count: int  # rows after the head unlinked for longer than stale_after
    stale: list[UnlinkedEntry]  # the oldest of them
    behind_head_count: int  # unlinked rows below the head: the chainer will never link them
    behind_head: list[UnlinkedEntry]
