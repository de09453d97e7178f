"""Export files for people: CSV (UTF-8 with a BOM, so Excel reads the Chinese right) and XLSX
(openpyxl's write-only mode: rows go to disk as they come, memory stays flat).

Both have the same layout, so a reader skips the same rows in either:

====  ==============================================================
row   content
====  ==============================================================
1     the title (what was exported, for which period)
2     ``数据截至 (as of)`` and the data's as-of time, China time
3     ``筛选条件 (filters)`` and the query in words
4     empty
5     the header: Chinese names, each with its unit (元, %, 工作日, 月)
6…    the data; a statistics table ends with its ``合计`` (total) row
====  ==============================================================

Ratios and rates are written as percentages (the API's fraction × 100, exactly: a fraction
held to 6 places is a percentage held to 4), money in yuan to the cent, working days to 0.01.
Every text cell goes through ``infra.export.safe_cell`` (no formula injection). An XLSX also
has a ``说明`` (about) sheet with the same facts and the units."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

from xinyidai.dates import CHINA_TZ
from xinyidai.infra.export import safe_row

HEADER_ROW = 5
"""The 1-based row of the header in either format (the data starts on the next row)."""
XLSX_MAX_ROWS = 1_048_576
"""Rows an XLSX sheet holds (Excel's limit): a larger export must be a CSV."""
PERCENT = Decimal(100)


class ExportTooLarge(Exception):
    """The data does not fit the format (more rows than an XLSX sheet holds)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a file: its Chinese header (unit included) and how a value is written."""

    header: str
    unit: str = "text"  # text, count, yuan, percent, working_days, date, flag, months

    def cell(self, value: Any) -> Any:
        """``value`` as this column's cell (``None`` stays empty)."""
        if value is None:
            return None
        if self.unit == "percent":
            return Decimal(value) * PERCENT
        if self.unit in ("yuan", "working_days"):
            return Decimal(value)
        if self.unit in ("count", "months"):
            return int(value)
        if self.unit == "flag":
            return "是" if value else "否"
        return value


def as_of_text(as_of: dt.datetime) -> str:
    """The as-of time as people in the office read it: China time, to the second."""
    return as_of.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"


@dataclass(frozen=True, slots=True)
class Preamble:
    """What the first rows say about the data."""

    title: str
    as_of: dt.datetime
    filters: str
    notes: Sequence[tuple[str, str]] = ()  # (name, text) lines for the XLSX's about sheet

    def rows(self) -> list[list[Any]]:
        return [
            [self.title],
            ["数据截至 (as of)", as_of_text(self.as_of)],
            ["筛选条件 (filters)", self.filters],
            [],
        ]


class TableFile(Protocol):
    """A file being written: its preamble and header first, then rows in batches."""

    rows_written: int

    def start(self, preamble: Preamble, columns: Sequence[Column]) -> None: ...

    def write(self, rows: Iterable[Sequence[Any]]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


def _text(value: Any) -> Any:
    """A CSV cell: numbers and dates as their plain text (``Decimal`` keeps its places)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class CsvFile:
    """A CSV for people: UTF-8 with a byte-order mark, every cell formula-safe."""

    def __init__(self, path: Path) -> None:
        self._handle: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)
        self._columns: Sequence[Column] = ()
        self.rows_written = 0

    def start(self, preamble: Preamble, columns: Sequence[Column]) -> None:
        self._columns = columns
        for row in preamble.rows():
            self._writer.writerow(safe_row(row))
        self._writer.writerow(safe_row(c.header for c in columns))

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        columns = self._columns
        for row in rows:
            cells = [_text(c.cell(v)) for c, v in zip(columns, row, strict=True)]
            self._writer.writerow(safe_row(cells))
            self.rows_written += 1

    def close(self) -> None:
        self._handle.close()

    def abort(self) -> None:
        """Give up: close the handle (the caller deletes the half-written file)."""
        self._handle.close()


_WIDTHS = {"text": 18, "count": 12, "yuan": 18, "percent": 12, "working_days": 14, "date": 12}
_FORMATS = {"yuan": "#,##0.00", "percent": "0.0000", "working_days": "0.00", "date": "yyyy-mm-dd"}


class XlsxFile:
    """An XLSX workbook in write-only mode: a ``数据`` (data) sheet and a ``说明`` (about)
    sheet. Raises :class:`ExportTooLarge` before a sheet would pass Excel's row limit."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook  # type: ignore[import-untyped]

        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("数据")
        self._columns: Sequence[Column] = ()
        self._preamble: Preamble | None = None
        self._used = 0
        self.rows_written = 0

    def start(self, preamble: Preamble, columns: Sequence[Column]) -> None:
        from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

        self._columns, self._preamble = columns, preamble
        for i, column in enumerate(columns, start=1):
            width = max(_WIDTHS.get(column.unit, 14), min(40, 2 * len(column.header) + 2))
            self._sheet.column_dimensions[get_column_letter(i)].width = width
        for row in preamble.rows():
            self._sheet.append(safe_row(row))
        self._sheet.append(safe_row(c.header for c in columns))
        self._used = HEADER_ROW

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

        sheet, columns = self._sheet, self._columns
        for row in rows:
            if self._used >= XLSX_MAX_ROWS:
                raise ExportTooLarge(
                    f"an XLSX sheet holds at most {XLSX_MAX_ROWS} rows; "
                    "export this as CSV, or narrow the filters"
                )
            cells: list[Any] = []
            for column, value in zip(columns, row, strict=True):
                cell = WriteOnlyCell(sheet, value=safe_row([column.cell(value)])[0])
                number_format = _FORMATS.get(column.unit)
                if number_format is not None:
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
            self._used += 1
            self.rows_written += 1

    def close(self) -> None:
        assert self._preamble is not None, "start() first"
        about = self._book.create_sheet("说明")
        about.column_dimensions["A"].width = 24
        about.column_dimensions["B"].width = 80
        for row in self._preamble.rows()[:3]:
            about.append(safe_row(row))
        about.append(safe_row(["数据行数 (rows)", self.rows_written]))
        for name, text in self._preamble.notes:
            about.append(safe_row([name, text]))
        self._book.save(self._path)

    def abort(self) -> None:
        """Give up: openpyxl removes its temporary files when the workbook is saved, so save
        what there is (the caller deletes it)."""
        with contextlib.suppress(Exception):
            self._book.save(self._path)


def open_file(fmt: str, path: Path) -> TableFile:
    """A writer of ``fmt`` (``csv`` or ``xlsx``) at ``path``."""
    return XlsxFile(path) if fmt == "xlsx" else CsvFile(path)


UNIT_NOTES: tuple[tuple[str, str], ...] = (
    ("元 (yuan)", "金额单位为人民币元，保留两位小数 (amounts in yuan, to the cent)"),
    ("% (percent)", "比率与年利率以百分数表示，保留四位小数 (ratios and rates as percentages)"),
    ("工作日 (working days)", "周一至周五，北京时间，精确到 0.01 天 (Mon–Fri, China time)"),
)
