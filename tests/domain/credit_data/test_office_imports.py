"""The credit office uploads public credit records; a job imports them and reports."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from xinyidai.app import create_app
from xinyidai.models import Role
from xinyidai.settings import Settings

HEADER = (
    "统一社会信用代码,主体名称,信息类别,决定文书号,决定日期,决定机关,失信程度,内容,公示截止期\n"
)


async def _wait(client: AsyncTestClient[Litestar], url: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(100):
        body = (await client.get(url)).json()
        if body["status"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"the import did not finish: {body}")


async def test_an_upload_is_imported_by_a_job_and_reported(
    settings: Settings, world: World
) -> None:
    sme = await world.enterprise()
    await world.user("office@example.com", Role.OFFICE)
    await world.user("owner@example.com", Role.SME, sme.uscc)
    csv = (
        HEADER + f"{sme.uscc},测试企业,行政处罚,穗罚〔2026〕1号,2026-03-01,广州市应急管理局,一般,"
        "安全生产检查不合格,2027-03-01\n"
        + "91440106BADBADBAD1,坏数据,行政处罚,穗罚〔2026〕2号,2026-03-01,某局,一般,内容,\n"
    )
    live = dataclasses.replace(settings, worker_in_process=True)
    async with AsyncTestClient(app=create_app(live), base_url="https://testserver.local") as c:
        await login(c, "office@example.com")
        upload = await c.post(
            "/api/v1/office/imports", files={"file": ("records.csv", csv.encode(), "text/csv")}
        )
        assert upload.status_code == 202, upload.text
        report = await _wait(c, f"/api/v1/office/imports/{upload.json()['id']}")
        assert report["status"] == "done", report
        assert report["accepted"] == 1
        assert report["rejected_count"] == 1
        assert report["rejected"][0]["row"] >= 1
        assert (
            "USCC" in report["rejected"][0]["reason"] or "uscc" in report["rejected"][0]["reason"]
        )
        c.cookies.clear()
        await login(c, "owner@example.com")
        profile = (await c.get(f"/api/v1/enterprises/{sme.id}/profile")).json()
        items = profile["content"]["public_records"]["items"]
        assert [i["document_no"] for i in items] == ["穗罚〔2026〕1号"]
        assert profile["reason"] == "public_import"


async def test_only_the_office_uploads_and_reads_imports(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    sme = await world.enterprise()
    await world.user("owner@example.com", Role.SME, sme.uscc)
    await login(client, "owner@example.com")
    refused = await client.post(
        "/api/v1/office/imports", files={"file": ("r.csv", HEADER.encode(), "text/csv")}
    )
    assert refused.status_code == 403
    missing = await client.get("/api/v1/office/imports/01900000-0000-7000-8000-000000000000")
    assert missing.status_code == 403


async def test_bad_uploads_get_clear_errors(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    empty = await client.post("/api/v1/office/imports", files={"file": ("r.csv", b"", "text/csv")})
    assert empty.status_code == 422
    wrong_type = await client.post(
        "/api/v1/office/imports", files={"file": ("r.exe", b"MZ...", "application/octet-stream")}
    )
    assert wrong_type.status_code == 422
    no_file = await client.post(
        "/api/v1/office/imports", files={"other": ("r.csv", b"x", "text/csv")}
    )
    assert no_file.status_code == 422
    assert [e["field"] for e in no_file.json()["errors"]] == ["file"], no_file.json()
