"""The credit office's exports: one row per requested file, and the finished file's bytes.

A file is stored in PostgreSQL, in ``export_chunks`` (1 MiB pieces, written in the same
transaction that marks the export ``done``), never in a directory: the API and the workers may
run on different machines, a backup of the database holds them, and a failed job leaves no
half file (its chunks roll back with it)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, PlainBase, enum_check


class ExportKind(StrEnum):
    STAT = "stat"  # one statistics query (GET /api/v1/office/stats) as a table
    LOANS = "loans"  # the loan-level ledger with filters


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Export(Base):
    """One export the office asked for: what (``kind``, ``query``), in which ``format``, how
    far its job has come (``rows_written`` of ``rows_total``) and how it ended."""

    __tablename__ = "exports"
    __table_args__ = (
        enum_check("kind", ExportKind, "kind_valid"),
        enum_check("format", ExportFormat, "format_valid"),
        enum_check("status", ExportStatus, "status_valid"),
        CheckConstraint("rows_written >= 0", name="rows_written_nonnegative"),
        CheckConstraint("rows_total IS NULL OR rows_total >= 0", name="rows_total_nonnegative"),
        CheckConstraint(
            "status <> 'done' OR (byte_size IS NOT NULL AND filename IS NOT NULL)",
            name="done_has_file",
        ),
        CheckConstraint("status <> 'failed' OR error IS NOT NULL", name="failed_has_reason"),
        Index("ix_exports_created", "created_at"),
        Index("ix_exports_status_updated", "status", "updated_at"),
    )

    kind: Mapped[ExportKind] = mapped_column(String(16))
    format: Mapped[ExportFormat] = mapped_column(String(8))
    status: Mapped[ExportStatus] = mapped_column(String(16), default=ExportStatus.QUEUED)
    query: Mapped[dict[str, Any]] = mapped_column(JsonB)
    requested_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    rows_total: Mapped[int | None] = mapped_column(Integer, default=None)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    as_of: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    filename: Mapped[str | None] = mapped_column(String(200), default=None)
    byte_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class ExportChunk(PlainBase):
    """One piece of a finished export's file, in order of ``seq``."""

    __tablename__ = "export_chunks"
    __table_args__ = (CheckConstraint("seq >= 0", name="seq_nonnegative"),)

    export_id: Mapped[UUID] = mapped_column(
        ForeignKey("exports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
