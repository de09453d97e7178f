"""Public-credit imports uploaded by the credit office: stored, run as a job, reported."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import structlog
from sqlalchemy import select

from xinyidai.domain.accounts.guards import require_office
from xinyidai.domain.profiles import snapshots
from xinyidai.infra.db import after_commit, commit
from xinyidai.infra.errors import InvalidInput, NotFound
from xinyidai.models import CreditImport, ImportStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.domain.credit_data.sync import Enqueue

log = structlog.get_logger(__name__)
MAX_UPLOAD = 200 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]+")


class RejectedRow(msgspec.Struct):
    row: int
    reason: str


class ImportOut(msgspec.Struct, kw_only=True):
    id: UUID
    filename: str
    status: ImportStatus
    accepted: int
    updated: int
    unchanged: int
    rejected_count: int
    rejected: list[RejectedRow]
    error: str | None
    submitted_at: dt.datetime
    finished_at: dt.datetime | None


def to_out(row: CreditImport) -> ImportOut:
    return ImportOut(
        id=row.id,
        filename=row.filename,
        status=ImportStatus(row.status),
        accepted=row.accepted,
        updated=row.updated,
        unchanged=row.unchanged,
        rejected_count=row.rejected_count,
        rejected=[RejectedRow(row=r["row"], reason=r["reason"]) for r in row.rejected or []],
        error=row.error,
        submitted_at=row.created_at,
        finished_at=row.finished_at,
    )


def upload_path(data_dir: Path, import_id: UUID) -> Path:
    return data_dir / "imports" / f"{import_id}.upload"


class OfficeImportService:
    def __init__(self, session: AsyncSession, enqueue: Enqueue, data_dir: Path) -> None:
        self.session = session
        self.enqueue = enqueue
        self.data_dir = data_dir

    async def submit(self, filename: str, content: bytes, principal: Principal) -> ImportOut:
        require_office(principal)
        name = _SAFE_NAME.sub("_", Path(filename or "upload.csv").name)[:200] or "upload.csv"
        if not content.strip():
            raise InvalidInput.field("file", "the file is empty", "file_empty")
        if not name.lower().endswith((".csv", ".jsonl", ".json", ".ndjson", ".txt")):
            raise InvalidInput.field("file", "upload a .csv or .jsonl file", "file_type")
        row = CreditImport(
            filename=name, submitted_by=principal.user_id, status=ImportStatus.QUEUED, rejected=[]
        )
        self.session.add(row)
        await self.session.flush()
        path = upload_path(self.data_dir, row.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        import_id = str(row.id)

        async def send() -> None:
            await self.enqueue(
                "run_import", import_id=import_id, key=f"import:{import_id}", timeout=3600
            )

        after_commit(self.session, send)
        log.info("import_submitted", import_id=import_id, bytes=len(content))
        return to_out(row)

    async def status(self, import_id: UUID, principal: Principal) -> ImportOut:
        require_office(principal)
        row = await self.session.get(CreditImport, import_id)
        if row is None:
            raise NotFound("no such import")
        return to_out(row)


async def execute_import(
    sessions: async_sessionmaker[AsyncSession], import_id: UUID, data_dir: Path
) -> dict[str, Any]:
    """The job body: run the import, record its report, rebuild the profiles it touched."""
    from xinyidai.domain.credit_data.imports import import_public_credit

    async with sessions() as session:
        row = await session.scalar(select(CreditImport).where(CreditImport.id == import_id))
        if row is None or row.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return {"status": "skipped"}
        row.status = ImportStatus.RUNNING
        filename = row.filename
        await session.commit()
    path = upload_path(data_dir, import_id)
    try:
        async with sessions() as session:
            report = await import_public_credit(
                session, path, filename=filename, import_id=import_id
            )
            await snapshots.rebuild_for_usccs(session, report.touched_usccs, "public_import")
            row = await session.get(CreditImport, import_id)
            assert row is not None
            row.accepted, row.updated, row.unchanged = (
                report.accepted,
                report.updated,
                report.unchanged,
            )
            row.rejected_count = len(report.rejected)
            row.rejected = [{"row": r.row, "reason": r.reason} for r in report.rejected[:1000]]
            row.status = ImportStatus.DONE
            row.finished_at = dt.datetime.now(dt.UTC)
            await commit(session)  # and queue what the new snapshots need (their scores)
    except Exception as exc:
        log.exception("import_failed", import_id=str(import_id))
        async with sessions() as session:
            row = await session.get(CreditImport, import_id)
            if row is not None:
                row.status, row.error = ImportStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
                row.finished_at = dt.datetime.now(dt.UTC)
                await session.commit()
        return {"status": "failed"}
    finally:
        path.unlink(missing_ok=True)
    return {"status": "done", "accepted": report.accepted}
