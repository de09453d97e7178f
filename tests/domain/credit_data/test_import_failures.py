"""An office import always ends recorded: a failure whose text the database would refuse is
stored cleaned, the upload stays until the outcome is committed, stalled imports are swept, and
neither a failure nor many rejections make a huge log line."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy.exc
import structlog
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World, login
from xinyidai.app import create_app
from xinyidai.domain.credit_data.office_imports import (
    execute_import,
    sweep_imports,
    upload_path,
)
from xinyidai.infra.queue import create_queue
from xinyidai.models import CreditImport, ImportStatus, Role
from xinyidai.settings import Settings

HEADER = (
    "统一社会信用代码,主体名称,信息类别,决定文书号,决定日期,决定机关,失信程度,内容,公示截止期\n"
)
NUL_HEADER = b"uscc\x00name,other\n1,2\n"  # lacks the required columns: the error quotes it


async def _queued_import(
    sessions: async_sessionmaker[AsyncSession], data_dir: Path, content: bytes, submitted_by: Any
) -> UUID:
    """An import as the upload endpoint leaves it: a queued row and its upload on disk."""
    async with sessions() as session:
        row = CreditImport(
            filename="records.csv",
            submitted_by=submitted_by,
            status=ImportStatus.QUEUED,
            rejected=[],
        )
        session.add(row)
        await session.commit()
        import_id = row.id
    path = upload_path(data_dir, import_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return import_id


async def _row(sessions: async_sessionmaker[AsyncSession], import_id: UUID) -> CreditImport:
    async with sessions() as session:
        row = await session.scalar(select(CreditImport).where(CreditImport.id == import_id))
        assert row is not None
        return row


async def test_an_upload_whose_error_text_has_a_nul_ends_failed_with_the_text_cleaned(
    settings: Settings, world: World
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    live = dataclasses.replace(settings, worker_in_process=True)
    async with AsyncTestClient(app=create_app(live), base_url="https://testserver.local") as c:
        await login(c, "office@example.com")
        upload = await c.post(
            "/api/v1/office/imports", files={"file": ("records.csv", NUL_HEADER, "text/csv")}
        )
        assert upload.status_code == 202, upload.text
        import_id = upload.json()["id"]
        body: dict[str, Any] = {}
        for _ in range(150):
            body = (await c.get(f"/api/v1/office/imports/{import_id}")).json()
            if body["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
    assert body["status"] == "failed", body
    assert body["finished_at"] is not None
    assert "ImportFileError" in body["error"]
    assert "uscc\ufffdname" in body["error"]
    assert "\x00" not in body["error"]
    assert not upload_path(Path(settings.data_dir), UUID(import_id)).exists()


async def test_the_upload_is_kept_until_the_failure_is_recorded(
    settings: Settings,
    world: World,
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    office = await world.user("office@example.com", Role.OFFICE)
    import_id = await _queued_import(sessions, tmp_path, NUL_HEADER, office.id)
    # The database refuses to record the failure (as it refused a NUL before): a real trigger.
    await db.execute(
        text(
            "CREATE FUNCTION refuse_failed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.status = 'failed' THEN RAISE EXCEPTION 'cannot record'; END IF; "
            "RETURN NEW; END $$"
        )
    )
    await db.execute(
        text(
            "CREATE TRIGGER refuse_failed BEFORE UPDATE ON credit_imports "
            "FOR EACH ROW EXECUTE FUNCTION refuse_failed()"
        )
    )
    await db.commit()
    with pytest.raises(sqlalchemy.exc.DBAPIError):
        await execute_import(sessions, import_id, tmp_path)
    assert (await _row(sessions, import_id)).status == ImportStatus.RUNNING
    assert upload_path(tmp_path, import_id).exists()  # so that a retry can run the import

    await db.execute(text("DROP TRIGGER refuse_failed ON credit_imports"))
    await db.commit()
    assert await execute_import(sessions, import_id, tmp_path) == {"status": "failed"}
    row = await _row(sessions, import_id)
    assert row.status == ImportStatus.FAILED
    assert row.error is not None and "\ufffd" in row.error
    assert not upload_path(tmp_path, import_id).exists()


async def test_a_huge_failure_message_is_stored_and_logged_bounded(
    world: World, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    office = await world.user("office@example.com", Role.OFFICE)
    header = ",".join(f"column{i}" for i in range(200_000)) + "\n"  # ~2 MB, no known column
    import_id = await _queued_import(sessions, tmp_path, header.encode(), office.id)
    with structlog.testing.capture_logs() as logs:
        assert await execute_import(sessions, import_id, tmp_path) == {"status": "failed"}
    row = await _row(sessions, import_id)
    assert row.error is not None and len(row.error) <= 2000
    (failed,) = [e for e in logs if e["event"] == "import_failed"]
    assert len(repr(failed)) < 2000


async def test_many_rejections_are_logged_as_a_count_and_a_few_samples(
    world: World, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    office = await world.user("office@example.com", Role.OFFICE)
    bad = "".join(
        f"91440106BADBADBAD1,坏数据{i},行政处罚,穗罚〔2026〕{i}号,2026-03-01,某局,一般,内容,\n"
        for i in range(3000)
    )
    import_id = await _queued_import(sessions, tmp_path, (HEADER + bad).encode(), office.id)
    with structlog.testing.capture_logs() as logs:
        result = await execute_import(sessions, import_id, tmp_path)
    assert result["status"] == "done"
    (finished,) = [e for e in logs if e["event"] == "import_finished"]
    assert finished["rejected"] == 3000
    assert 0 < len(finished["rejected_samples"]) <= 5
    assert len(repr(finished)) < 5000
    row = await _row(sessions, import_id)
    assert row.rejected_count == 3000 and len(row.rejected) == 1000


async def test_stalled_imports_are_queued_again_or_failed_when_their_upload_is_gone(
    world: World,
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    redis_url: str,
    tmp_path: Path,
) -> None:
    office = await world.user("office@example.com", Role.OFFICE)
    never_queued = await _queued_import(sessions, tmp_path, b"x", office.id)
    stopped = await _queued_import(sessions, tmp_path, b"x", office.id)
    lost = await _queued_import(sessions, tmp_path, b"x", office.id)
    fresh = await _queued_import(sessions, tmp_path, b"x", office.id)
    upload_path(tmp_path, lost).unlink()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    await db.execute(
        update(CreditImport)
        .where(CreditImport.id.in_([stopped, lost]))
        .values(status=ImportStatus.RUNNING)
    )
    await db.execute(
        update(CreditImport)
        .where(CreditImport.id.in_([never_queued, stopped, lost]))
        .values(updated_at=long_ago)
    )
    await db.commit()
    queue = create_queue(redis_url)
    await queue.connect()
    try:
        result = await sweep_imports(sessions, queue.enqueue, tmp_path)
        assert result == {"imports_requeued": 2, "imports_failed": 1}
        for import_id in (never_queued, stopped):
            job = await queue.job(f"import:{import_id}")
            assert job is not None and job.kwargs == {"import_id": str(import_id)}
        assert await queue.job(f"import:{fresh}") is None
        # A second sweep while those jobs wait does not queue them twice.
        await sweep_imports(sessions, queue.enqueue, tmp_path)
        assert await queue.count("queued") == 2
    finally:
        await queue.disconnect()
    gone = await _row(sessions, lost)
    assert gone.status == ImportStatus.FAILED and "upload is gone" in (gone.error or "")
    assert (await _row(sessions, fresh)).status == ImportStatus.QUEUED
