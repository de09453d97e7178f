"""The active catalogue, cached in Redis for every process.

One key holds the whole active catalogue (every active product's current version, as
``ProductOut`` JSON) under a *generation* number; any change to any product increments the
generation once its transaction has committed, so every process's next read misses and loads
again. A reader that raced a change can only store older data under an older generation, which
nobody reads any more. If Redis fails between a commit and the increment, the entry still
expires after :data:`TTL_SECONDS`.

Public filters and pages are applied to the cached list in Python: the catalogue is a few
thousand products at most, and one cached document serves every filter and matching alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from sqlalchemy import select

from xinyidai.domain.products.schemas import ProductIn, ProductOut, ProductStatus
from xinyidai.infra.db import after_commit
from xinyidai.models import Bank, Product, ProductVersion

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

GENERATION_KEY = "products:generation"
CACHE_PREFIX = "products:catalogue:"
TTL_SECONDS = 300

_DECODE = msgspec.json.Decoder(list[ProductOut])


def product_out(product: Product, version: ProductVersion, bank: Bank) -> ProductOut:
    stated = msgspec.convert(version.content, ProductIn)
    return ProductOut(
        **{f: getattr(stated, f) for f in ProductIn.__struct_fields__},
        id=product.id,
        version_id=version.id,
        version=version.version,
        bank_id=bank.id,
        bank_name=bank.name,
        status=ProductStatus(product.status),
        created_at=product.created_at,
        updated_at=version.created_at,
    )


async def load_active(session: AsyncSession) -> list[ProductOut]:
    """Every active product at its current version, from the database."""
    rows = await session.execute(
        select(Product, ProductVersion, Bank)
        .join(
            ProductVersion,
            (ProductVersion.product_id == Product.id) & (ProductVersion.version == Product.version),
        )
        .join(Bank, Bank.id == Product.bank_id)
        .where(Product.status == ProductStatus.ACTIVE.value)
        .order_by(Product.created_at, Product.id)
    )
    return [product_out(p, v, b) for p, v, b in rows]


async def active(session: AsyncSession, redis: Redis) -> list[ProductOut]:
    """The active catalogue: Redis first, the database on a miss (then cached)."""
    return (await active_with_generation(session, redis))[1]


async def active_with_generation(
    session: AsyncSession, redis: Redis
) -> tuple[str, list[ProductOut]]:
    """The active catalogue and the generation it belongs to (a process may keep what it
    derives from the catalogue, such as matching's compiled rules, for that generation)."""
    raw = await redis.get(GENERATION_KEY)
    generation = raw.decode() if isinstance(raw, bytes) else "0"
    cached = await redis.get(CACHE_PREFIX + generation)
    if cached is not None:
        return generation, _DECODE.decode(cached)
    items = await load_active(session)
    await redis.set(CACHE_PREFIX + generation, msgspec.json.encode(items), ex=TTL_SECONDS)
    return generation, items


def invalidate_after_commit(session: AsyncSession, redis: Redis) -> None:
    """Every process's cached catalogue is stale once this transaction commits."""

    async def bump() -> None:
        await redis.incr(GENERATION_KEY)

    after_commit(session, bump)
