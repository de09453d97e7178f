"""The import's parser process and its COPY data: same results as parsing in process, exact
rejections across batch boundaries, failures that leave nothing behind."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.credit_data.test_imports import (
    TODAY,
    USCC_A,
    USCC_B,
    USCC_C,
    csv_bytes,
    records,
    row,
    run,
)
from xinyidai.domain.credit_data import imports
from xinyidai.domain.credit_data.imports import (
    ImportFileError,
    Rejection,
    copy_encoding,
    import_public_credit,
    loader,
    parsers,
)
from xinyidai.models import PublicRecord
from xinyidai.simulation.exports import synthetic_rows, write_csv

# Columns the run sets (times, ids): equal between two runs only up to these.
RUN_COLUMNS = {"id", "created_at", "updated_at", "fetched_at", "status_changed_at", "import_id"}
RUN_COLUMNS |= {"sa_orm_sentinel"}


def mixed_rows() -> list[dict[str, str]]:
    """Good rows, bad rows and repeats, placed around the edges of batches of 4."""
    rows = [row(document_no=f"d{i}", uscc=(USCC_A, USCC_B, USCC_C)[i % 3]) for i in range(1, 15)]
    rows[3] = row(document_no="d4", decision_date="2099-01-01")  # row 4: last of batch 1
    rows[4] = row(document_no="d2", description="重复")  # row 5: first of batch 2 repeats row 2
    rows[7] = row(document_no="d8", status="repaired")  # row 8
    rows[8] = row(document_no="d9", uscc="91440106BADBADBAD1")  # row 9: first of batch 3
    rows[9] = row(document_no="d8")  # row 10 repeats row 8 (an earlier batch)
    rows[12] = row(document_no="d12")  # row 13 repeats row 12 (the same batch)
    rows.append(row(document_no="d1", uscc=USCC_C))  # row 15 repeats row 1
    rows.append(row(document_no="穗税信评〔2025〕9号", record_type="纳税信用等级", severity="",
                    description="2024年度纳税信用等级评定为A级"))  # fmt: skip
    return rows


EXPECTED_REJECTIONS = [
    Rejection(4, "decision_date: 2099-01-01 is in the future"),
    Rejection(5, "document_no: 'd2' repeats row 2"),
    Rejection(
        9,
        "uscc: the check character is '1' but GB 32100-2015 gives 'M' for the first 17 characters",
    ),
    Rejection(10, "document_no: 'd8' repeats row 8"),
    Rejection(13, "document_no: 'd12' repeats row 12"),
    Rejection(15, "document_no: 'd1' repeats row 1"),
]


async def stored(db: AsyncSession) -> dict[str, dict[str, Any]]:
    return {
        document_no: {
            c: getattr(r, c)
            for c in (column.key for column in PublicRecord.__table__.columns)
            if c not in RUN_COLUMNS
        }
        for document_no, r in (await records(db)).items()
    }


def test_the_parser_process_does_not_load_the_orm() -> None:
    """It starts in a fraction of a second: no SQLAlchemy, asyncpg or models."""
    code = (
        "import sys, xinyidai.domain.credit_data.imports; "
        "print(sorted(m for m in ('sqlalchemy', 'asyncpg', 'xinyidai.models') "
        "if m in sys.modules))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_parser_process_module_loads_no_sqlalchemy() -> None:
    """A parser process runs ``imports.parsers`` (with the package around it and the shared
    enums): not one SQLAlchemy module may come with it."""
    code = (
        "import sys, xinyidai.domain.credit_data.imports.parsers; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("form", ["plain csv", "quoted csv", "json lines"])
def test_parser_processes_each_take_a_part_of_the_rows(form: str, parts: int) -> None:
    """Each parser process validates a part of the rows (a byte range of plain CSV, cut at line
    starts; every n-th block of other files). Together the parts give exactly what one process
    gives, except that a repeat of a document number in another part is left for the loader to
    find; and their row counts add up to the file's."""
    rows = [*mixed_rows(), row(document_no=" d3 ", description="空白"), row(document_no="d\t3")]
    data = csv_bytes(rows) + b"\r\ntoo,few\r\n"  # a blank row 19 and a short row 20
    if form == "quoted csv":
        data = data.replace(b",d11,", b',"d11",')
        assert data.count(b'"') == 2
    if form == "json lines":
        data = b"".join(msgspec.json.encode(r) + b"\n" for r in rows) + b"\n[1]\n"
    name = "t.jsonl" if form == "json lines" else "t.csv"

    def batches(part: int, parts: int) -> list[imports.Batch]:
        reader = imports.open_import(data, name)
        try:
            validator = imports.Validator(TODAY)
            return list(imports.iter_batches(reader, validator, 4, part=part, parts=parts))
        finally:
            reader.close()

    def accepted(found: list[imports.Batch]) -> dict[int, str]:
        pairs = (zip(b.records.row, b.records.document_no, strict=True) for b in found)
        return {n: d for batch in pairs for n, d in batch}

    def rejected(found: list[imports.Batch]) -> dict[int, str]:
        return {r.row: r.reason for b in found for r in b.rejected}

    reader = imports.open_import(data, name)
    ranges = reader.plain is not None and reader.plain.splittable(reader.stream)
    reader.close()
    assert ranges == (form == "plain csv")  # split in byte ranges, or block by block
    # What one pass over the whole file gives, repeats across batches included.
    whole = list(imports.parse_rows(data, name, today=TODAY))
    good = {r.row: r.document_no for r in whole if isinstance(r, imports.ParsedRow)}
    bad = {r.row: r.reason for r in whole if isinstance(r, Rejection)}
    split = [batches(part, parts) for part in range(parts)]
    taken = [accepted(found) for found in split]
    assert all(taken), "every part has rows"
    assert sum(map(len, taken)) == len(set().union(*taken)), "no row is in two parts"
    together = {n: d for part in taken for n, d in part.items()}
    turned_away = {n: r for found in split for n, r in rejected(found).items()}
    assert turned_away.items() <= bad.items()
    assert set(together) | set(turned_away) == set(good) | set(bad)
    for number, document_no in together.items():
        if number not in good:  # a repeat of a row in another batch or part
            assert bad[number].startswith(f"document_no: {document_no!r} repeats")
    assert 20 in turned_away and 19 not in together  # the short and the blank row
    assert sum(found[-1].rows_read for found in split) == batches(0, 1)[-1].rows_read


