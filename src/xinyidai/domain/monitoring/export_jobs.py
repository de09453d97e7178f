"""The export job: it claims a queued export, reads its data in one consistent snapshot, writes
the file to a temporary directory (progress recorded as it goes), then stores the file and marks
the export ``done`` in one transaction. Anything that fails marks it ``failed`` with the
reason; no piece of a file is ever stored without the ``done`` that vouches for it. The sweeper
requeues exports whose job never came, fails those whose job died, and deletes old ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import structlog
from sqlalchemy import delete, func, insert, select, update

from xinyidai.dates import utc_now
from xinyidai.domain.applications.ledger import LoanLedger
from xinyidai.domain.banks.services import BankService
from xinyidai.domain.monitoring import export_tables as tables
from xinyidai.domain.monitoring.export_files import (
    UNIT_NOTES,
    ExportTooLarge,
    Preamble,
    TableFile,
    open_file,
)
from xinyidai.domain.monitoring.export_schemas import ExportQuery
from xinyidai.infra.db import enqueue_after_commit, unit_of_work
from xinyidai.infra.errors import DomainError
from xinyidai.infra.text import storable_text
from xinyidai.models import Export, ExportChunk, ExportKind, ExportStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.infra.db import Enqueue

log = structlog.get_logger(__name__)
JOB = "run_export"
EXPORT_TIMEOUT = 1800  # seconds an export may run; then it fails, and says so
CHUNK_BYTES = 1024 * 1024  # the file's pieces in ``export_chunks``
PROGRESS_EVERY = 2000  # rows between two progress records (and two hand-overs to the writer)
STALE_AFTER = dt.timedelta(minutes=10)  # a queued export whose job never came
MAX_ERROR = 1000


def queue_export(session: AsyncSession, export_id: UUID) -> bool:
    """Queue the export's job once the transaction that wrote it commits (the key dedupes it
    while a job for it is incomplete)."""
    return enqueue_after_commit(session, JOB, **job_arguments(export_id))


def job_arguments(export_id: UUID) -> dict[str, Any]:
    return {
        "export_id": str(export_id),
        "key": f"export:{export_id}",
        "timeout": EXPORT_TIMEOUT + 300,  # the job's own limit fires first, and is recorded
    }


@dataclass(frozen=True, slots=True)
class Written:
    as_of: dt.datetime
    rows: int


async def _progress(
    sessions: async_sessionmaker[AsyncSession],
    export_id: UUID,
    written: int,
    total: int | None = None,
) -> None:
    values: dict[str, Any] = {"rows_written": written, "updated_at": utc_now()}
    if total is not None:
        values["rows_total"] = total
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Export)
            .where(Export.id == export_id, Export.status == ExportStatus.RUNNING)
            .values(**values)
        )


async def _bank_name(session: AsyncSession, query: ExportQuery) -> str | None:
    if query.bank is None:
        return None
    return (await BankService(session).get(query.bank)).name


async def _write_loans(
    sessions: async_sessionmaker[AsyncSession],
    export_id: UUID,
    query: ExportQuery,
    file: TableFile,
) -> Written:
    """The ledger's rows, counted and read in one REPEATABLE READ transaction: the total, the
    rows and the as-of time (the snapshot's) agree."""
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        as_of: dt.datetime = await session.scalar(select(func.now()))  # type: ignore[assignment]
        ledger = LoanLedger(session)
        selected = tables.ledger_filter(query)
        total = await ledger.count(selected)
        await _progress(sessions, export_id, 0, total)
        preamble = Preamble(
            title=f"贷款明细 (loan ledger) {query.from_.isoformat()} 至 {query.to.isoformat()}",
            as_of=as_of,
            filters=tables.describe(query, await _bank_name(session, query)),
            notes=UNIT_NOTES,
        )
        await asyncio.to_thread(file.start, preamble, tables.LOAN_COLUMNS)
        batch: list[list[Any]] = []
        async for row in ledger.rows(selected):
            batch.append(tables.loan_cells(row))
            if len(batch) >= PROGRESS_EVERY:
                await asyncio.to_thread(file.write, batch)
                batch = []
                await _progress(sessions, export_id, file.rows_written)
        if batch:
            await asyncio.to_thread(file.write, batch)
        await session.rollback()
    return Written(as_of=as_of, rows=file.rows_written)


async def _write_stat(
    sessions: async_sessionmaker[AsyncSession],
    export_id: UUID,
    query: ExportQuery,
    file: TableFile,
) -> Written:
    """The statistics table the API would answer for the query, with its total row."""
    from xinyidai.domain.monitoring.stats import StatsService

    async with sessions() as session:
        table = await StatsService(session).table(tables.stat_query(query))
        data: dict[str, Any] = msgspec.to_builtins(table)
        bank_name = await _bank_name(session, query)
    rows = list(tables.stat_rows(data))
    await _progress(sessions, export_id, 0, len(rows))
    assert query.metric is not None
    preamble = Preamble(
        title=f"{tables.metric_title(query.metric)} {table.from_} 至 {table.to}",
        as_of=table.as_of,
        filters=tables.describe(query, bank_name),
        notes=UNIT_NOTES,
    )
    await asyncio.to_thread(file.start, preamble, tables.stat_columns(data))
    await asyncio.to_thread(file.write, rows)
    return Written(as_of=table.as_of, rows=file.rows_written)


async def _store(
    sessions: async_sessionmaker[AsyncSession], export_id: UUID, path: Path, written: Written
) -> bool:
    """The file and the ``done`` in one transaction; False if the export is no longer running
    (the sweeper gave up on it meanwhile): then nothing is stored."""
    async with unit_of_work(sessions) as session:
        row = await session.get(Export, export_id, with_for_update=True)
        if row is None or row.status != ExportStatus.RUNNING:
            return False
        size = 0
        with path.open("rb") as handle:
            seq = 0
            while piece := handle.read(CHUNK_BYTES):
                await session.execute(
                    insert(ExportChunk.__table__),
                    {"export_id": export_id, "seq": seq, "data": piece},
                )
                size += len(piece)
                seq += 1
        now = utc_now()
        row.status = ExportStatus.DONE
        row.rows_written = written.rows
        row.rows_total = written.rows
        row.as_of = written.as_of
        row.byte_size = size
        row.finished_at = now
        row.updated_at = now
    return True


async def execute_export(
    sessions: async_sessionmaker[AsyncSession], export_id: UUID
) -> dict[str, Any]:
    """The job body. Always ends recorded, ``done`` or ``failed`` (a failure's reason is
    kept, made storable and bounded); if even recording the failure fails, it raises and SAQ
    keeps the error, and the sweeper fails the export later."""
    async with unit_of_work(sessions) as session:
        claimed = (
            await session.execute(
                update(Export)
                .where(Export.id == export_id, Export.status == ExportStatus.QUEUED)
                .values(status=ExportStatus.RUNNING, started_at=utc_now(), updated_at=utc_now())
                .returning(Export.kind, Export.format, Export.query, Export.filename)
            )
        ).one_or_none()
    if claimed is None:
        return {"status": "skipped"}
    kind, fmt, raw_query, filename = claimed
    try:
        query = msgspec.convert(raw_query, ExportQuery)
        async with asyncio.timeout(EXPORT_TIMEOUT):
            with tempfile.TemporaryDirectory(prefix="xyd-export-") as tmp:
                path = Path(tmp) / (filename or f"export.{fmt}")
                file = open_file(fmt, path)
                write = _write_loans if kind == ExportKind.LOANS else _write_stat
                try:
                    written = await write(sessions, export_id, query, file)
                except BaseException:
                    await asyncio.to_thread(file.abort)
                    raise
                await asyncio.to_thread(file.close)
                stored = await _store(sessions, export_id, path, written)
    except Exception as exc:
        if isinstance(exc, TimeoutError):
            exc = TimeoutError(f"the export took longer than {EXPORT_TIMEOUT} s; nothing was kept")
        reason = exc.detail if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, (ExportTooLarge, DomainError)):
            log.warning("export_failed", export_id=str(export_id), error=reason)
        else:
            log.error("export_failed", export_id=str(export_id), error=reason, exc_info=exc)
        await record_failure(sessions, export_id, reason)
        return {"status": "failed"}
    if not stored:
        return {"status": "abandoned"}
    log.info("export_finished", export_id=str(export_id), kind=kind, rows=written.rows)
    return {"status": "done", "rows": written.rows}


