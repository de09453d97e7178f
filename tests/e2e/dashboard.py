"""The office's dashboard in the browser walk: the loans-by-month chart's figures for this China
month (read from its table view), and an export of that chart downloaded and opened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.sync_api import Page, expect

from tests.e2e.browser import photograph, settle
from xinyidai.domain.monitoring.export_files import HEADER_ROW

CHINA = ZoneInfo("Asia/Shanghai")
CHART = "dashboard-chart-loansByMonth"


def this_month() -> str:
    return dt.datetime.now(CHINA).strftime("%Y-%m")


def month_figures(office: Page) -> tuple[int, Decimal]:
    """(loans, amount disbursed) this month, as the dashboard's chart shows them."""
    office.goto("/office")
    settle(office)
    expect(office.get_by_test_id(CHART)).to_be_visible()
    row = office.get_by_test_id(f"{CHART}-table").locator(f"tr[data-category='{this_month()}']")
    if row.count() == 0:
        return 0, Decimal(0)
    cells = row.locator("td")
    loans = cells.nth(0).get_attribute("data-value") or "0"
    amount = cells.nth(1).get_attribute("data-value") or "0"
    return int(loans), Decimal(amount).quantize(Decimal("0.01"))


def export_month(office: Page, tmp: Path) -> tuple[int, Decimal]:
    """Export the chart as XLSX from the page, download it and read this month's row."""
    office.get_by_test_id(f"{CHART}-export-xlsx").click()
    link = office.get_by_test_id(f"{CHART}-download")
    expect(link).to_be_visible(timeout=60_000)
    photograph(office, "office-dashboard-exported", fits=True)
    with office.expect_download() as info:
        link.click()
    path = tmp / info.value.suggested_filename
    info.value.save_as(path)
    book = load_workbook(path, read_only=True)
    rows = [list(r) for r in book["数据"].iter_rows(values_only=True)]
    header, data = rows[HEADER_ROW - 1], rows[HEADER_ROW:]
    assert header[:3] == ["月份", "放款笔数", "放款金额（元）"], header
    for row in data:
        if row[0] == this_month():
            return int(row[1]), Decimal(str(row[2])).quantize(Decimal("0.01"))
    raise AssertionError(f"no row for {this_month()} in the export: {data}")
