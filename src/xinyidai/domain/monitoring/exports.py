"""The credit office's exports: asking for one (a statistics table or the loan ledger, as CSV
or XLSX), following its job, listing them, downloading the file.

The office is one tenant: every office user sees and downloads every office export (who asked
is recorded on each, and every request and download is in the audit log). Banks and SMEs are
refused (403). Files live in PostgreSQL (``export_chunks``) for ``EXPORT_RETENTION_DAYS``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec
from sqlalchemy import select

from xinyidai.dates import china_today
from xinyidai.domain.audit.services import AuditLog
from xinyidai.domain.banks.services import BankService
from xinyidai.domain.monitoring.export_jobs import queue_export
from xinyidai.domain.monitoring.export_schemas import ExportIn, ExportOut, ExportPage, ExportQuery
from xinyidai.domain.monitoring.export_tables import stat_query
from xinyidai.domain.monitoring.metrics import Metric
from xinyidai.infra.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyidai.models import (
    ActorKind,
    Export,
    ExportChunk,
    ExportFormat,
    ExportKind,
    ExportStatus,
    Role,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.domain.accounts.guards import Principal

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def require_office_user(principal: Principal) -> None:
    """The office's exports are the office's alone: anyone else is refused."""
    if principal.role is not Role.OFFICE:
        raise Forbidden("only the credit office may use exports")


def _progress(row: Export) -> int:
    if row.status == ExportStatus.DONE:
        return 100
    if not row.rows_total:
        return 0
    return min(99, row.rows_written * 100 // row.rows_total)


def _filename(kind: ExportKind, query: ExportQuery, fmt: ExportFormat, created: dt.date) -> str:
    what = "loans" if kind is ExportKind.LOANS else f"stat-{query.metric}"
    span = f"{query.from_:%Y%m%d}-{query.to:%Y%m%d}"
    return f"xinyidai-{what}-{span}-{created:%Y%m%d}.{fmt.value}"


@dataclass(frozen=True, slots=True)
class Download:
    export_id: UUID
    filename: str
    media_type: str
    size: int


class ExportService:
    def __init__(self, session: AsyncSession, retention_days: int) -> None:
        self.session = session
        self.retention = dt.timedelta(days=retention_days)

    def _out(self, row: Export) -> ExportOut:
        return ExportOut(
            id=row.id,
            kind=ExportKind(row.kind),
            format=ExportFormat(row.format),
            query=msgspec.convert(row.query, ExportQuery),
            status=ExportStatus(row.status),
            progress=_progress(row),
            rows_written=row.rows_written,
            rows_total=row.rows_total,
            as_of=row.as_of,
            filename=row.filename if row.status == ExportStatus.DONE else None,
            byte_size=row.byte_size,
            error=row.error,
            requested_by=row.requested_by,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            expires_at=row.created_at + self.retention,
        )

    async def _check(self, data: ExportIn) -> None:
        """The query's period and filters checked as the statistics check theirs (422), and
        for a ``stat`` export its metric and grouping too."""
        from xinyidai.domain.monitoring import stats

        query = data.query
        if data.kind is ExportKind.LOANS and (query.metric is not None or query.group_by):
            raise InvalidInput.field(
                "query.metric",
                "a loans export is the loan ledger: no `metric` or `group_by`",
                "not_for_loans",
            )
        if data.kind is ExportKind.STAT and query.metric is None:
            raise InvalidInput.field("query.metric", "a stat export needs a metric", "required")
        probe = stat_query(query, query.metric or Metric.LOANS)
        stats.checked_period(probe)  # the statistics own these checks
        filters = stats.checked_filters(probe)
        if query.bank is not None:
            try:
                await BankService(self.session).get(query.bank)
            except NotFound:
                raise InvalidInput.field("query.bank", "no such bank", "bank_unknown") from None
        if data.kind is ExportKind.STAT:
            group = list(probe.group_by)
            if len(set(group)) != len(group):
                raise InvalidInput.field(
                    "query.group_by", "a dimension named twice", "repeated_dimension"
                )
            stats.check_dimensions(probe.metric, group, filters)

    async def request(self, data: ExportIn, principal: Principal) -> ExportOut:
        """Record the export and queue its job once the transaction commits (audit-logged)."""
        require_office_user(principal)
        await self._check(data)
        query = msgspec.to_builtins(data.query)
        row = Export(
            kind=data.kind,
            format=data.format,
            status=ExportStatus.QUEUED,
            query=query,
            requested_by=principal.user_id,
            rows_written=0,
            filename=_filename(data.kind, data.query, data.format, china_today()),
        )
        self.session.add(row)
        await self.session.flush()
        await self.session.refresh(row)
        queue_export(self.session, row.id)
        await AuditLog(self.session).append(
            action="office.export.request",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=202,
            detail={
                "export_id": str(row.id),
                "kind": data.kind.value,
                "format": data.format.value,
                "query": query,
            },
        )
        return self._out(row)

    async def _row(self, export_id: UUID) -> Export:
        row = await self.session.get(Export, export_id)
        if row is None:
            raise NotFound("no such export")
        return row

    async def get(self, export_id: UUID, principal: Principal) -> ExportOut:
        """One export and its progress."""
        require_office_user(principal)
        return self._out(await self._row(export_id))

    async def page(
        self,
        principal: Principal,
        *,
        status: ExportStatus | None = None,
        limit: int = 20,
        cursor: UUID | None = None,
    ) -> ExportPage:
        """The office's exports, newest first, ``limit`` at a time."""
        require_office_user(principal)
        query = select(Export)
        if status is not None:
            query = query.where(Export.status == status)
        if cursor is not None:
            query = query.where(Export.id < cursor)
        rows = list(await self.session.scalars(query.order_by(Export.id.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return ExportPage(
            items=[self._out(r) for r in rows],
            limit=limit,
            next_cursor=str(rows[-1].id) if more else None,
        )

    async def download(self, export_id: UUID, principal: Principal) -> Download:
        """What the file's response needs (409 until the export is done); audit-logged."""
        require_office_user(principal)
        row = await self._row(export_id)
        if row.status != ExportStatus.DONE:
            raise Conflict(f"the export is {row.status}: its file is there once it is done")
        assert row.filename is not None and row.byte_size is not None
        await AuditLog(self.session).append(
            action="office.export.download",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=200,
            detail={"export_id": str(row.id), "kind": row.kind, "bytes": row.byte_size},
        )
        return Download(
            export_id=row.id,
            filename=row.filename,
            media_type=MEDIA_TYPES[ExportFormat(row.format)],
            size=row.byte_size,
        )


async def file_chunks(
    sessions: async_sessionmaker[AsyncSession], export_id: UUID
) -> AsyncIterator[bytes]:
    """The stored file, one piece at a time (each read on its own: memory holds one piece)."""
    seq = 0
    while True:
        async with sessions() as session:
            piece = await session.scalar(
                select(ExportChunk.data).where(
                    ExportChunk.export_id == export_id, ExportChunk.seq == seq
                )
            )
        if piece is None:
            return
        yield piece
        seq += 1
