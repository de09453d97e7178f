"""The public credit import: parsing and validation, the bulk loader on PostgreSQL, the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.credit_data.imports import (
    ImportFileError,
    ImportReport,
    ParsedRow,
    Rejection,
    canonical_grade,
    import_public_credit,
    parse_date,
    parse_rows,
    parsers,
    readers,
)
from xinyidai.enums import RecordStatus, RecordType
from xinyidai.models import CreditImport, ImportStatus, PublicRecord
from xinyidai.settings import Settings
from xinyidai.simulation.exports import (
    CHINESE_COLUMNS,
    COLUMNS,
    synthetic_rows,
    write_csv,
)
from xinyidai.simulation.registry import make_uscc

TODAY = dt.date(2026, 11, 21)
_rng = random.Random(20261121)
USCC_A = make_uscc(_rng, "440106")
USCC_B = make_uscc(_rng, "440111")
USCC_C = make_uscc(_rng, "440103")
BAD_CHECK = USCC_A[:17] + ("0" if USCC_A[17] != "0" else "1")


def row(**overrides: str) -> dict[str, str]:
    base = {
        "uscc": USCC_A,
        "name": "广州天河测试科技有限公司",
        "record_type": "admin_penalty",
        "document_no": "穗天市监处罚〔2025〕1号",
        "decision_date": "2025-03-01",
        "authority": "广州市天河区市场监督管理局",
        "severity": "general",
        "description": "违反《中华人民共和国广告法》第二十八条，罚款人民币20000元",
        "publish_until": "2026-03-01",
        "grade": "",
        "status": "",
    }
    base.update(overrides)
    return base


def csv_bytes(
    rows: list[dict[str, str]],
    *,
    chinese: bool = False,
    encoding: str = "utf-8",
    columns: tuple[str, ...] = COLUMNS,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([CHINESE_COLUMNS[c] if chinese else c for c in columns])
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return out.getvalue().encode(encoding)


def jsonl_bytes(rows: list[Any]) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode()) + b"\n"
        for r in rows
    )


def parsed(data: bytes, filename: str = "t.csv") -> list[ParsedRow | Rejection]:
    return list(parse_rows(data, filename, today=TODAY))


async def records(db: AsyncSession) -> dict[str, PublicRecord]:
    db.expire_all()
    return {r.document_no: r for r in (await db.scalars(select(PublicRecord))).all()}


async def count(db: AsyncSession) -> int:
    counted = await db.execute(select(func.count()).select_from(PublicRecord))
    return counted.scalar_one()


async def run(
    db: AsyncSession, data: bytes | Path, filename: str = "t.csv", **kwargs: Any
) -> ImportReport:
    report = await import_public_credit(db, data, filename=filename, today=TODAY, **kwargs)
    await db.commit()
    return report


# --- parsing (no database) ----------------------------------------------------------------------
def test_dates_in_every_accepted_format() -> None:
    for raw in (
        "2024-03-05",
        "2024/03/05",
        "2024/3/5",
        "20240305",
        "2024年3月5日",
        "2024年03月05日",
    ):
        assert parse_date(raw) == dt.date(2024, 3, 5), raw
    for raw in ("2024-02-30", "05/03/2024", "2024-3", "yesterday", "2024年3月"):
        with pytest.raises(ValueError, match="not a"):
            parse_date(raw)


def test_grades_are_canonical_and_read_from_descriptions() -> None:
    assert canonical_grade(RecordType.TAX_GRADE, "a级") == "A"
    assert canonical_grade(RecordType.TAX_GRADE, "2024年度纳税信用等级评定为M级") == "M"
    assert canonical_grade(RecordType.TAX_GRADE, "E") is None
    assert canonical_grade(RecordType.CUSTOMS_GRADE, "高级认证企业") == "AA"
    assert canonical_grade(RecordType.CUSTOMS_GRADE, "AEO-A") == "A"
    assert canonical_grade(RecordType.CUSTOMS_GRADE, "海关认定为一般信用企业") == "B"
    assert canonical_grade(RecordType.CUSTOMS_GRADE, "失信企业") == "C"
    assert canonical_grade(RecordType.ENVIRONMENTAL_GRADE, "绿牌") == "green"
    assert canonical_grade(RecordType.ENVIRONMENTAL_GRADE, "Black") == "black"
    assert canonical_grade(RecordType.ENVIRONMENTAL_GRADE, "评价结果：环保警示（黄牌）") == "yellow"


def test_rows_are_normalised_and_hashed() -> None:
    data = csv_bytes(
        [
            row(name="  广州天河测试科技\t有限公司 ", uscc=USCC_A.lower(), severity="一般"),
            row(
                document_no="穗税信评〔2025〕9号",
                record_type="纳税信用等级",
                severity="",
                grade="",
                description="2024年度纳税信用等级评定为A级",
                publish_until="",
            ),
        ]
    )
    first, second = parsed(data)
    assert isinstance(first, ParsedRow) and isinstance(second, ParsedRow)
    assert first.uscc == USCC_A and first.subject_name == "广州天河测试科技 有限公司"
    assert (first.record_type, first.severity, first.status) == (
        "admin_penalty",
        "general",
        "active",
    )
    assert first.decision_date == dt.date(2025, 3, 1)
    assert first.publish_until == dt.date(2026, 3, 1)
    assert len(first.content_hash) == 64
    assert (second.record_type, second.grade, second.publish_until) == ("tax_grade", "A", None)
    # The hash is of the normalised content: cosmetic differences do not change it.
    base = parsed(csv_bytes([row()]))[0]
    cosmetic = row(
        name=" 广州天河测试科技有限公司 ",
        uscc=USCC_A.lower(),
        severity="一般",
        decision_date="2025年3月1日",
    )
    again = parsed(csv_bytes([cosmetic]))[0]
    changed = parsed(csv_bytes([row(description="改过的内容")]))[0]
    assert isinstance(base, ParsedRow) and isinstance(again, ParsedRow)
    assert isinstance(changed, ParsedRow)
    assert again.content_hash == base.content_hash != changed.content_hash


def test_malformed_rows_name_their_row_and_reason() -> None:
    data = csv_bytes(
        [
            row(document_no="ok-1"),
            row(document_no="bad-1", uscc=BAD_CHECK),
            row(document_no="bad-2", decision_date="2025-02-30"),
            row(document_no="bad-3", record_type="行政奖励"),
            row(document_no="bad-4", severity=""),
            row(document_no="bad-5", decision_date="2026-11-22", publish_until=""),
            row(document_no="bad-6", name="广州\x07测试有限公司"),
            row(document_no="bad-7", publish_until="2025-01-01"),
            row(document_no="bad-8", name="名" * 201),
            row(document_no="bad-9", record_type="tax_grade", severity="", description="无"),
            row(document_no="bad-10", authority=" "),
            row(document_no="bad-11", status="撤销"),
            row(document_no="bad-12", severity="很严重"),
            row(document_no="ok-2", record_type="行政许可", severity="", publish_until=""),
        ]
    )
    results = parsed(data)
    assert [r.document_no for r in results if isinstance(r, ParsedRow)] == ["ok-1", "ok-2"]
    reasons = {r.row: r.reason for r in results if isinstance(r, Rejection)}
    assert sorted(reasons) == list(range(2, 14))
    assert reasons[2].startswith("uscc: the check character is")
    assert reasons[3] == "decision_date: '2025-02-30' is not a calendar date"
    assert reasons[4] == "record_type: unknown type '行政奖励'"
    assert reasons[5] == "severity: required for admin_penalty"
    assert reasons[6] == "decision_date: 2026-11-22 is in the future"
    assert reasons[7] == "name: contains a control character (U+0007)"
    assert reasons[8] == "publish_until: 2025-01-01 is before decision_date 2025-03-01"
    assert reasons[9] == "name: 201 characters, at most 200"
    assert reasons[10].startswith("grade: required for tax_grade")
    assert reasons[11] == "authority: required"
    assert reasons[12].startswith("status: unknown status '撤销'")
    assert reasons[13].startswith("severity: unknown severity '很严重'")


def test_row_numbers_count_data_rows_with_the_header_as_row_zero() -> None:
    data = csv_bytes([row(document_no="d1")]) + b"\n,,,,,,,,,,\n"
    data += csv_bytes([row(document_no="d4", uscc="X")])[data.index(b"\n") + 1 :]
    data += b"too,few,fields\n"
    results = parsed(data)
    assert [type(r).__name__ for r in results] == ["ParsedRow", "Rejection", "Rejection"]
    assert results[0].row == 1  # blank rows 2 and 3 are skipped but keep their numbers
    assert results[1] == Rejection(4, "uscc: a USCC has 18 characters, this one has 1")
    assert results[2] == Rejection(5, "has 3 fields, the header has 11")


@pytest.mark.parametrize("read_bytes", [64, 300, 1 << 20])
def test_plain_csv_read_in_bulk_numbers_rows_like_the_csv_module(
    monkeypatch: pytest.MonkeyPatch, read_bytes: int
) -> None:
    """Plain CSV is read in bulk, a chunk of lines at a time; from the first chunk with a quoted
    field (here one spanning two lines) the csv module reads on, and the row numbers run on
    across both, blank lines, short rows and mixed line ends included."""
    monkeypatch.setattr(readers, "_READ_BYTES", read_bytes)
    body = b"".join(
        csv_bytes([row(document_no=f"d{i}", decision_date=f"2025-03-0{i}")]).split(b"\n", 1)[1]
        for i in range(1, 5)
    )  # rows 1-4 (CRLF)
    body += b"\n" + b",,,,,,,,,,\n"  # rows 5 and 6: blank
    body += csv_bytes([row(document_no="d7")]).split(b"\n", 1)[1].replace(b"\r\n", b"\n")
    body += b"too,few\r\n"  # row 8
    body += csv_bytes([row(document_no="d9", description="第一行\n第二行")]).split(b"\n", 1)[1]
    body += csv_bytes([row(document_no="d10")]).split(b"\n", 1)[1]
    data = csv_bytes([]) + body
    results = parsed(data)
    accepted = {r.document_no: r.row for r in results if isinstance(r, ParsedRow)}
    assert accepted == {"d1": 1, "d2": 2, "d3": 3, "d4": 4, "d7": 7, "d9": 9, "d10": 10}
    assert [r for r in results if isinstance(r, Rejection)] == [
        Rejection(8, "has 2 fields, the header has 11")
    ]
    nine = next(r for r in results if isinstance(r, ParsedRow) and r.document_no == "d9")
    assert nine.description == "第一行 第二行"


def test_undecodable_bytes_reject_only_their_row() -> None:
    good = csv_bytes([row(document_no="d1")])
    bad = csv_bytes([row(document_no="d2", description="X")]).split(b"\n")[1].replace(b"X", b"\xff")
    results = parsed(good + bad + b"\n" + csv_bytes([row(document_no="d3")]).split(b"\n", 1)[1])
    assert [r.row for r in results if isinstance(r, ParsedRow)] == [1, 3]
    assert results[1] == Rejection(
        2, "description: contains bytes that are not valid text in the file's encoding"
    )


def test_files_that_cannot_be_read_at_all() -> None:
    with pytest.raises(ImportFileError, match="empty"):
        parsed(b"  \n")
    with pytest.raises(ImportFileError, match="lacks required column"):
        parsed(b"uscc,name\n" + USCC_A.encode() + b",x\n")
    with pytest.raises(ImportFileError, match="twice"):
        parsed(
            "uscc,统一社会信用代码,name,record_type,document_no,decision_date,authority\n".encode()
        )
    with pytest.raises(ImportFileError, match="cannot open"):
        list(parse_rows(Path("/nonexistent/file.csv"), "file.csv"))


def test_bom_and_optional_columns() -> None:
    columns = ("uscc", "name", "record_type", "document_no", "decision_date", "authority")
    data = b"\xef\xbb\xbf" + csv_bytes([row(record_type="信用承诺")], columns=columns)
    (result,) = parsed(data)
    assert isinstance(result, ParsedRow)
    assert (result.record_type, result.severity, result.description) == (
        "credit_commitment",
        None,
        "",
    )


def test_report_json_leaves_out_touched_usccs() -> None:
    report = ImportReport(accepted=1, rejected=[Rejection(2, "bad")])
    report.touched_usccs.add(USCC_A)
    assert msgspec.json.decode(msgspec.json.encode(report)) == {
        "accepted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": [{"row": 2, "reason": "bad"}],
    }
    assert report.touched_usccs == {USCC_A}


def test_synthetic_rows_are_valid_and_varied() -> None:
    rows = list(synthetic_rows(3000, seed=11))
    results = parsed(csv_bytes(rows))
    assert all(isinstance(r, ParsedRow) for r in results), [
        r for r in results if isinstance(r, Rejection)
    ][:3]
    kinds = {r.record_type for r in results if isinstance(r, ParsedRow)}
    assert kinds == {t.value for t in RecordType}
    counts = {k: sum(r["record_type"] == k for r in rows) for k in kinds}
    assert counts["admin_licence"] > counts["admin_penalty"] > counts["serious_dishonesty"]
    assert list(synthetic_rows(3000, seed=11)) == rows


# --- the loader, on PostgreSQL ------------------------------------------------------------------
async def test_chinese_headers_and_values_are_stored_with_provenance(db: AsyncSession) -> None:
    data = csv_bytes(
        [
            row(
                record_type="行政处罚",
                severity="严重",
                decision_date="2025/03/01",
                publish_until="2028年3月1日",
            ),
            row(
                document_no="穗红〔2024〕7号",
                record_type="守信红名单",
                severity="",
                decision_date="20240105",
                publish_until="",
                uscc=USCC_B,
            ),
            row(
                document_no="关信〔2024〕3号",
                record_type="海关信用等级",
                severity="",
                grade="高级认证企业",
                publish_until="",
                uscc=USCC_B,
            ),
            row(
                document_no="穗环信〔2024〕2号",
                record_type="环境信用等级",
                severity="",
                grade="",
                description="2023年度企业环境信用评价结果：环保良好（蓝牌）",
                publish_until="",
            ),
            row(
                document_no="穗异〔2023〕5号",
                record_type="经营异常名录",
                severity="一般",
                status="已修复",
                publish_until="",
            ),
        ],
        chinese=True,
    )
    report = await run(db, data, filename="公共信用.csv")
    assert (report.accepted, report.updated, report.unchanged, report.rejected) == (5, 0, 0, [])
    assert report.touched_usccs == {USCC_A, USCC_B}
    stored = await records(db)
    penalty = stored["穗天市监处罚〔2025〕1号"]
    assert penalty.record_type == RecordType.ADMIN_PENALTY and penalty.severity == "serious"
    assert (penalty.decision_date, penalty.publish_until) == (
        dt.date(2025, 3, 1),
        dt.date(2028, 3, 1),
    )
    assert penalty.status == RecordStatus.ACTIVE and penalty.status_changed_at is None
    assert penalty.source == "public_credit_import"
    assert penalty.provider_ref == "公共信用.csv#row1"
    assert penalty.import_id == report.import_id and len(penalty.content_hash) == 64
    assert penalty.fetched_at is not None and penalty.id.version == 7
    assert stored["穗红〔2024〕7号"].record_type == RecordType.RED_LIST
    assert stored["穗红〔2024〕7号"].decision_date == dt.date(2024, 1, 5)
    assert stored["关信〔2024〕3号"].grade == "AA"
    assert stored["穗环信〔2024〕2号"].grade == "blue"
    repaired = stored["穗异〔2023〕5号"]
    assert repaired.status == RecordStatus.REPAIRED and repaired.status_changed_at is not None
    assert repaired.status_note == "repaired by import 公共信用.csv"
    run_row = await db.get(CreditImport, report.import_id)
    assert run_row is not None and run_row.status == ImportStatus.DONE
    assert (run_row.filename, run_row.accepted, run_row.rejected_count) == ("公共信用.csv", 5, 0)


async def test_bad_rows_are_reported_and_good_rows_kept(db: AsyncSession) -> None:
    data = csv_bytes(
        [
            row(document_no="good-1"),
            row(document_no="bad-uscc", uscc=BAD_CHECK),
            row(document_no="bad-date", decision_date="2025-13-01"),
            row(document_no="bad-type", record_type="unknown"),
            row(document_no="no-severity", severity=""),
            row(document_no="future", decision_date="2027-01-01", publish_until=""),
            row(document_no="control", description="含有\x00控制字符"),
            row(document_no="good-2", uscc=USCC_B),
        ]
    )
    report = await run(db, data)
    assert (report.accepted, report.updated, report.unchanged) == (2, 0, 0)
    assert [r.row for r in report.rejected] == [2, 3, 4, 5, 6, 7]
    reasons = [r.reason for r in report.rejected]
    assert reasons[0].startswith("uscc: the check character")
    assert reasons[1].startswith("decision_date:") and "not a calendar date" in reasons[1]
    assert reasons[2] == "record_type: unknown type 'unknown'"
    assert reasons[3] == "severity: required for admin_penalty"
    assert reasons[4] == "decision_date: 2027-01-01 is in the future"
    assert reasons[5] == "description: contains a control character (U+0000)"
    assert set(await records(db)) == {"good-1", "good-2"}
    run_row = await db.get(CreditImport, report.import_id)
    assert run_row is not None and run_row.rejected_count == 6
    assert run_row.rejected[0] == {"row": 2, "reason": reasons[0]}


async def test_importing_the_same_file_twice_adds_nothing(db: AsyncSession) -> None:
    data = csv_bytes(list(synthetic_rows(500, seed=5)))
    first = await run(db, data, filename="a.csv")
    assert (first.accepted, first.updated, first.unchanged, first.rejected) == (500, 0, 0, [])
    before = {k: (r.id, r.updated_at, r.provider_ref) for k, r in (await records(db)).items()}
    second = await run(db, data, filename="b.csv")
    assert (second.accepted, second.updated, second.unchanged, second.rejected) == (0, 0, 500, [])
    assert second.touched_usccs == set()
    assert await count(db) == 500
    after = {k: (r.id, r.updated_at, r.provider_ref) for k, r in (await records(db)).items()}
    assert after == before  # unchanged rows are not written at all


async def test_a_changed_row_updates_the_known_record(db: AsyncSession) -> None:
    await run(db, csv_bytes([row(), row(document_no="other", uscc=USCC_B)]), filename="a.csv")
    original = (await records(db))["穗天市监处罚〔2025〕1号"]
    original_id, created = original.id, original.created_at
    changed = csv_bytes(
        [row(description="罚款人民币30000元", uscc=USCC_C), row(document_no="other", uscc=USCC_B)]
    )
    report = await run(db, changed, filename="b.csv")
    assert (report.accepted, report.updated, report.unchanged) == (0, 1, 1)
    # The record moved to another subject: both profiles change.
    assert report.touched_usccs == {USCC_A, USCC_C}
    record = (await records(db))["穗天市监处罚〔2025〕1号"]
    assert (record.id, record.created_at) == (original_id, created)
    assert (record.uscc, record.description) == (USCC_C, "罚款人民币30000元")
    assert record.provider_ref == "b.csv#row1" and record.import_id == report.import_id
    assert await count(db) == 2


async def test_a_repaired_row_repairs_the_record(db: AsyncSession) -> None:
    await run(db, csv_bytes([row()]), filename="a.csv")
    report = await run(db, csv_bytes([row(status="已修复")]), filename="repairs.csv")
    assert (report.accepted, report.updated, report.unchanged) == (0, 1, 0)
    assert report.touched_usccs == {USCC_A}
    record = (await records(db))["穗天市监处罚〔2025〕1号"]
    assert record.status == RecordStatus.REPAIRED
    assert record.status_note == "repaired by import repairs.csv"
    assert record.status_changed_at is not None
    # Importing it again changes nothing; an older export saying "active" does not un-repair.
    again = await run(db, csv_bytes([row(status="repaired")]), filename="repairs.csv")
    assert (again.updated, again.unchanged) == (0, 1)
    older = await run(db, csv_bytes([row(status="active")]), filename="a.csv")
    assert older.updated == 1
    assert (await records(db))["穗天市监处罚〔2025〕1号"].status == RecordStatus.REPAIRED


async def test_disputed_and_withdrawn_records_keep_their_status_when_updated(
    db: AsyncSession,
) -> None:
    await run(db, csv_bytes([row(), row(document_no="second"), row(document_no="third")]))
    changed_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for document_no, status in (
        ("穗天市监处罚〔2025〕1号", RecordStatus.DISPUTED),
        ("second", RecordStatus.DISPUTED),
        ("third", RecordStatus.WITHDRAWN),
    ):
        await db.execute(
            update(PublicRecord)
            .where(PublicRecord.document_no == document_no)
            .values(status=status, status_changed_at=changed_at, status_note="异议")
        )
    await db.commit()
    report = await run(
        db,
        csv_bytes(
            [
                row(description="更正后的内容"),
                row(document_no="second", status="已修复"),
                row(document_no="third", status="repaired"),
            ]
        ),
        filename="b.csv",
    )
    assert (report.accepted, report.updated, report.unchanged) == (0, 3, 0)
    stored = await records(db)
    assert stored["穗天市监处罚〔2025〕1号"].description == "更正后的内容"
    assert stored["third"].status == RecordStatus.WITHDRAWN
    for document_no in ("穗天市监处罚〔2025〕1号", "second"):
        assert stored[document_no].status == RecordStatus.DISPUTED
    for record in stored.values():
        assert (record.status_changed_at, record.status_note) == (changed_at, "异议")


async def test_an_expired_record_can_be_repaired(db: AsyncSession) -> None:
    await run(db, csv_bytes([row()]))
    await db.execute(update(PublicRecord).values(status=RecordStatus.EXPIRED))
    await db.commit()
    report = await run(db, csv_bytes([row(status="repaired")]), filename="r.csv")
    assert report.updated == 1
    assert (await records(db))["穗天市监处罚〔2025〕1号"].status == RecordStatus.REPAIRED


async def test_duplicate_document_numbers_in_one_file(db: AsyncSession) -> None:
    rows = [row(document_no=f"d{i}", uscc=USCC_B) for i in range(1, 8)]
    rows[2] = row(document_no="d1", description="第一行的重复")  # row 3 repeats row 1
    rows[6] = row(document_no="d2")  # row 7 repeats row 2
    rows.append(row(document_no="d5", uscc=USCC_C))  # row 8 repeats row 5
    data = csv_bytes(rows)
    # Small batches: repeats within a batch and across batches.
    report = await run(db, data, batch_size=2)
    assert report.rejected == [
        Rejection(3, "document_no: 'd1' repeats row 1"),
        Rejection(7, "document_no: 'd2' repeats row 2"),
        Rejection(8, "document_no: 'd5' repeats row 5"),
    ]
    assert (report.accepted, report.updated, report.unchanged) == (5, 0, 0)
    assert report.touched_usccs == {USCC_B}  # USCC_A and USCC_C only had the repeats
    stored = await records(db)
    assert set(stored) == {"d1", "d2", "d4", "d5", "d6"}
    assert stored["d1"].uscc == USCC_B and stored["d5"].uscc == USCC_B  # the first row wins
    # Again, against the now filled table (repeats are then found through a temporary table).
    for batch_size in (2, 100):
        again = await run(db, data, batch_size=batch_size)
        assert again.rejected == report.rejected
        assert (again.accepted, again.updated, again.unchanged) == (0, 0, 5)


async def test_an_import_into_the_empty_table_makes_a_second_one_wait_and_merge(
    db: AsyncSession, settings: Settings, database_url: str
) -> None:
    """The first bulk load holds public_records exclusively (its indexes are rebuilt at the
    end); an import that starts meanwhile waits, then merges into the filled table."""
    import asyncio
    import threading

    from xinyidai.infra.db import create_engine, session_factory

    other: dict[str, ImportReport] = {}

    async def other_import() -> None:
        engine = create_engine(settings, database_url)
        async with session_factory(engine)() as session:
            other["report"] = await import_public_credit(
                session, csv_bytes([row(document_no="d3")]), filename="other.csv", today=TODAY
            )
            await session.commit()
        await engine.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(other_import()))

    def meanwhile(rows: int) -> None:
        if rows == 2:  # after the first batch, another import starts
            thread.start()

    data = csv_bytes([row(document_no=f"d{i}") for i in range(1, 5)])
    report = await run(db, data, batch_size=2, on_progress=meanwhile)
    await asyncio.to_thread(thread.join, 60)
    assert report.accepted == 4
    assert not thread.is_alive()
    assert (other["report"].accepted, other["report"].unchanged) == (0, 1)
    assert set(await records(db)) == {"d1", "d2", "d3", "d4"}


async def test_gb18030_csv(db: AsyncSession) -> None:
    data = csv_bytes(
        [row(), row(document_no="穗红〔2024〕8号", record_type="荣誉", severity="")],
        chinese=True,
        encoding="gb18030",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = await run(db, data, filename="gbk导出.csv")
    assert (report.accepted, report.rejected) == (2, [])
    stored = await records(db)
    assert stored["穗天市监处罚〔2025〕1号"].subject_name == "广州天河测试科技有限公司"
    assert stored["穗红〔2024〕8号"].record_type == RecordType.RED_LIST


async def test_json_lines(db: AsyncSession) -> None:
    data = jsonl_bytes(
        [
            {**row(), "publish_until": None, "extra": [1, 2]},
            b"",
            {
                "统一社会信用代码": USCC_B,
                "主体名称": "广州白云测试有限公司",
                "信息类别": "失信被执行人",
                "决定文书号": "（2025）粤0111执1号",
                "决定日期": 20250102,
                "决定机关": "广州市白云区人民法院",
                "失信程度": "严重",
            },
            b"{not json",
            b"[1, 2]",
            {**row(document_no="x"), "description": {"nested": True}},
            {"uscc": USCC_C},
        ]
    )
    report = await run(db, data, filename="export.jsonl")
    assert (report.accepted, report.updated, report.unchanged) == (2, 0, 0)
    assert [r.row for r in report.rejected] == [4, 5, 6, 7]
    assert report.rejected[0].reason.startswith("not valid JSON")
    assert report.rejected[1].reason == "not a JSON object"
    assert report.rejected[2].reason == "description: must be a string"
    assert report.rejected[3].reason == "name: required"
    stored = await records(db)
    debtor = stored["（2025）粤0111执1号"]
    assert (debtor.record_type, debtor.severity) == (RecordType.DISHONEST_DEBTOR, "serious")
    assert (
        debtor.decision_date == dt.date(2025, 1, 2) and debtor.provider_ref == "export.jsonl#row3"
    )
    assert stored["穗天市监处罚〔2025〕1号"].publish_until is None


async def test_a_given_import_run_is_used_and_left_to_the_caller(db: AsyncSession) -> None:
    run_row = CreditImport(filename="upload.csv", status=ImportStatus.RUNNING, rejected=[])
    db.add(run_row)
    await db.commit()
    run_id = run_row.id
    report = await run(db, csv_bytes([row()]), filename="upload.csv", import_id=run_id)
    assert report.import_id == run_id
    assert (await records(db))["穗天市监处罚〔2025〕1号"].import_id == run_id
    assert await db.scalar(select(func.count()).select_from(CreditImport)) == 1
    # The job records the outcome.
    assert await db.scalar(select(CreditImport.status)) == ImportStatus.RUNNING


async def test_an_unreadable_file_writes_nothing(db: AsyncSession) -> None:
    with pytest.raises(ImportFileError):
        await import_public_credit(db, b"foo,bar\n1,2\n", filename="x.csv")
    await db.rollback()
    assert await count(db) == 0


async def table_shape(db: AsyncSession) -> set[tuple[str, str]]:
    """public_records' indexes and constraints, and the foreign keys that reference it."""
    indexes = await db.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'public_records'")
    )
    constraints = await db.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'public_records'::regclass OR confrelid = 'public_records'::regclass"
        )
    )
    return {(name, definition) for name, definition in [*indexes.all(), *constraints.all()]}


