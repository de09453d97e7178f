"""The demo banks publish their products once: six to eight each, every kind the catalogue
knows, each a valid product, in the public catalogue."""

from __future__ import annotations

from collections import Counter

from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.demo.city import BANKS
from xinyidai.domain.demo.products import demo_products, seed_demo_products
from xinyidai.domain.products.validation import check_product
from xinyidai.models import Bank, Product


def test_each_demo_bank_offers_six_to_eight_valid_products_of_every_kind() -> None:
    kinds: Counter[str] = Counter()
    for code, _, _ in BANKS:
        products = demo_products(code)
        assert 6 <= len(products) <= 8, code
        assert len({p.name_zh for p in products}) == len(products)
        for product in products:
            check_product(product)
            kinds[product.type] += 1
    assert set(kinds) == {
        "credit",
        "tax_based",
        "utility_based",
        "first_loan",
        "renewal",
        "receivables",
        "ip_pledge",
    }
    flags = {f for code, _, _ in BANKS for p in demo_products(code) for f in p.eligibility.flags}
    assert flags == {"specialised", "green"}


async def test_the_products_are_published_once_and_shown_in_the_catalogue(
    client: AsyncTestClient[Litestar], db: AsyncSession, redis: Redis
) -> None:
    for code, name, _ in BANKS:
        db.add(Bank(name=name, short_code=code))
    await db.commit()
    published = await seed_demo_products(db, redis)
    await db.commit()
    assert published == sum(len(demo_products(code)) for code, _, _ in BANKS)
    assert await seed_demo_products(db, redis) == 0
    assert await db.scalar(select(func.count()).select_from(Product)) == published
    catalogue = (await client.get("/api/v1/products", params={"limit": 100})).json()
    assert catalogue["total"] == published
    assert {p["bank_name"] for p in catalogue["items"]} == {name for _, name, _ in BANKS}