@pytest.mark.parametrize("processes", [2, 3])
@pytest.mark.parametrize("batch_size", [4, 100])
async def test_process_and_thread_parsing_load_the_same(
    db: AsyncSession,
    tmp_path: Path,
    batch_size: int,
    processes: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Into the empty table several parser processes each load a part of the file; repeats of
    a document number across parts are found when the unique index is built, and the first row
    wins as with one parser."""
    monkeypatch.setattr(loader, "PARSER_PROCESSES", processes)
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(mixed_rows()))
    results = []
    for parser_process in (False, True):
        await db.execute(delete(PublicRecord))
        await db.commit()
        report = await run(
            db, path, filename="mixed.csv", batch_size=batch_size, parser_process=parser_process
        )
        results.append((report, report.touched_usccs, await stored(db)))
    (thread, thread_touched, thread_rows), (process, process_touched, process_rows) = results
    assert thread.rejected == process.rejected == EXPECTED_REJECTIONS
    assert (thread.accepted, thread.updated, thread.unchanged) == (10, 0, 0)
    assert (process.accepted, process.updated, process.unchanged) == (10, 0, 0)
    assert thread_touched == process_touched == {USCC_A, USCC_B, USCC_C}
    assert thread_rows == process_rows
    assert process_rows["d8"]["status"] == "repaired"
    assert process_rows["d1"]["uscc"] == USCC_B  # the first row wins
    assert process_rows["d3"]["provider_ref"] == "mixed.csv#row3"
    assert process_rows["穗税信评〔2025〕9号"]["grade"] == "A"
    # Into the filled table (the staging merge): the same file again changes nothing.
    again = await run(db, path, filename="mixed.csv", batch_size=batch_size, parser_process=True)
    assert again.rejected == EXPECTED_REJECTIONS
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 10)
    assert await stored(db) == process_rows


async def test_a_changed_file_updates_through_the_parser_process(
    db: AsyncSession, tmp_path: Path
) -> None:
    path = tmp_path / "large.csv"
    rows = list(synthetic_rows(3_000, seed=7))
    write_csv(path, rows)
    progress: list[int] = []
    report = await run(
        db, path, filename="large.csv", batch_size=1_000, parser_process=True,
        on_progress=progress.append,
    )  # fmt: skip
    assert (report.accepted, report.updated, report.unchanged, report.rejected) == (
        3_000, 0, 0, []
    )  # fmt: skip
    # After each batch, rising to the whole file (each parser process reads all of it).
    assert progress == sorted(set(progress)) and progress[-1] == 3_000 and len(progress) > 1
    assert report.touched_usccs == {r["uscc"] for r in rows}
    ids = (await db.scalars(select(PublicRecord.id))).all()
    assert len(set(ids)) == 3_000 and {i.version for i in ids} == {7}
    for r in rows[:10]:
        r["description"] += "（更正）"
    rows.append(dict(rows[0], document_no="新文号〔2026〕1号"))
    write_csv(path, rows)
    again = await run(db, path, filename="large.csv", batch_size=1_000, parser_process=True)
    assert (again.accepted, again.updated, again.unchanged) == (1, 10, 2_990)
    assert again.touched_usccs == {r["uscc"] for r in rows[:10]}


async def test_a_parser_process_that_dies_fails_the_import_whole(
    db: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([row(document_no=f"d{i}") for i in range(1, 5)]))
    monkeypatch.setattr(parsers, "_PARSER_BOOT", "import sys; sys.exit(3)")
    with pytest.raises(RuntimeError, match=r"stopped unexpectedly \(exit status 3\)"):
        await import_public_credit(db, path, filename="t.csv", today=TODAY, parser_process=True)
    await db.rollback()
    assert await records(db) == {}


async def test_parser_process_errors_are_raised_in_the_loader(tmp_path: Path) -> None:
    job = parsers._ParserJob(
        str(tmp_path / "gone.csv"), "gone.csv", TODAY, 10, dt.datetime.now(dt.UTC),
        uuid.uuid4(), "gone.csv#row", "note", stage=False,
    )  # fmt: skip
    with pytest.raises(ImportFileError, match="cannot open"):
        async for _ in parsers._process_batches(job):
            pass


def test_copy_data_ids_are_uuid7_in_order() -> None:
    high, low = copy_encoding._uuid7_base()
    ids = [uuid.UUID(int=high << 64 | low + i) for i in (0, 1, 2**32 - 1)]
    assert {i.version for i in ids} == {7} and ids == sorted(ids)
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    now_ms = dt.datetime.now(dt.UTC).timestamp() * 1000
    assert abs((high >> 16) - now_ms) < 60_000
