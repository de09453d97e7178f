"""A bank's users publish, edit (each edit a new immutable version), pause, resume and retire
their bank's products; the public catalogue shows the active ones, to anyone, from a Redis
cache that every change invalidates for every process; bad rules are refused by path and
nothing is saved; no other bank, SME or office user changes a bank's products."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.products.payloads import product_payload
from xinyidai.app import create_app
from xinyidai.models import Role
from xinyidai.settings import Settings


async def _bank_user(world: World, client: AsyncTestClient[Litestar], code: str = "BANK_A") -> str:
    bank = await world.bank(code)
    email = f"staff@{code.lower().replace('_', '-')}.example.com"
    await world.user(email, Role.BANK, code)
    await login(client, email)
    return f"/api/v1/banks/{bank.id}/products"


async def test_a_bank_publishes_a_product_and_anyone_sees_it_in_the_catalogue(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    base = await _bank_user(world, client)
    created = await client.post(base, json=product_payload())
    assert created.status_code == 201, created.text
    product = created.json()
    assert (product["version"], product["status"], product["bank_name"]) == (
        1,
        "active",
        "BANK_A bank",
    )
    assert product["eligibility"]["revenue"] == {"min": "1000000"}

    client.cookies.clear()
    catalogue = await client.get("/api/v1/products")
    assert catalogue.status_code == 200
    assert [p["id"] for p in catalogue.json()["items"]] == [product["id"]]
    one = await client.get(f"/api/v1/products/{product['id']}")
    assert one.json()["name_zh"] == "税易贷"


async def test_an_edit_is_a_new_version_and_the_old_one_stays_as_it_was(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    base = await _bank_user(world, client)
    first = (await client.post(base, json=product_payload())).json()
    assert (await client.get("/api/v1/products")).json()["total"] == 1  # now cached
    edited = await client.put(
        f"{base}/{first['id']}", json=product_payload(amount_max="5000000", type="credit")
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["id"]) == (2, first["id"])
    assert edited.json()["version_id"] != first["version_id"]

    shown = (await client.get("/api/v1/products")).json()["items"]
    assert [(p["version"], p["amount_max"], p["type"]) for p in shown] == [(2, "5000000", "credit")]
    versions = (await client.get(f"{base}/{first['id']}/versions")).json()
    assert [(v["version"], v["product"]["amount_max"]) for v in versions] == [
        (2, "5000000"),
        (1, "3000000"),
    ]
    with pytest.raises(DBAPIError, match="immutable"):
        await db.execute(
            text("UPDATE product_versions SET version = 9 WHERE id = :id"),
            {"id": first["version_id"]},
        )
    await db.rollback()


async def test_paused_and_retired_products_leave_the_catalogue(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    base = await _bank_user(world, client)
    product = (await client.post(base, json=product_payload())).json()
    path = f"{base}/{product['id']}"

    paused = await client.post(f"{path}/pause")
    assert paused.json()["status"] == "paused"
    assert (await client.get("/api/v1/products")).json()["items"] == []
    assert (await client.get(f"/api/v1/products/{product['id']}")).status_code == 404
    assert (await client.post(f"{path}/pause")).status_code == 409
    assert (await client.post(f"{path}/resume")).json()["status"] == "active"
    assert (await client.get("/api/v1/products")).json()["total"] == 1

    assert (await client.post(f"{path}/retire")).json()["status"] == "retired"
    assert (await client.get("/api/v1/products")).json()["total"] == 0
    for refused in (
        await client.post(f"{path}/resume"),
        await client.post(f"{path}/retire"),
        await client.put(path, json=product_payload()),
    ):
        assert refused.status_code == 409, refused.text
    mine = (await client.get(base)).json()
    assert [p["status"] for p in mine] == ["retired"]  # the bank still sees it


async def test_the_catalogue_filters_and_pages(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    base = await _bank_user(world, client)
    shapes = [
        product_payload(name_zh="信用贷一号", type="credit", guarantee="none"),
        product_payload(name_zh="抵押经营贷", type="credit", guarantee="collateral"),
        product_payload(
            name_zh="天河科创贷",
            districts_served=["440106"],
            amount_max="800000",
            term_max_months=12,
        ),
    ]
    for shape in shapes:
        assert (await client.post(base, json=shape)).status_code == 201
    client.cookies.clear()

    async def names(**query: str) -> list[str]:
        answer = await client.get("/api/v1/products", params=query)
        assert answer.status_code == 200, answer.text
        return [p["name_zh"] for p in answer.json()["items"]]

    assert await names(type="credit") == ["信用贷一号", "抵押经营贷"]
    assert await names(guarantee="collateral") == ["抵押经营贷"]
    assert await names(district="440106") == ["信用贷一号", "抵押经营贷", "天河科创贷"]
    assert await names(district="440103") == ["信用贷一号", "抵押经营贷"]
    assert await names(amount="1000000") == ["信用贷一号", "抵押经营贷"]
    assert await names(term_months="24") == ["信用贷一号", "抵押经营贷"]
    assert await names(q="科创") == ["天河科创贷"]
    assert await names(q="bank_a") == ["信用贷一号", "抵押经营贷", "天河科创贷"]
    page = (await client.get("/api/v1/products", params={"limit": 2, "offset": 2})).json()
    assert (page["total"], [p["name_zh"] for p in page["items"]]) == (3, ["天河科创贷"])
    for bad in ({"district": "abc"}, {"limit": "0"}, {"type": "pawn"}, {"amount": "lots"}):
        assert (await client.get("/api/v1/products", params=bad)).status_code in (400, 422), bad


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"eligibility": {"min_credit_score": 600}}, None, None),  # unknown criterion
        ({"eligibility": {"min_grade": "AAAA"}}, None, None),
        (
            {"eligibility": {"revenue": {"min": "5000000", "max": "1000000"}}},
            "eligibility.revenue.min",
            "min_above_max",
        ),
        (
            {"eligibility": {"headcount": {"min": 50, "max": 10}}},
            "eligibility.headcount.min",
            "min_above_max",
        ),
        (
            {"eligibility": {"industries": {"mode": "include", "codes": ["99"]}}},
            "eligibility.industries.codes[0]",
            "industry_division_unknown",
        ),
        ({"eligibility": {"districts": ["000000"]}}, "eligibility.districts[0]", "district_format"),
        ({"rate_floor": "0.06", "rate_ceiling": "0.05"}, "rate_ceiling", "ceiling_under_floor"),
        ({"rates_by_grade": {"AAA": "0.02"}}, "rates_by_grade.AAA", "rate_outside"),
        ({"amount_min": "5000000"}, "amount_min", "min_above_max"),
        ({"amount_max": "-1"}, "amount_max", "amount_range"),
        ({"rate_ceiling": "0.50"}, "rate_ceiling", "rate_range"),
        ({"term_min_months": 48}, "term_min_months", "min_above_max"),
    ],
)
async def test_a_bad_product_is_refused_by_its_path_and_nothing_is_saved(
    client: AsyncTestClient[Litestar],
    world: World,
    changes: dict[str, object],
    path: str | None,
    code: str | None,
) -> None:
    base = await _bank_user(world, client)
    refused = await client.post(base, json=product_payload(**changes))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    if path is not None:
        (error,) = refused.json()["errors"]
        assert (error["field"], error["code"]) == (path, code)
    else:  # the shape check names the part of the body it broke
        assert "eligibility" in refused.text
    assert (await client.get(base)).json() == []


async def test_no_other_bank_sme_or_office_user_changes_a_banks_products(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    a_base = await _bank_user(world, client, "BANK_A")
    product = (await client.post(a_base, json=product_payload())).json()
    path = f"{a_base}/{product['id']}"
    b = await world.bank("BANK_B")
    await world.user("b@bank.example.com", Role.BANK, "BANK_B")
    ent = await world.enterprise()
    await world.user("owner@example.com", Role.SME, ent.uscc)
    await world.user("office@example.com", Role.OFFICE)
    await world.user("admin@example.com", Role.ADMIN)

    for email in (
        "b@bank.example.com",
        "owner@example.com",
        "office@example.com",
        "admin@example.com",
    ):
        client.cookies.clear()
        await login(client, email)
        assert (await client.post(a_base, json=product_payload())).status_code == 403, email
        assert (await client.put(path, json=product_payload(name_zh="改名"))).status_code == 403
        assert (await client.post(f"{path}/retire")).status_code == 403, email
    client.cookies.clear()
    await login(client, "b@bank.example.com")
    assert (await client.get(a_base)).status_code == 403
    assert (await client.get(f"{path}/versions")).status_code == 403
    # Bank B's own path with bank A's product: not B's, so not found.
    theirs = f"/api/v1/banks/{b.id}/products/{product['id']}"
    assert (await client.put(theirs, json=product_payload())).status_code == 404
    assert (await client.post(f"{theirs}/pause")).status_code == 404
    client.cookies.clear()
    await login(client, "admin@example.com")
    assert [p["name_zh"] for p in (await client.get(a_base)).json()] == ["税易贷"]  # unchanged


async def test_a_change_made_through_one_process_is_seen_by_another_at_once(
    client: AsyncTestClient[Litestar], world: World, settings: Settings
) -> None:
    """Two app instances share only the database and Redis, as two server processes do."""
    base = await _bank_user(world, client)
    async with AsyncTestClient(app=create_app(settings)) as other:
        assert (await other.get("/api/v1/products")).json()["total"] == 0  # cached, empty
        product = (await client.post(base, json=product_payload())).json()
        assert (await other.get("/api/v1/products")).json()["total"] == 1
        await client.post(f"{base}/{product['id']}/pause")
        assert (await other.get("/api/v1/products")).json()["total"] == 0


async def test_the_eligibility_schema_is_published(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/api/v1/products/eligibility-schema")).json()
    rule = schema["$defs"]["Eligibility"]
    assert rule["additionalProperties"] is False
    assert {"min_grade", "revenue", "exclusions", "flags"} <= set(rule["properties"])
    grades = schema["$defs"]["Grade"]
    assert set(grades["enum"]) == {"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "C"}
    assert "best to worst: AAA, AA, A, BBB" in grades["description"]


async def test_an_unknown_status_action_is_refused(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    base = await _bank_user(world, client)
    product = (await client.post(base, json=product_payload())).json()
    refused = await client.post(f"{base}/{product['id']}/delete")
    assert refused.status_code in (400, 404, 422), refused.text
    assert (await client.get(base)).json()[0]["status"] == "active"
