"""Public-credit imports uploaded by the credit office: the job that runs an upload, records
its report and rebuilds the profiles it touched, and the sweeper for imports whose job never
came. The upload itself is ``services.OfficeImportService``."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from sqlalchemy import select

from xinyidai.dates import utc_now
from xinyidai.domain.profiles import snapshots
from xinyidai.infra.db import unit_of_work
from xinyidai.infra.text import storable_text
from xinyidai.models import CreditImport, ImportStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.infra.db import Enqueue

log = structlog.get_logger(__name__)
MAX_UPLOAD = 200 * 1024 * 1024
IMPORT_TIMEOUT = 3600  # seconds an import may run; then it fails, and says so
STALE_AFTER = dt.timedelta(minutes=10)  # a queued import whose job never came
MAX_ERROR = 2000  # characters of a failure's message kept on the import
MAX_REASON = 500  # characters of one rejection's reason kept in the report
MAX_STORED_REJECTIONS = 1000
MAX_LOGGED = 500  # characters of a failure's message in the log line
LOGGED_SAMPLES = 5  # rejections shown in the log line (the report keeps the first 1000)


async def enqueue_import(enqueue: Enqueue, import_id: str) -> None:
    """Queue the import's job (once: the key dedupes it while a job for it is incomplete). A
    job that could not record its outcome is retried, its upload still in place."""
    await enqueue(
        "run_import",
        import_id=import_id,
        key=f"import:{import_id}",
        timeout=IMPORT_TIMEOUT + 300,  # the job's own limit fires first, and is recorded
        retries=3,
        retry_delay=30.0,
        retry_backoff=True,
    )


def upload_path(data_dir: Path, import_id: UUID) -> Path:
    """Where an import's upload waits for its job."""
    return data_dir / "imports" / f"{import_id}.upload"


def _report_rejections(rejected: list[Any]) -> list[dict[str, Any]]:
    return [
        {"row": r.row, "reason": storable_text(r.reason, limit=MAX_REASON)}
        for r in rejected[:MAX_STORED_REJECTIONS]
    ]


async def execute_import(
    sessions: async_sessionmaker[AsyncSession], import_id: UUID, data_dir: Path
) -> dict[str, Any]:
    """The job body: run the import, record its report, rebuild the profiles it touched.

    The run always ends recorded, ``done`` or ``failed``: a failure's message is made storable
    (an error text may carry a NUL or a lone surrogate from the file) and bounded. The upload is
    removed only once that outcome is committed; if even that commit fails, the job raises with
    the upload kept, and SAQ's retry (or the sweeper) runs the import again."""
    from xinyidai.domain.credit_data.imports import ImportFileError, import_public_credit

    async with unit_of_work(sessions) as session:
        row = await session.scalar(select(CreditImport).where(CreditImport.id == import_id))
        if row is None or row.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return {"status": "skipped"}
        row.status = ImportStatus.RUNNING
        filename = row.filename
    path = upload_path(data_dir, import_id)
    try:
        # Committed inside the time limit, then the new snapshots' scores are queued.
        async with asyncio.timeout(IMPORT_TIMEOUT), unit_of_work(sessions) as session:
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
            row.rejected = _report_rejections(report.rejected)
            row.status = ImportStatus.DONE
            row.finished_at = utc_now()
    except Exception as exc:
        if isinstance(exc, TimeoutError):
            exc = TimeoutError(f"the import took longer than {IMPORT_TIMEOUT} s; nothing was kept")
        error = storable_text(f"{type(exc).__name__}: {exc}", limit=MAX_ERROR)
        logged = storable_text(error, limit=MAX_LOGGED)
        if isinstance(exc, ImportFileError):  # the file's fault: no traceback to show
            log.warning("import_failed", import_id=str(import_id), error=logged)
        else:
            log.error("import_failed", import_id=str(import_id), error=logged, exc_info=exc)
        await record_failure(sessions, import_id, error)  # raises if it cannot: upload kept
        path.unlink(missing_ok=True)
        return {"status": "failed"}
    path.unlink(missing_ok=True)
    log.info(
        "import_finished",
        import_id=str(import_id),
        accepted=report.accepted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=len(report.rejected),
        rejected_samples=[
            {"row": r.row, "reason": storable_text(r.reason, limit=200)}
            for r in report.rejected[:LOGGED_SAMPLES]
        ],
    )
    return {"status": "done", "accepted": report.accepted, "rejected": len(report.rejected)}


async def record_failure(
    sessions: async_sessionmaker[AsyncSession], import_id: UUID, error: str
) -> None:
    """Mark the import ``failed`` with ``error`` (already storable), in its own transaction."""
    async with unit_of_work(sessions) as session:
        row = await session.get(CreditImport, import_id)
        if row is not None:
            row.status, row.error = ImportStatus.FAILED, storable_text(error, limit=MAX_ERROR)
            row.finished_at = utc_now()


async def sweep_imports(
    sessions: async_sessionmaker[AsyncSession],
    enqueue: Enqueue,
    data_dir: Path,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Imports whose job never ran (Redis was down at the commit) or stopped without recording
    an outcome (a worker that died, a database that refused the record): queued again while
    their upload is there (the job's key keeps a live job from being doubled), else failed."""
    now = now or utc_now()
    queued_before = now - STALE_AFTER
    running_before = now - dt.timedelta(seconds=IMPORT_TIMEOUT) - STALE_AFTER
    requeued = failed = 0
    async with unit_of_work(sessions) as session:
        stale = (
            await session.scalars(
                select(CreditImport.id).where(
                    CreditImport.submitted_by.is_not(None),
                    (
                        (CreditImport.status == ImportStatus.QUEUED)
                        & (CreditImport.updated_at < queued_before)
                    )
                    | (
                        (CreditImport.status == ImportStatus.RUNNING)
                        & (CreditImport.updated_at < running_before)
                    ),
                )
            )
        ).all()
    for import_id in stale:
        if upload_path(data_dir, import_id).exists():
            await enqueue_import(enqueue, str(import_id))
            requeued += 1
        else:
            await record_failure(sessions, import_id, "the upload is gone; submit the file again")
            failed += 1
    if stale:
        log.warning("imports_swept", requeued=requeued, failed=failed)
    return {"imports_requeued": requeued, "imports_failed": failed}
