"""Loan applications, their timeline, their delivery to the bank (the outbox), the loans that
follow, the banks' loan events, post-loan warnings, and where a bank's intake lives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.domain.applications.vocabulary import (
    Actor,
    ApplicationStatus,
    LoanEventKind,
    OutboxStatus,
    RejectReason,
    WarningKind,
)
from xinyidai.domain.needs.vocabulary import NeedPurpose
from xinyidai.models.base import Base, enum_check


class Application(Base):
    """An SME's application for one product version, to the product's bank.

    Written in one transaction with the consent it grants the bank and its outbox row. The
    ``idempotency_key`` (unique per enterprise) and ``request_hash`` make a repeated submission
    return the first result. ``eligibility`` is the matching engine's verdict at submission
    (an ineligible SME may still apply). The decision's terms live here; the money that follows
    lives in :class:`Loan`.

    The monitoring dimensions (``product_type``, ``industry_section``, ``district_code``,
    ``grade``) and the bank's commitment (``response_days``, ``respond_by``) are copied in when
    the application is written, so statistics never shift when an enterprise moves or a product
    changes; ``response_working_days`` is the answer's working time, set with the decision."""

    __tablename__ = "applications"
    __table_args__ = (
        enum_check("status", ApplicationStatus, "status_valid"),
        enum_check("purpose", NeedPurpose, "purpose_valid"),
        enum_check("reject_reason", RejectReason, "reject_reason_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_range"),
        CheckConstraint(
            "approved_rate IS NULL OR (approved_rate > 0 AND approved_rate <= 0.36)",
            name="approved_rate_range",
        ),
        UniqueConstraint(
            "enterprise_id", "idempotency_key", name="uq_applications_enterprise_idempotency"
        ),
        UniqueConstraint("need_claim_id", name="uq_applications_need_claim"),
        CheckConstraint(
            "(product_version_id IS NOT NULL) OR (need_claim_id IS NOT NULL)",
            name="product_or_claim",
        ),
        Index("ix_applications_enterprise_created", "enterprise_id", "created_at"),
        Index("ix_applications_bank_id", "bank_id", "id"),
        Index("ix_applications_bank_status", "bank_id", "status"),
        CheckConstraint("response_days BETWEEN 1 AND 60", name="response_days_range"),
        CheckConstraint("industry_section ~ '^[A-T]$'", name="industry_section_valid"),
        CheckConstraint("district_code ~ '^[0-9]{6}$'", name="district_code_valid"),
        CheckConstraint("response_working_days >= 0", name="response_working_days_nonnegative"),
        # Service levels (domain/monitoring/service_levels.py, migration 0017): the period's
        # submissions and decisions by range, and what waits past its commitment now.
        Index(
            "ix_applications_created", "created_at", postgresql_include=["bank_id", "response_days"]
        ),
        Index(
            "ix_applications_decided",
            "decided_at",
            postgresql_where=text("decided_at IS NOT NULL"),
            postgresql_include=["bank_id", "respond_by", "response_working_days"],
        ),
        Index(
            "ix_applications_waiting",
            "respond_by",
            postgresql_where=text("status IN ('submitted', 'delivered', 'under_review')"),
            postgresql_include=["bank_id"],
        ),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    # A product version, or (from the needs pool) the accepted claim: one of the two.
    product_id: Mapped[UUID | None] = mapped_column(ForeignKey("products.id"), default=None)
    product_version_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("product_versions.id"), default=None
    )
    consent_id: Mapped[UUID] = mapped_column(ForeignKey("bank_consents.id"))
    need_claim_id: Mapped[UUID | None] = mapped_column(ForeignKey("need_claims.id"), default=None)
    # The SME user who applied; empty only for the demo city's history.
    submitted_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[ApplicationStatus] = mapped_column(
        String(16), default=ApplicationStatus.SUBMITTED
    )
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[NeedPurpose] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    eligible: Mapped[bool] = mapped_column(Boolean)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JsonB)
    grade: Mapped[str | None] = mapped_column(String(8), default=None)
    status_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    approved_rate: Mapped[Decimal | None] = mapped_column(Numeric(8, 6), default=None)
    approved_term_months: Mapped[int | None] = mapped_column(Integer, default=None)
    reject_reason: Mapped[RejectReason | None] = mapped_column(String(32), default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    product_type: Mapped[str] = mapped_column(String(32))  # a ProductType, or NEEDS_OFFER
    industry_section: Mapped[str] = mapped_column(String(1))
    district_code: Mapped[str] = mapped_column(String(6))
    response_days: Mapped[int] = mapped_column(Integer)
    respond_by: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    response_working_days: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), default=None)


class ApplicationEvent(Base):
    """One transition of an application: the timeline the SME sees. Append-only."""

    __tablename__ = "application_events"
    __table_args__ = (
        enum_check("to_status", ApplicationStatus, "to_status_valid"),
        enum_check("actor", Actor, "actor_valid"),
        Index("ix_application_events_application", "application_id", "at"),
    )

    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    from_status: Mapped[ApplicationStatus | None] = mapped_column(String(16), default=None)
    to_status: Mapped[ApplicationStatus] = mapped_column(String(16))
    actor: Mapped[Actor] = mapped_column(String(16))
    # A user id, the bank's OAuth client id, or the job's name.
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