async def test_the_first_bulk_load_leaves_the_indexes_and_constraints_as_they_were(
    db: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load into the empty table drops the indexes, the primary key and unique
    constraints and the foreign keys to them, and builds them all again: after a load, after a
    load whose repeats made the unique index fail at first, and after a failed load."""
    before = await table_shape(db)
    assert {"pk_public_records", "uq_public_records_document_no"} <= {n for n, _ in before}
    assert any(d.startswith("FOREIGN KEY") for _, d in before)  # disputes.record_id
    rows = [row(document_no=f"d{i}") for i in range(1, 6)] + [row(document_no="d1")]
    report = await run(db, csv_bytes(rows), batch_size=2)
    assert report.rejected == [Rejection(6, "document_no: 'd1' repeats row 1")]
    assert await table_shape(db) == before
    await db.execute(delete(PublicRecord))
    await db.commit()
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(rows))
    monkeypatch.setattr(parsers, "_PARSER_BOOT", "import sys; sys.exit(3)")
    with pytest.raises(RuntimeError, match="exit status 3"):  # a parser process that dies
        await import_public_credit(db, path, filename="t.csv", today=TODAY, parser_process=True)
    await db.rollback()
    assert await table_shape(db) == before
    assert await count(db) == 0


async def test_a_large_file_imports_in_one_go(db: AsyncSession, tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    rows = list(synthetic_rows(20_000, seed=99))
    write_csv(path, rows)
    progress: list[int] = []
    report = await run(
        db, path, filename="large.csv", batch_size=6_000, on_progress=progress.append
    )
    assert (report.accepted, report.updated, report.unchanged, report.rejected) == (
        20_000,
        0,
        0,
        [],
    )
    assert progress == [6_000, 12_000, 18_000, 20_000]
    assert report.touched_usccs == {r["uscc"] for r in rows}
    assert await count(db) == 20_000
    by_type: dict[str, int] = dict(
        (
            await db.execute(
                select(PublicRecord.record_type, func.count()).group_by(PublicRecord.record_type)
            )
        ).all()
    )
    assert by_type["admin_licence"] > by_type["admin_penalty"] > by_type["serious_dishonesty"] > 0
    assert (
        await db.execute(
            select(func.count()).select_from(PublicRecord).where(PublicRecord.status == "repaired")
        )
    ).scalar_one() > 0
    # Again, with 100 rows changed: the rest is unchanged.
    for r in rows[:100]:
        r["description"] += "（更正）"
    write_csv(path, rows)
    again = await run(db, path, filename="large.csv", batch_size=6_000)
    assert (again.accepted, again.updated, again.unchanged) == (0, 100, 19_900)
    assert again.touched_usccs == {r["uscc"] for r in rows[:100]}
    leftovers = await db.scalar(
        text(
            "SELECT count(*) FROM pg_class "
            "WHERE relname IN ('credit_import_stage', 'credit_import_seen')"
        )
    )
    assert leftovers == 0


# --- the command line ---------------------------------------------------------------------------
@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENV", "test")
    return CliRunner()


async def test_cli_prints_the_report_as_json(
    cli_env: CliRunner, db: AsyncSession, tmp_path: Path
) -> None:
    import anyio.to_thread

    from xinyidai.cli import main

    path = tmp_path / "export.csv"
    path.write_bytes(
        csv_bytes([row(), row(document_no="bad", uscc=BAD_CHECK), row(document_no="d3")])
    )
    result = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["import", "public-credit", str(path), "--json"])
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == ["accepted", "updated", "unchanged", "rejected"]
    assert (report["accepted"], report["updated"], report["unchanged"]) == (2, 0, 0)
    assert report["rejected"] == [{"row": 2, "reason": report["rejected"][0]["reason"]}]
    assert report["rejected"][0]["reason"].startswith("uscc: the check character")
    assert await count(db) == 2
    again = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["import", "public-credit", str(path)])
    )
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.stdout and "uscc: the check character" in again.stdout


async def test_cli_fails_only_when_the_file_cannot_be_read(
    cli_env: CliRunner, tmp_path: Path
) -> None:
    import anyio.to_thread

    from xinyidai.cli import main

    path = tmp_path / "wrong.csv"
    path.write_text("foo,bar\n1,2\n")
    result = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["import", "public-credit", str(path), "--json"])
    )
    assert result.exit_code == 1
    assert "lacks required column" in result.output
    missing = await anyio.to_thread.run_sync(
        lambda: cli_env.invoke(main, ["import", "public-credit", str(tmp_path / "none.csv")])
    )
    assert missing.exit_code == 2
