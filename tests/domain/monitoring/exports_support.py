"""What the export tests share: an app with its job worker, waiting for an export to end, and
reading a downloaded file back (openpyxl for XLSX, the csv module for CSV)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from xinyidai.app import create_app
from xinyidai.domain.monitoring.export_files import HEADER_ROW
from xinyidai.settings import Settings


@asynccontextmanager
async def working(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app whose job worker runs in the test's event loop."""
    live = dataclasses.replace(settings, worker_in_process=True)
    async with AsyncTestClient(app=create_app(live), base_url="https://testserver.local") as c:
        yield c


async def finished(
    client: AsyncTestClient[Litestar], export_id: str, seen: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Poll the export until it is done or failed (every answer goes into ``seen``)."""
    body: dict[str, Any] = {}
    for _ in range(600):
        answer = await client.get(f"/api/v1/office/exports/{export_id}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if seen is not None:
            seen.append(body)
        if body["status"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"the export did not finish: {body}")


def xlsx_rows(content: bytes) -> tuple[list[list[Any]], list[list[Any]]]:
    """(preamble rows and header, data rows) of an XLSX export's data sheet."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["数据", "说明"]
    rows = [list(r) for r in book["数据"].iter_rows(values_only=True)]
    return rows[:HEADER_ROW], rows[HEADER_ROW:]


def csv_rows(content: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """(preamble rows and header, data rows) of a CSV export; it starts with a UTF-8 BOM."""
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return rows[:HEADER_ROW], rows[HEADER_ROW:]
