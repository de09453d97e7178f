"""The append-only, hash-chained audit log (see ``xinyidai.domain.audit`` for the design)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import PlainBase, enum_check


class ActorKind(StrEnum):
    """Who made the audited call."""

    BANK_CLIENT = "bank_client"  # a bank's OAuth client (the bank API)
    USER = "user"  # a logged-in user of the portals
    SYSTEM = "system"  # a job or a command of the platform itself


LINK_COLUMNS = ("prev_hash", "hash", "linked_at")
"""The columns the chainer fills, once, from NULL; every other column is fixed at the insert."""


class AuditEntry(PlainBase):
    """One audited call. Rows are inserted unlinked (``hash`` NULL) and linked into the chain
    once by the chainer; a trigger refuses every other UPDATE, every DELETE and TRUNCATE (and
    an INSERT that arrives already linked). No foreign keys: an audit row outlives whatever it
    names."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("uq_audit_entries_id", "id", unique=True),
        # The rows the chainer has still to link: a small index, empty once the chain caught up.
        Index("ix_audit_entries_unlinked", "seq", postgresql_where=text("hash IS NULL")),
        # A bank's calls by time: its usage counts (domain/openapi_bank/usage.py).
        Index(
            "ix_audit_entries_bank_at",
            "bank_id",
            "occurred_at",
            postgresql_where=text("bank_id IS NOT NULL"),
        ),
        enum_check("actor_kind", ActorKind, "actor_kind_valid"),
        CheckConstraint(
            "(hash IS NULL) = (prev_hash IS NULL) AND (hash IS NULL) = (linked_at IS NULL)",
            name="link_complete",
        ),
        CheckConstraint(
            "hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$'", name="hash_hex"
        ),
    )

    # The chain's order. An identity drawn when the INSERT runs (cache 1: a smaller value was
    # always drawn earlier), so values increase with time but rows may commit out of order and
    # rolled-back inserts leave gaps; the chainer handles both (domain/audit/chainer.py).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    id: Mapped[UUID] = mapped_column()
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_kind: Mapped[ActorKind] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(200))
    bank_id: Mapped[UUID | None] = mapped_column(default=None)
    client_id: Mapped[str | None] = mapped_column(String(200), default=None)
    action: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[UUID | None] = mapped_column(default=None)
    consent_id: Mapped[UUID | None] = mapped_column(default=None)
    request_id: Mapped[str | None] = mapped_column(String(100), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    status: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)
    linked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
