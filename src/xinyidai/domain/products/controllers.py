"""Products under ``/api/v1/banks/{bank_id}/products`` (the bank's users) and the public
catalogue under ``/api/v1/products`` (no login needed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.products.schemas import (
    Guarantee,
    ProductAction,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductType,
    VersionOut,
    eligibility_schema,
)
from xinyidai.domain.products.services import CatalogueQuery, ProductService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_products(db: NamedDependency[AsyncSession], state: State) -> ProductService:
    return ProductService(db, state.redis)


class BankProductController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/products"
    tags = ["products"]
    security = SESSION_SECURITY
    dependencies = {"products": Provide(provide_products, sync_to_thread=False)}

    @get(
        "/",
        summary="The bank's products in every status, newest first (its users and admins)",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def list_products(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        products: NamedDependency[ProductService],
    ) -> list[ProductOut]:
        return await products.of_bank(bank_id, principal)

    @post(
        "/",
        summary="Publish a product (the bank's users); its eligibility rule is checked "
        "against the published schema and rules",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def create(
        self,
        bank_id: FromPath[UUID],
        data: JSONBody[ProductIn],
        principal: NamedDependency[Principal],
        products: NamedDependency[ProductService],
    ) -> ProductOut:
        return await products.create(bank_id, data, principal)

    @put(
        "/{product_id:uuid}",
        summary="Edit a product: a new version; earlier versions stay for what cites them",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def edit(
        self,
        bank_id: FromPath[UUID],
        product_id: FromPath[UUID],
        data: JSONBody[ProductIn],
        principal: NamedDependency[Principal],
        products: NamedDependency[ProductService],
    ) -> ProductOut:
        return await products.edit(bank_id, product_id, data, principal)

    @get(
        "/{product_id:uuid}/versions",
        summary="A product's versions, newest first",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def versions(
        self,
        bank_id: FromPath[UUID],
        product_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        products: NamedDependency[ProductService],
    ) -> list[VersionOut]:
        return await products.versions(bank_id, product_id, principal)

    @post(
        "/{product_id:uuid}/{action:str}",
        status_code=200,
        summary="Pause an active product (out of the catalogue and matching until resumed), "
        "resume a paused one, or retire a product for good (its versions stay)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def move(
        self,
        bank_id: FromPath[UUID],
        product_id: FromPath[UUID],
        action: FromPath[ProductAction],
        principal: NamedDependency[Principal],
        products: NamedDependency[ProductService],
    ) -> ProductOut:
        return await products.move(bank_id, product_id, action, principal)


class CatalogueController(Controller):
    path = "/api/v1/products"
    tags = ["products"]
    dependencies = {"products": Provide(provide_products, sync_to_thread=False)}

    @get(
        "/",
        summary="The public catalogue: active products, filtered, a page at a time",
        responses=problem_responses(400, 422, 503),
    )
    async def catalogue(
        self,
        products: NamedDependency[ProductService],
        type: Annotated[ProductType | None, QueryParameter()] = None,
        bank_id: Annotated[UUID | None, QueryParameter()] = None,
        guarantee: Annotated[Guarantee | None, QueryParameter()] = None,
        district: Annotated[
            str | None,
            QueryParameter(pattern=r"^\d{6}$", description="Products serving this district"),
        ] = None,
        amount: Annotated[
            Decimal | None, QueryParameter(description="Products lending this amount (yuan)")
        ] = None,
        term_months: Annotated[int | None, QueryParameter(ge=1, le=360)] = None,
        q: Annotated[
            str | None,
            QueryParameter(max_length=50, description="Words in the product's or bank's name"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> ProductPage:
        query = CatalogueQuery(
            type=type,
            bank_id=bank_id,
            guarantee=guarantee,
            district=district,
            amount=amount,
            term_months=term_months,
            q=q.strip() if q else None,
        )
        return await products.catalogue(query, limit=limit, offset=offset)

    @get(
        "/eligibility-schema",
        summary="The JSON Schema every product's eligibility rule satisfies",
        responses=problem_responses(503),
    )
    async def schema(self) -> dict[str, Any]:
        return eligibility_schema()

    @get(
        "/{product_id:uuid}",
        summary="One active product",
        responses=problem_responses(400, 404, 503),
    )
    async def product(
        self, product_id: FromPath[UUID], products: NamedDependency[ProductService]
    ) -> ProductOut:
        return await products.public(product_id)
