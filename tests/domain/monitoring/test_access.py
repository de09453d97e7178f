"""Statistics are the credit office's: banks and SMEs are refused (403) on every office
statistics endpoint, callers without a session get 401, and the office's bad queries get 422
problem details naming what is wrong."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World
from xinyidai.models import Role

ENDPOINTS = (
    "/api/v1/office/stats?metric=loans&group_by=bank,month",
    "/api/v1/office/stats?metric=registered_smes",
    "/api/v1/office/kpis",
    "/api/v1/office/kpis?month=2026-01",
)


@pytest.mark.parametrize("role", [Role.BANK, Role.SME])
async def test_banks_and_smes_are_refused_every_office_statistic(
    world: World,
    client: AsyncTestClient[Litestar],
    login_as: Callable[..., Awaitable[dict[str, Any]]],
    role: Role,
) -> None:
    if role is Role.BANK:
        await world.bank("BANK_A")
        await world.user("bank@example.com", Role.BANK, "BANK_A")
        await login_as(client, "bank@example.com")
    else:
        enterprise = await world.enterprise()
        await world.user("sme@example.com", Role.SME, enterprise.uscc)
        await login_as(client, "sme@example.com")
    for path in ENDPOINTS:
        response = await client.get(path)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_without_a_session_statistics_answer_401(client: AsyncTestClient[Litestar]) -> None:
    for path in ENDPOINTS:
        assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("metric=loans&from=2026-03-01&to=2026-02-28", "to", "date_order"),
        ("metric=loans&from=2010-01-01&to=2020-01-01", "to", "span_too_long"),
        ("metric=loans&from=1800-01-01&to=2026-01-01", "from", "date_range"),
        ("metric=loans&group_by=bank,month,grade", "group_by", "too_many_dimensions"),
        ("metric=loans&group_by=bank,bank", "group_by", "repeated_dimension"),
        ("metric=loans&group_by=colour", "group_by", "unknown_dimension"),
        ("metric=registered_smes&group_by=bank", "group_by", "metric_dimension"),
        ("metric=coverage&group_by=month", "group_by", "metric_dimension"),
        (
            "metric=needs_published&bank=00000000-0000-0000-0000-000000000001",
            "bank",
            "metric_dimension",
        ),
        ("metric=loans&industry=Z", "industry", "unknown_value"),
        ("metric=loans&district=44010", "district", "unknown_value"),
        ("metric=loans&grade=AAAA", "grade", "unknown_value"),
        ("metric=loans&product_type=mortgage", "product_type", "unknown_value"),
    ],
)
async def test_the_office_gets_422_for_a_statistic_that_cannot_be_answered(
    world: World,
    client: AsyncTestClient[Litestar],
    login_as: Callable[..., Awaitable[dict[str, Any]]],
    query: str,
    field: str,
    code: str,
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login_as(client, "office@example.com")
    response = await client.get(f"/api/v1/office/stats?{query}")
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert {(e["field"], e["code"]) for e in errors} >= {(field, code)}, errors


async def test_a_month_that_is_not_one_is_422(
    world: World,
    client: AsyncTestClient[Litestar],
    login_as: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login_as(client, "office@example.com")
    for month in ("2026-13", "twelve", "0001-01"):
        response = await client.get(f"/api/v1/office/kpis?month={month}")
        assert response.status_code == 422, (month, response.text)
        assert response.json()["errors"][0]["field"] == "month"
