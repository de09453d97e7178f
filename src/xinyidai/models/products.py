"""Loan products: a product (bank, status, which version is current) and its immutable
versions (the whole product as the bank stated it, as JSON)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.domain.products.schemas import ProductStatus, ProductType
from xinyidai.models.base import Base, enum_check


class Product(Base):
    """A bank's product. ``version`` names its current version; ``type`` is the current
    version's, kept here for the catalogue's filters."""

    __tablename__ = "products"
    __table_args__ = (
        enum_check("status", ProductStatus, "status_valid"),
        enum_check("type", ProductType, "type_valid"),
        Index("ix_products_bank_id", "bank_id"),
        Index("ix_products_status", "status"),
    )

    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id"))
    status: Mapped[ProductStatus] = mapped_column(String(16), default=ProductStatus.ACTIVE)
    type: Mapped[ProductType] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProductVersion(Base):
    """One version of a product, never changed (a trigger refuses UPDATE): an application or a
    notification points at the version it saw."""

    __tablename__ = "product_versions"
    __table_args__ = (
        UniqueConstraint("product_id", "version", name="uq_product_versions_product_version"),
    )

    product_id: Mapped[UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JsonB)
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
