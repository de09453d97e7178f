from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, Index, LargeBinary, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, enum_check


class EnterpriseStatus(StrEnum):
    """Registration status as the market-regulation registry reports it."""

    ACTIVE = "active"  # 存续/在业
    SUSPENDED = "suspended"  # 停业
    REVOKED = "revoked"  # 吊销
    DEREGISTERED = "deregistered"  # 注销


class Enterprise(Base):
    """An SME (中小微企业) in the registry, identified by its USCC."""

    __tablename__ = "enterprises"
    __table_args__ = (
        enum_check("status", EnterpriseStatus, "status_valid"),
        Index("ix_enterprises_district_industry", "district_code", "industry_section"),
    )

    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    legal_rep_name: Mapped[str] = mapped_column(String(100))
    # The legal representative's resident ID number, AES-256-GCM encrypted; only a masked form
    # is kept in clear for display.
    legal_rep_id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    legal_rep_id_masked: Mapped[str] = mapped_column(String(18))
    registered_capital: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    founded_on: Mapped[dt.date] = mapped_column(Date)
    industry_section: Mapped[str] = mapped_column(String(1))
    industry_division: Mapped[str] = mapped_column(String(2))
    district_code: Mapped[str] = mapped_column(String(6))
    status: Mapped[EnterpriseStatus] = mapped_column(String(16), default=EnterpriseStatus.ACTIVE)
