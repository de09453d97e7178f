"""A statistics export holds the numbers the statistics API answers for the same query, as XLSX
(opened with openpyxl) and as CSV: the groups' labels, every value in its unit (ratios and
rates as percentages), and the total row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import World, login
from tests.domain.monitoring.exports_support import csv_rows, finished, working, xlsx_rows
from tests.domain.monitoring.loan_rows import book
from xinyidai.dates import CHINA_TZ
from xinyidai.domain.monitoring.rebuild import rebuild
from xinyidai.models import Role
from xinyidai.settings import Settings

PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}
CODED = ("industry", "district")


def _same(unit: str, api: Any, cell: Any) -> bool:
    """Whether a file's cell holds the API's value (``None``: an empty cell)."""
    if api is None:
        return cell is None or str(cell) == ""
    if unit == "count":
        return bool(int(cell) == api)
    number = Decimal(str(cell))
    if unit in ("ratio", "annual_rate"):
        return number == Decimal(api) * 100
    return number == Decimal(api)


@pytest.mark.parametrize(
    ("metric", "group_by", "fmt"),
    [
        ("loans", ["bank", "month"], "xlsx"),
        ("credit_loan_share", ["product_type"], "csv"),
        ("default_rate", ["month", "district"], "xlsx"),
        ("average_rate", [], "csv"),
    ],
)
async def test_a_stat_export_holds_the_apis_numbers(
    settings: Settings, world: World, metric: str, group_by: list[str], fmt: str
) -> None:
    await book(world, 400, first=dt.date(2026, 1, 1), seed=21)
    await rebuild(world.session)  # the loans went in as rows: the rollups are recomputed
    await world.session.commit()
    await world.user("office@example.com", Role.OFFICE)
    query = {"metric": metric, "group_by": group_by, **PERIOD}
    async with working(settings) as client:
        await login(client, "office@example.com")
        params = {"metric": metric, "group_by": ",".join(group_by), **PERIOD}
        api = (await client.get("/api/v1/office/stats", params=params)).json()
        asked = await client.post(
            "/api/v1/office/exports", json={"kind": "stat", "format": fmt, "query": query}
        )
        assert asked.status_code == 202, asked.text
        done = await finished(client, asked.json()["id"])
        assert done["status"] == "done", done
        file = await client.get(f"/api/v1/office/exports/{done['id']}/file")
    top, rows = (xlsx_rows if fmt == "xlsx" else csv_rows)(file.content)
    as_of = dt.datetime.fromisoformat(done["as_of"]).astimezone(CHINA_TZ)
    assert str(top[1][1]).startswith(as_of.strftime("%Y-%m-%d %H:%M:%S"))
    header = list(top[4])
    width = len(group_by) + sum(1 for d in group_by if d in CODED)
    units = {"yuan": "（元）", "ratio": "（%）", "annual_rate": "（%）"}
    units["working_days"] = "（工作日）"
    named = [c["label_zh"] for c in api["columns"]]
    suffixes = [units.get(c["unit"], "") for c in api["columns"]]
    assert header[width:] == [n if s in n else n + s for n, s in zip(named, suffixes, strict=True)]
    assert all(h.count(s) <= 1 for h, s in zip(header[width:], suffixes, strict=True) if s)
    expected_rows = len(api["rows"]) + (1 if group_by else 0)
    assert len(rows) == expected_rows
    assert done["rows_written"] == expected_rows
    assert api["rows"], "the arranged loans give the statistic groups"
    for row, answer in zip(rows, api["rows"], strict=False):
        labels = []
        for dim in group_by:
            labels.append(answer["labels"][dim]["zh"])
            if dim in CODED:
                labels.append(answer["keys"][dim])
        assert list(row[:width]) == labels
        for cell, column in zip(row[width:], api["columns"], strict=True):
            assert _same(column["unit"], answer["values"][column["key"]], cell), (column, row)
    total = rows[-1] if group_by else rows[0]
    if group_by:
        assert total[0] == "合计"
    for cell, column in zip(total[width:], api["columns"], strict=True):
        assert _same(column["unit"], api["total"][column["key"]], cell), (column, total)
