"""The credit office exports the loan ledger as a job with progress, as XLSX or CSV, with
Chinese headers, units and the data's as-of time; what it downloads holds the loans' figures
to the cent; a failure leaves a failed export with its reason and no file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from tests.conftest import World, login
from tests.domain.monitoring.exports_support import csv_rows, finished, working, xlsx_rows
from tests.domain.monitoring.loan_rows import book
from xinyidai.dates import CHINA_TZ
from xinyidai.domain.monitoring import export_files
from xinyidai.models import AuditEntry, ExportChunk, Role
from xinyidai.settings import Settings

FIRST = dt.date(2026, 1, 1)
CENT = Decimal("0.01")


def _query(**changes: Any) -> dict[str, Any]:
    return {"from": "2026-01-01", "to": "2026-06-30", **changes}


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _day(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


async def test_a_large_loans_export_runs_as_a_job_and_holds_the_ledger(
    settings: Settings, world: World
) -> None:
    arranged = await book(world, 4500, first=FIRST)
    await world.user("office@example.com", Role.OFFICE)
    async with working(settings) as client:
        await login(client, "office@example.com")
        asked = await client.post(
            "/api/v1/office/exports", json={"kind": "loans", "format": "xlsx", "query": _query()}
        )
        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] == "queued"
        assert asked.json()["progress"] == 0
        seen: list[dict[str, Any]] = []
        done = await finished(client, asked.json()["id"], seen)
        assert done["status"] == "done", done
        assert done["progress"] == 100
        assert done["rows_written"] == done["rows_total"] == 4500
        progress = [s["progress"] for s in seen]
        assert progress == sorted(progress), "progress never goes back"
        assert all(s["rows_written"] <= (s["rows_total"] or 0) for s in seen)
        file = await client.get(f"/api/v1/office/exports/{done['id']}/file")
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert done["filename"] in file.headers["content-disposition"]
    assert int(file.headers["content-length"]) == done["byte_size"] == len(file.content)

    top, rows = xlsx_rows(file.content)
    assert "贷款明细" in top[0][0]
    assert top[1][0].startswith("数据截至")
    as_of = dt.datetime.fromisoformat(done["as_of"]).astimezone(CHINA_TZ)
    assert top[1][1].startswith(as_of.strftime("%Y-%m-%d %H:%M:%S"))
    header = top[4]
    for name in ("银行", "统一社会信用代码", "放款金额（元）", "年利率（%）", "期限（月）"):
        assert name in header
    col = {name: i for i, name in enumerate(header)}
    assert len(rows) == 4500
    by_id = {r["id"]: r for r in arranged.loans}
    for row in rows:
        loan = by_id[UUID(row[col["贷款编号"]])]
        assert _money(row[col["放款金额（元）"]]) == loan["disbursed_amount"]
        assert _money(row[col["已还本金（元）"]]) == loan["principal_repaid"]
        outstanding = (
            loan["disbursed_amount"] - loan["principal_repaid"] - (loan["loss_amount"] or 0)
        )
        assert _money(row[col["贷款余额（元）"]]) == outstanding
        assert Decimal(str(row[col["年利率（%）"]])) == loan["annual_rate"] * 100
        assert _day(row[col["放款日期"]]) == loan["disbursed_on"]
        assert _day(row[col["违约日期"]]) == loan["defaulted_on"]
        assert row[col["信用贷款"]] == ("是" if loan["unsecured"] else "否")
        assert row[col["信用等级"]] == loan["grade"]
    total = sum((_money(r[col["放款金额（元）"]]) for r in rows), Decimal(0))
    assert total == sum((loan["disbursed_amount"] for loan in arranged.loans), Decimal(0))


async def test_a_filtered_loans_export_as_csv_parses_back_to_the_same(
    settings: Settings, world: World
) -> None:
    arranged = await book(world, 300, first=FIRST, seed=11)
    await world.user("office@example.com", Role.OFFICE)
    bank = arranged.banks[0]
    query = _query(bank=str(bank.id), district="440106", to="2026-03-31")
    expected = sorted(
        (
            loan
            for loan in arranged.loans
            if loan["bank_id"] == bank.id
            and loan["district_code"] == "440106"
            and loan["disbursed_on"] <= dt.date(2026, 3, 31)
        ),
        key=lambda loan: (loan["disbursed_on"], loan["id"]),
    )
    assert expected
    async with working(settings) as client:
        await login(client, "office@example.com")
        asked = await client.post(
            "/api/v1/office/exports", json={"kind": "loans", "format": "csv", "query": query}
        )
        assert asked.status_code == 202, asked.text
        done = await finished(client, asked.json()["id"])
        assert done["status"] == "done", done
        assert done["rows_total"] == len(expected)
        file = await client.get(f"/api/v1/office/exports/{done['id']}/file")
    assert file.headers["content-type"].startswith("text/csv")
    top, rows = csv_rows(file.content)
    assert "工商银行广州分行" in top[2][1]  # the filters, in words
    assert "2026-01-01 至 2026-03-31" in top[2][1]
    col = {name: i for i, name in enumerate(top[4])}
    assert [r[col["贷款编号"]] for r in rows] == [str(loan["id"]) for loan in expected]
    for row, loan in zip(rows, expected, strict=True):
        assert row[col["银行"]] == "工商银行广州分行"
        assert row[col["区县代码"]] == "440106"
        assert Decimal(row[col["批准金额（元）"]]) == loan["amount"]
        assert Decimal(row[col["年利率（%）"]]) == loan["annual_rate"] * 100
        assert _day(row[col["放款日期"]]) == loan["disbursed_on"]
        assert (Decimal(row[col["损失金额（元）"]]) if row[col["损失金额（元）"]] else None) == (
            loan["loss_amount"]
        )


async def test_a_failed_export_keeps_its_reason_and_no_file(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An XLSX sheet has a row limit; an export past it fails partway, and nothing of the file
    is kept (here the limit is lowered to 40 rows so that 120 loans pass it)."""
    await book(world, 120, first=FIRST, seed=3)
    await world.user("office@example.com", Role.OFFICE)
    monkeypatch.setattr(export_files, "XLSX_MAX_ROWS", 40)
    async with working(settings) as client:
        await login(client, "office@example.com")
        asked = await client.post(
            "/api/v1/office/exports", json={"kind": "loans", "format": "xlsx", "query": _query()}
        )
        done = await finished(client, asked.json()["id"])
        assert done["status"] == "failed"
        assert "CSV" in done["error"] and "40" in done["error"]
        assert done["filename"] is None and done["byte_size"] is None
        file = await client.get(f"/api/v1/office/exports/{done['id']}/file")
        assert file.status_code == 409
        assert file.headers["content-type"].startswith("application/problem+json")
    chunks = await world.session.scalar(select(func.count()).select_from(ExportChunk))
    assert chunks == 0


async def test_requests_and_downloads_are_audited(settings: Settings, world: World) -> None:
    await book(world, 5, first=FIRST, seed=5)
    office = await world.user("office@example.com", Role.OFFICE)
    async with working(settings) as client:
        await login(client, "office@example.com")
        asked = await client.post(
            "/api/v1/office/exports", json={"kind": "loans", "format": "csv", "query": _query()}
        )
        done = await finished(client, asked.json()["id"])
        assert (await client.get(f"/api/v1/office/exports/{done['id']}/file")).status_code == 200
    entries = (
        await world.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("office.export.%"))
            .order_by(AuditEntry.occurred_at)
        )
    ).all()
    assert [e.action for e in entries] == ["office.export.request", "office.export.download"]
    assert all(e.actor_id == str(office.id) for e in entries)
    assert all(e.detail["export_id"] == done["id"] for e in entries)
    assert entries[0].detail["query"]["from"] == "2026-01-01"
