from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, enum_check


class Role(StrEnum):
    SME = "sme"
    BANK = "bank"
    OFFICE = "office"
    ADMIN = "admin"


class User(Base):
    """A person who logs in; one role, and the organisation that role belongs to.

    An SME user's ``enterprise_id`` is set only through a verified claim (``EnterpriseClaim``):
    until its legal representative verifies, the account belongs to no enterprise.
    """

    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role, "role_valid"),
        CheckConstraint(
            "(role = 'sme' AND bank_id IS NULL)"
            " OR (role = 'bank' AND bank_id IS NOT NULL AND enterprise_id IS NULL)"
            " OR (role IN ('office', 'admin') AND enterprise_id IS NULL AND bank_id IS NULL)",
            name="organisation_matches_role",
        ),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(16))
    enterprise_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True, default=None
    )
    bank_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("banks.id", ondelete="RESTRICT"), index=True, default=None
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
