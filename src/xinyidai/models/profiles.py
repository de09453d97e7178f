"""Immutable, versioned credit-profile snapshots, sync runs and the access log."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ARRAY, BigInteger, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, PlainBase, enum_check


class ProfileSnapshot(Base):
    """One version of an SME's credit profile. Rows are never updated: a database trigger
    refuses UPDATE, so a snapshot once read by a bank stays what the bank read."""

    __tablename__ = "profile_snapshots"
    __table_args__ = (
        Index("uq_profile_snapshots_enterprise_version", "enterprise_id", "version", unique=True),
        Index("ix_profile_snapshots_enterprise_hash", "enterprise_id", "content_hash"),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JsonB)


class SyncStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SyncRun(Base):
    """One fetch of an SME's authorized families (a SAQ job), kept after the job is gone."""

    __tablename__ = "sync_runs"
    __table_args__ = (enum_check("status", SyncStatus, "status_valid"),)

    enterprise_id: Mapped[UUID] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    requested_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[SyncStatus] = mapped_column(String(16), default=SyncStatus.QUEUED)
    families: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    records_added: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class AccessLogEntry(PlainBase):
    """A read of an SME's data by someone other than its own users (征信业管理条例 Art.18-20)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_enterprise_at", "enterprise_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_user_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_org: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    resource: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