async def record_failure(
    sessions: async_sessionmaker[AsyncSession], export_id: UUID, reason: str
) -> None:
    """Mark the export ``failed`` with ``reason``, in its own transaction (its file, if any
    piece was being stored, rolled back with the transaction that failed)."""
    now = utc_now()
    async with unit_of_work(sessions) as session:
        await session.execute(
            update(Export)
            .where(
                Export.id == export_id,
                Export.status.in_([ExportStatus.QUEUED, ExportStatus.RUNNING]),
            )
            .values(
                status=ExportStatus.FAILED,
                error=storable_text(reason, limit=MAX_ERROR),
                finished_at=now,
                updated_at=now,
            )
        )


async def sweep_exports(
    sessions: async_sessionmaker[AsyncSession],
    enqueue: Enqueue,
    retention_days: int,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Queue again the exports whose job never came (Redis was down at the commit), fail the
    ones whose job stopped without an outcome (a worker that died), and delete the exports,
    files included, older than ``retention_days``."""
    now = now or utc_now()
    async with unit_of_work(sessions) as session:
        queued = (
            await session.scalars(
                select(Export.id).where(
                    Export.status == ExportStatus.QUEUED, Export.updated_at < now - STALE_AFTER
                )
            )
        ).all()
        dead = (
            await session.scalars(
                select(Export.id).where(
                    Export.status == ExportStatus.RUNNING,
                    Export.updated_at < now - dt.timedelta(seconds=EXPORT_TIMEOUT) - STALE_AFTER,
                )
            )
        ).all()
        deleted = (
            await session.execute(
                delete(Export)
                .where(
                    Export.status.in_([ExportStatus.DONE, ExportStatus.FAILED]),
                    Export.created_at < now - dt.timedelta(days=retention_days),
                )
                .returning(Export.id)
                .execution_options(synchronize_session=False)
            )
        ).all()
    for export_id in queued:
        await enqueue(JOB, **job_arguments(export_id))
    for export_id in dead:
        await record_failure(
            sessions, export_id, "the export's job stopped without finishing; ask for it again"
        )
    if queued or dead or deleted:
        log.info("exports_swept", requeued=len(queued), failed=len(dead), deleted=len(deleted))
    return {"requeued": len(queued), "failed": len(dead), "deleted": len(deleted)}
