"""Files people open in a spreadsheet: cells that cannot run as formulas.

A CSV or XLSX cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read by Excel, WPS and LibreOffice as a formula (CSV injection: ``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``). Following OWASP's guidance, :func:`safe_cell` prefixes such text with a
single quote, which the spreadsheet shows as plain text. Every export meant for people (CSV,
XLSX) writes its cells through :func:`safe_cell` or :func:`write_csv`; files meant for programs
(the import format, training data) do not, as the quote would change their values.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

# OWASP's list, with the full-width forms that spreadsheets in Chinese locales may also read.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell that cannot start a formula: text starting (after any leading spaces
    or line breaks) with one of ``FORMULA_STARTS`` gets a leading ``'``. Numbers, dates and
    ``None`` are returned unchanged (a spreadsheet reads ``-5`` as a number, never a formula
    when written as one)."""
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date)):
        return value
    text = value if isinstance(value, str) else str(value)
    stripped = text.lstrip(" \n\u3000")
    if text and (text[0] in FORMULA_STARTS or (stripped and stripped[0] in FORMULA_STARTS)):
        return "'" + text
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def write_csv(handle: IO[str], header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a CSV for people (header, then ``rows``), every cell through :func:`safe_cell`;
    returns the number of data rows. Open ``handle`` with ``newline=""`` (and ``utf-8-sig``
    encoding if Excel should detect UTF-8)."""
    writer = csv.writer(handle)
    writer.writerow(safe_row(header))
    count = 0
    for row in rows:
        writer.writerow(safe_row(row))
        count += 1
    return count