class ApplicationDelivery(Base):
    """The outbox row of an application: written with it, delivered to the bank's intake by
    the relay (``domain/applications/relay.py``). ``attempts`` is counted when an attempt
    starts; ``attempt_log`` keeps one entry per attempt."""

    __tablename__ = "application_deliveries"
    __table_args__ = (
        enum_check("status", OutboxStatus, "status_valid"),
        UniqueConstraint("application_id", name="uq_application_deliveries_application"),
        Index("ix_application_deliveries_bank_id", "bank_id", "id"),
        Index("ix_application_deliveries_status", "status", "id"),
        Index(
            "ix_application_deliveries_open_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
    )

    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    requeued_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class BankIntake(Base):
    """Where the platform delivers a bank's applications: the bank's intake URL, guarded by the
    bank's own OAuth token endpoint (client credentials). The secret is encrypted at rest
    (``infra/crypto.py``, bound to the row). A bank without one polls instead."""

    __tablename__ = "bank_intakes"

    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), unique=True)
    intake_url: Mapped[str] = mapped_column(String(500))
    token_url: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[bytes] = mapped_column(LargeBinary)
    scope: Mapped[str | None] = mapped_column(String(200), default=None)


class Loan(Base):
    """The loan an approval makes (one per approved application): its terms and where its money
    stands, kept up to date by the bank's loan events (the events are the record; these columns
    are their running sums, updated in the same transaction). The monitoring dimensions are the
    application's; ``first_time`` (首贷户) is set at disbursement: the enterprise's first loan
    paid out on the platform, and the bank reported no earlier bank credit."""

    __tablename__ = "loans"
    __table_args__ = (
        UniqueConstraint("application_id", name="uq_loans_application"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("annual_rate > 0 AND annual_rate <= 0.36", name="annual_rate_range"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_range"),
        CheckConstraint("principal_repaid >= 0", name="principal_repaid_nonnegative"),
        CheckConstraint(
            "recovered_amount >= 0 AND recovered_amount <= COALESCE(loss_amount, 0)",
            name="recovered_within_loss",
        ),
        Index("ix_loans_bank_id", "bank_id", "id"),
        Index("ix_loans_enterprise", "enterprise_id"),
        CheckConstraint("industry_section ~ '^[A-T]$'", name="industry_section_valid"),
        CheckConstraint("district_code ~ '^[0-9]{6}$'", name="district_code_valid"),
    )

    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    product_id: Mapped[UUID | None] = mapped_column(ForeignKey("products.id"), default=None)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    term_months: Mapped[int] = mapped_column(Integer)
    unsecured: Mapped[bool] = mapped_column(Boolean)
    approved_on: Mapped[dt.date] = mapped_column(Date)
    disbursed_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    disbursed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    maturity_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    principal_repaid: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))
    interest_paid: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0"))
    overdue_since: Mapped[dt.date | None] = mapped_column(Date, default=None)
    overdue_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    defaulted_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    loss_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    # Principal recovered after the default (``recovery`` events), at most the loss.
    recovered_amount: Mapped[Decimal] = mapped_column(
        Numeric(18, 2), default=Decimal("0"), server_default=text("0")
    )
    # The bank declared, with the disbursement, that PBoC tools (再贷款/再贴现) funded it.
    pboc_funded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    settled_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    product_type: Mapped[str] = mapped_column(String(32))
    industry_section: Mapped[str] = mapped_column(String(1))
    district_code: Mapped[str] = mapped_column(String(6))
    grade: Mapped[str | None] = mapped_column(String(8), default=None)
    first_time: Mapped[bool] = mapped_column(Boolean, default=False)


class LoanEvent(Base):
    """One event a bank reported about a loan, kept as sent. ``(bank_id, idempotency_key)`` is
    unique: a replay with the same body returns the first result and changes nothing."""

    __tablename__ = "loan_events"
    __table_args__ = (
        enum_check("kind", LoanEventKind, "kind_valid"),
        UniqueConstraint("bank_id", "idempotency_key", name="uq_loan_events_bank_idempotency"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_nonnegative"),
        Index("ix_loan_events_loan", "loan_id", "occurred_on"),
    )

    loan_id: Mapped[UUID] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[LoanEventKind] = mapped_column(String(16))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    interest: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    days_overdue: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # The bank's OAuth client, or the bank user in the portal, who reported it.
    reported_by: Mapped[str | None] = mapped_column(String(100), default=None)


class LoanWarning(Base):
    """A post-loan warning (贷后预警) for one lending bank: what changed, once per change
    (``change_key`` is unique per loan: the record's id, the arrears month, the grade pair)."""

    __tablename__ = "loan_warnings"
    __table_args__ = (
        enum_check("kind", WarningKind, "kind_valid"),
        UniqueConstraint("loan_id", "change_key", name="uq_loan_warnings_loan_change"),
        Index("ix_loan_warnings_bank_id", "bank_id", "id"),
    )

    loan_id: Mapped[UUID] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    kind: Mapped[WarningKind] = mapped_column(String(32))
    change_key: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
