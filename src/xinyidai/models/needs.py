"""Financing needs (融资需求) an SME posts, and the claims (抢单) banks make on them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.domain.needs.vocabulary import NeedClaimStatus, NeedPurpose, NeedStatus
from xinyidai.models.base import Base, enum_check


class Need(Base):
    """A need as the SME stated it. The pool shows it through ``needs.anonymise`` only."""

    __tablename__ = "needs"
    __table_args__ = (
        enum_check("status", NeedStatus, "status_valid"),
        enum_check("purpose", NeedPurpose, "purpose_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("max_rate > 0 AND max_rate <= 0.36", name="max_rate_range"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_range"),
        CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_when_not_open"),
        Index("ix_needs_enterprise_created", "enterprise_id", "created_at"),
        Index("ix_needs_status_deadline", "status", "deadline"),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    created_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[NeedStatus] = mapped_column(String(16), default=NeedStatus.OPEN)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[NeedPurpose] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    max_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    deadline: Mapped[dt.date] = mapped_column(Date)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class NeedClaim(Base):
    """A bank's claim on a need, with its offer. One live (open or accepted) claim per bank
    per need; the accepted one names the consent the SME granted with it."""

    __tablename__ = "need_claims"
    __table_args__ = (
        enum_check("status", NeedClaimStatus, "status_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("rate > 0 AND rate <= 0.36", name="rate_range"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_range"),
        CheckConstraint("response_days BETWEEN 1 AND 30", name="response_days_range"),
        CheckConstraint("(status = 'accepted') = (consent_id IS NOT NULL)", name="consent_iff_won"),
        Index(
            "uq_need_claims_live_bank",
            "need_id",
            "bank_id",
            unique=True,
            postgresql_where=text("status IN ('open', 'accepted')"),
        ),
        Index("ix_need_claims_need", "need_id", "created_at"),
        Index("ix_need_claims_bank", "bank_id", "created_at"),
        Index("ix_need_claims_status_respond_by", "status", "respond_by"),
    )

    need_id: Mapped[UUID] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    created_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[NeedClaimStatus] = mapped_column(String(16), default=NeedClaimStatus.OPEN)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    term_months: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    response_days: Mapped[int] = mapped_column(Integer)
    respond_by: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    consent_id: Mapped[UUID | None] = mapped_column(ForeignKey("bank_consents.id"), default=None)
