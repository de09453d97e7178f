"""In-app notifications to an SME, and the products each SME qualified for at the last check
(what "you now qualify" compares against)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, PlainBase, enum_check


class NotificationKind(StrEnum):
    QUALIFIED = "qualified"  # the SME now meets a product's eligibility rule


class Notification(Base):
    """One notice to an SME's users. A product version notifies an SME at most once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint(
            "enterprise_id", "kind", "product_version_id", name="uq_notifications_once"
        ),
        enum_check("kind", NotificationKind, "kind_valid"),
        Index("ix_notifications_enterprise_id_id", "enterprise_id", "id"),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(String(32))
    product_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), default=None
    )
    product_version_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("product_versions.id", ondelete="CASCADE"), default=None
    )
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class Qualification(PlainBase):
    """An SME met this product's rule at the last check (no row: it did not). Only the pairs
    that qualify are kept, so the table grows with qualifications, not with SMEs × products."""

    __tablename__ = "qualifications"

    enterprise_id: Mapped[UUID] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    product_version_id: Mapped[UUID] = mapped_column(
        ForeignKey("product_versions.id", ondelete="CASCADE")
    )
    since: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
