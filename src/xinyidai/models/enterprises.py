from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Date, ForeignKey, Index, LargeBinary, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, enum_check


class EnterpriseStatus(StrEnum):
    """Registration status as the market-regulation registry reports it."""

    ACTIVE = "active"  # 存续/在业
    SUSPENDED = "suspended"  # 停业
    REVOKED = "revoked"  # 吊销
    DEREGISTERED = "deregistered"  # 注销


class EnterpriseDetails:
    """Registration details, as the registry holds them and as a claimant states them."""

    name: Mapped[str] = mapped_column(String(200))
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


class Enterprise(EnterpriseDetails, Base):
    """An SME (中小微企业) in the registry, identified by its USCC.

    ``verified_at`` is set while a claim on it is verified (its legal representative proved it
    through the identity service); only then may its users act on its data.
    """

    __tablename__ = "enterprises"
    __table_args__ = (
        enum_check("status", EnterpriseStatus, "status_valid"),
        Index("ix_enterprises_district_industry", "district_code", "industry_section"),
        # The credit office counts the SMEs registered (verified) by a date.
        Index(
            "ix_enterprises_verified_at",
            "verified_at",
            postgresql_where=text("verified_at IS NOT NULL"),
        ),
    )

    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    status: Mapped[EnterpriseStatus] = mapped_column(String(16), default=EnterpriseStatus.ACTIVE)
    verified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class ClaimStatus(StrEnum):
    """Where a claim to be an enterprise stands."""

    PENDING = "pending"  # registered, not yet verified: the account may edit its claim only
    VERIFIED = "verified"  # the legal representative verified it: the account acts for the SME
    SUPERSEDED = "superseded"  # someone else verified the USCC first
    REVOKED = "revoked"  # the credit office revoked the verification


class EnterpriseClaim(EnterpriseDetails, Base):
    """An account's claim to be an enterprise: what it stated at registration (or since), and
    how the claim was verified or closed. One claim per account; at most one verified claim per
    USCC (a partial unique index)."""

    __tablename__ = "enterprise_claims"
    __table_args__ = (
        enum_check("status", ClaimStatus, "status_valid"),
        Index(
            "uq_enterprise_claims_verified_uscc",
            "uscc",
            unique=True,
            postgresql_where=text("status = 'verified'"),
        ),
        Index("ix_enterprise_claims_uscc_status", "uscc", "status"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    uscc: Mapped[str] = mapped_column(String(18))
    status: Mapped[ClaimStatus] = mapped_column(String(16), default=ClaimStatus.PENDING)
    enterprise_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), default=None, index=True
    )
    verified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    # Who verified, as the identity service names them: its issuer and the pairwise subject.
    identity_issuer: Mapped[str | None] = mapped_column(String(255), default=None)
    identity_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closed_reason: Mapped[str | None] = mapped_column(Text, default=None)


class AlertStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class VerificationAlert(Base):
    """The credit office's queue of possible squatting: a claim on an already verified USCC."""

    __tablename__ = "verification_alerts"
    __table_args__ = (
        enum_check("status", AlertStatus, "status_valid"),
        Index("ix_verification_alerts_status_created", "status", "created_at"),
    )

    uscc: Mapped[str] = mapped_column(String(18))
    enterprise_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    claimant_email: Mapped[str] = mapped_column(String(254))
    claimed_name: Mapped[str] = mapped_column(String(200))
    claimed_legal_rep: Mapped[str] = mapped_column(String(100))
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[AlertStatus] = mapped_column(String(16), default=AlertStatus.OPEN)
    closed_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
