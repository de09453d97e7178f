"""Exports are the credit office's: banks and SMEs are refused (403) on every export endpoint,
callers without a session get 401; the office is one tenant (any office user follows and
downloads any office export); bad requests get 422 naming the field, unknown exports 404, a file
asked for before it is written 409."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from xinyidai.models import Role

LOANS = {"kind": "loans", "format": "csv", "query": {"from": "2026-01-01", "to": "2026-06-30"}}


async def _asked(client: AsyncTestClient[Litestar], body: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post("/api/v1/office/exports", json=body)
    assert answer.status_code == 202, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.mark.parametrize("role", [Role.BANK, Role.SME])
async def test_banks_and_smes_are_refused_every_export_endpoint(
    world: World, client: AsyncTestClient[Litestar], role: Role
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    export = await _asked(client, LOANS)
    client.cookies.clear()
    if role is Role.BANK:
        await world.bank("BANK_A")
        await world.user("bank@example.com", Role.BANK, "BANK_A")
        await login(client, "bank@example.com")
    else:
        enterprise = await world.enterprise()
        await world.user("sme@example.com", Role.SME, enterprise.uscc)
        await login(client, "sme@example.com")
    answers = [
        await client.post("/api/v1/office/exports", json=LOANS),
        await client.get("/api/v1/office/exports"),
        await client.get(f"/api/v1/office/exports/{export['id']}"),
        await client.get(f"/api/v1/office/exports/{export['id']}/file"),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_without_a_session_exports_answer_401(client: AsyncTestClient[Litestar]) -> None:
    some = "01900000-0000-7000-8000-000000000000"
    assert (await client.get("/api/v1/office/exports")).status_code == 401
    assert (await client.get(f"/api/v1/office/exports/{some}")).status_code == 401
    assert (await client.get(f"/api/v1/office/exports/{some}/file")).status_code == 401


async def test_the_office_is_one_tenant_and_lists_newest_first(
    world: World, client: AsyncTestClient[Litestar]
) -> None:
    first = await world.user("office@example.com", Role.OFFICE)
    await world.user("office2@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    made = [await _asked(client, LOANS) for _ in range(3)]
    client.cookies.clear()
    await login(client, "office2@example.com")
    seen = await client.get(f"/api/v1/office/exports/{made[0]['id']}")
    assert seen.status_code == 200
    assert seen.json()["requested_by"] == str(first.id)
    page = (await client.get("/api/v1/office/exports", params={"limit": 2})).json()
    assert [e["id"] for e in page["items"]] == [made[2]["id"], made[1]["id"]]
    rest = await client.get(
        "/api/v1/office/exports", params={"limit": 2, "cursor": page["next_cursor"]}
    )
    assert [e["id"] for e in rest.json()["items"]] == [made[0]["id"]]
    assert rest.json()["next_cursor"] is None
    # Not written yet (no worker runs here): the file is not there.
    early = await client.get(f"/api/v1/office/exports/{made[0]['id']}/file")
    assert early.status_code == 409
    missing = await client.get("/api/v1/office/exports/01900000-0000-7000-8000-000000000000")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LOANS, "query": {"from": "2026-03-01", "to": "2026-02-01"}}, "to"),
        ({**LOANS, "query": {"from": "2026-01-01", "to": "2026-02-01", "metric": "loans"}}, None),
        (
            {"kind": "stat", "format": "xlsx", "query": {"from": "2026-01-01", "to": "2026-02-01"}},
            None,
        ),
        (
            {
                "kind": "stat",
                "format": "xlsx",
                "query": {
                    "metric": "registered_smes",
                    "group_by": ["bank"],
                    "from": "2026-01-01",
                    "to": "2026-02-01",
                },
            },
            "group_by",
        ),
        ({**LOANS, "query": {**LOANS["query"], "grade": "ZZ"}}, None),  # type: ignore[dict-item]
        (
            {
                **LOANS,
                "query": {**LOANS["query"], "bank": "01900000-0000-7000-8000-000000000000"},  # type: ignore[dict-item]
            },
            "query.bank",
        ),
        ({**LOANS, "format": "pdf"}, None),
        ({**LOANS, "colour": "red"}, None),
    ],
)
async def test_bad_requests_get_422_naming_the_field(
    world: World, client: AsyncTestClient[Litestar], body: dict[str, Any], field: str | None
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    answer = await client.post("/api/v1/office/exports", json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert (await client.get("/api/v1/office/exports")).json()["items"] == []
