"""Products: a bank's users create, edit (a new immutable version each time), pause, resume
and retire their bank's products; anyone reads the active catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec
import structlog
from sqlalchemy import select

from xinyidai.domain.accounts.guards import Principal, require_bank_or_admin, require_bank_user
from xinyidai.domain.notifications.qualify import queue_check
from xinyidai.domain.products import catalogue
from xinyidai.domain.products.schemas import (
    Guarantee,
    ProductAction,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductStatus,
    ProductType,
    VersionOut,
)
from xinyidai.domain.products.validation import check_product
from xinyidai.infra.errors import Conflict, NotFound
from xinyidai.models import Bank, Product, ProductVersion

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

# Which status each action moves a product to, and from which statuses it may.
_MOVES: dict[ProductAction, tuple[ProductStatus, frozenset[ProductStatus]]] = {
    ProductAction.PAUSE: (ProductStatus.PAUSED, frozenset({ProductStatus.ACTIVE})),
    ProductAction.RESUME: (ProductStatus.ACTIVE, frozenset({ProductStatus.PAUSED})),
    ProductAction.RETIRE: (
        ProductStatus.RETIRED,
        frozenset({ProductStatus.ACTIVE, ProductStatus.PAUSED}),
    ),
}


@dataclass(frozen=True, slots=True)
class CatalogueQuery:
    type: ProductType | None = None
    bank_id: UUID | None = None
    guarantee: Guarantee | None = None
    district: str | None = None
    amount: Decimal | None = None
    term_months: int | None = None
    q: str | None = None

    def keeps(self, p: ProductOut) -> bool:
        """Whether the product passes every filter given."""
        return (
            (self.type is None or p.type == self.type)
            and (self.bank_id is None or p.bank_id == self.bank_id)
            and (self.guarantee is None or p.guarantee == self.guarantee)
            and (
                self.district is None
                or not p.districts_served
                or self.district in p.districts_served
            )
            and (self.amount is None or p.amount_min <= self.amount <= p.amount_max)
            and (
                self.term_months is None
                or p.term_min_months <= self.term_months <= p.term_max_months
            )
            and (
                not self.q
                or self.q.casefold() in f"{p.name_zh} {p.name_en} {p.bank_name}".casefold()
            )
        )


class ProductService:
    def __init__(self, session: AsyncSession, redis: Redis) -> None:
        self.session = session
        self.redis = redis

    def _changed(self) -> None:
        """Once committed: every process's catalogue is stale, and SMEs may qualify anew."""
        catalogue.invalidate_after_commit(self.session, self.redis)
        queue_check(self.session)

    async def _bank(self, bank_id: UUID) -> Bank:
        bank = await self.session.get(Bank, bank_id)
        if bank is None:
            raise NotFound("no such bank")
        return bank

    async def _own(self, bank_id: UUID, product_id: UUID, *, lock: bool = False) -> Product:
        query = select(Product).where(Product.id == product_id, Product.bank_id == bank_id)
        product = await self.session.scalar(query.with_for_update() if lock else query)
        if product is None:
            raise NotFound("no such product")
        return product

    async def _current(self, product: Product) -> ProductVersion:
        version = await self.session.scalar(
            select(ProductVersion).where(
                ProductVersion.product_id == product.id, ProductVersion.version == product.version
            )
        )
        assert version is not None, "a product always has its current version"
        return version

    async def _out(self, product: Product) -> ProductOut:
        bank = await self._bank(product.bank_id)
        return catalogue.product_out(product, await self._current(product), bank)

    async def create(self, bank_id: UUID, data: ProductIn, principal: Principal) -> ProductOut:
        """Publish a product for the bank's user: active, version 1."""
        require_bank_user(principal, bank_id, "change its products")
        return await self.publish(bank_id, data, created_by=principal.user_id)

    async def publish(
        self, bank_id: UUID, data: ProductIn, *, created_by: UUID | None = None
    ) -> ProductOut:
        """Publish a product with no user check (the demo seed; callers guard)."""
        await self._bank(bank_id)
        check_product(data)
        product = Product(bank_id=bank_id, status=ProductStatus.ACTIVE, type=data.type, version=1)
        self.session.add(product)
        await self.session.flush()
        self.session.add(
            ProductVersion(
                product_id=product.id,
                version=1,
                content=msgspec.to_builtins(data),
                created_by=created_by,
            )
        )
        await self.session.flush()
        self._changed()
        log.info("product_created", product_id=str(product.id), bank_id=str(bank_id))
        return await self._out(product)

    async def edit(
        self, bank_id: UUID, product_id: UUID, data: ProductIn, principal: Principal
    ) -> ProductOut:
        """A new version; earlier versions stay as they were for whatever points at them."""
        require_bank_user(principal, bank_id, "change its products")
        check_product(data)
        product = await self._own(bank_id, product_id, lock=True)
        if product.status == ProductStatus.RETIRED:
            raise Conflict("a retired product cannot be edited")
        product.version += 1
        product.type = data.type
        self.session.add(
            ProductVersion(
                product_id=product.id,
                version=product.version,
                content=msgspec.to_builtins(data),
                created_by=principal.user_id,
            )
        )
        await self.session.flush()
        self._changed()
        log.info("product_edited", product_id=str(product.id), version=product.version)
        return await self._out(product)

    async def move(
        self, bank_id: UUID, product_id: UUID, action: ProductAction, principal: Principal
    ) -> ProductOut:
        """Pause, resume or retire: 409 when the product is not in a status it moves from."""
        require_bank_user(principal, bank_id, "change its products")
        target, sources = _MOVES[action]
        product = await self._own(bank_id, product_id, lock=True)
        if ProductStatus(product.status) not in sources:
            raise Conflict(f"a {product.status} product cannot be {target.value}")
        product.status = target
        await self.session.flush()
        self._changed()
        log.info("product_" + target.value, product_id=str(product.id))
        return await self._out(product)

    async def of_bank(self, bank_id: UUID, principal: Principal) -> list[ProductOut]:
        """All the bank's products, whatever their status, newest first."""
        require_bank_or_admin(principal, bank_id)
        bank = await self._bank(bank_id)
        rows = await self.session.execute(
            select(Product, ProductVersion)
            .join(
                ProductVersion,
                (ProductVersion.product_id == Product.id)
                & (ProductVersion.version == Product.version),
            )
            .where(Product.bank_id == bank_id)
            .order_by(Product.created_at.desc(), Product.id.desc())
        )
        return [catalogue.product_out(p, v, bank) for p, v in rows]

    async def versions(
        self, bank_id: UUID, product_id: UUID, principal: Principal
    ) -> list[VersionOut]:
        """The product's versions, newest first (each as it was stated)."""
        require_bank_or_admin(principal, bank_id)
        product = await self._own(bank_id, product_id)
        rows = await self.session.scalars(
            select(ProductVersion)
            .where(ProductVersion.product_id == product.id)
            .order_by(ProductVersion.version.desc())
        )
        return [
            VersionOut(
                id=v.id,
                version=v.version,
                created_at=v.created_at,
                created_by=v.created_by,
                product=msgspec.convert(v.content, ProductIn),
            )
            for v in rows
        ]

    async def catalogue(self, query: CatalogueQuery, *, limit: int, offset: int) -> ProductPage:
        """The public catalogue: active products only, filtered, a page at a time."""
        kept = [p for p in await catalogue.active(self.session, self.redis) if query.keeps(p)]
        return ProductPage(
            items=kept[offset : offset + limit], total=len(kept), limit=limit, offset=offset
        )

    async def public(self, product_id: UUID) -> ProductOut:
        """One active product (paused and retired ones are not in the catalogue)."""
        for product in await catalogue.active(self.session, self.redis):
            if product.id == product_id:
                return product
        raise NotFound("no such product")
