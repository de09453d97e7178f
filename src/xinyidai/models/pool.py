"""The risk-compensation pool: pool years, rule sets and their share bands, the priority list,
registrations of disbursed loans, claims, and the double-entry ledger.

What the database itself guarantees (migration 0015, raw SQL there, not in these classes):
rule sets' validity periods never overlap (an exclusion constraint on their date ranges); a
ledger entry's lines sum to zero and are at least two (a deferred constraint trigger, checked
at commit); ledger entries and lines are never updated or deleted (triggers)."""

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
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.domain.monitoring.pool.vocabulary import PoolClaimStatus, PoolEntryKind
from xinyidai.models.base import Base, enum_check

SHARE = Numeric(5, 4)
MONEY = Numeric(18, 2)


class PoolYear(Base):
    """A pool year: the loans disbursed in it belong to it. Its cap is not stored here: it is
    the balance of the ledger's ``city:<year>:allocation`` account. The row is what approvals
    of the year lock, so that two of them cannot both fit under the cap."""

    __tablename__ = "pool_years"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2199", name="year_range"),)

    year: Mapped[int] = mapped_column(Integer, unique=True)


class PoolRuleSet(Base):
    """The pool's rules in force from ``valid_from`` to ``valid_to`` (inclusive; open-ended
    when null): bonuses, the ceiling, the loss rate that pauses a bank's compensation, and the
    cap a new pool year opens with. Its share bands are :class:`PoolShareBand` rows."""

    __tablename__ = "pool_rule_sets"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        CheckConstraint("ceiling > 0 AND ceiling <= 1", name="ceiling_range"),
        CheckConstraint("priority_bonus >= 0 AND priority_bonus <= 1", name="priority_range"),
        CheckConstraint("pboc_bonus >= 0 AND pboc_bonus <= 1", name="pboc_range"),
        CheckConstraint("pause_loss_rate > 0 AND pause_loss_rate <= 1", name="pause_range"),
        CheckConstraint("annual_cap >= 0", name="annual_cap_nonnegative"),
    )

    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[str | None] = mapped_column(String(100), default=None)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)
    priority_bonus: Mapped[Decimal] = mapped_column(SHARE)
    pboc_bonus: Mapped[Decimal] = mapped_column(SHARE)
    ceiling: Mapped[Decimal] = mapped_column(SHARE)
    pause_loss_rate: Mapped[Decimal] = mapped_column(SHARE)
    annual_cap: Mapped[Decimal] = mapped_column(MONEY)
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class PoolShareBand(Base):
    """One band of a rule set: loans of principal up to ``up_to`` (and above the next smaller
    band's) get ``share`` of their principal loss. Above the largest band: no share."""

    __tablename__ = "pool_share_bands"
    __table_args__ = (
        UniqueConstraint("rule_set_id", "up_to", name="uq_pool_share_bands_rule_set_up_to"),
        CheckConstraint("up_to > 0", name="up_to_positive"),
        CheckConstraint("share >= 0 AND share <= 1", name="share_range"),
    )

    rule_set_id: Mapped[UUID] = mapped_column(ForeignKey("pool_rule_sets.id", ondelete="CASCADE"))
    up_to: Mapped[Decimal] = mapped_column(MONEY)
    share: Mapped[Decimal] = mapped_column(SHARE)


class PoolPriorityFirm(Base):
    """A firm on the priority list (重点企业名单) from ``valid_from`` to ``valid_to``
    (inclusive; open-ended when null), by USCC; the office keeps the list."""

    __tablename__ = "pool_priority_firms"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        Index("ix_pool_priority_firms_uscc", "uscc", "valid_from"),
    )

    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    added_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class PoolRegistration(Base):
    """What the pool decided about a disbursed loan, once (``loan_id`` is unique): registered
    with the share computed then (so later rule changes do not move it), or not, with the
    reasons. ``year`` is the pool year of the disbursement."""

    __tablename__ = "pool_registrations"
    __table_args__ = (
        UniqueConstraint("loan_id", name="uq_pool_registrations_loan"),
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint(
            "(eligible AND share IS NOT NULL AND rule_set_id IS NOT NULL) OR "
            "(NOT eligible AND share IS NULL)",
            name="share_when_eligible",
        ),
        CheckConstraint("share IS NULL OR (share >= 0 AND share <= 1)", name="share_range"),
        Index("ix_pool_registrations_bank_year", "bank_id", "year", "eligible"),
        Index("ix_pool_registrations_year", "year", "eligible"),
    )

    loan_id: Mapped[UUID] = mapped_column(ForeignKey("loans.id"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id"))
    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id"))
    year: Mapped[int] = mapped_column(Integer)
    disbursed_on: Mapped[dt.date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(MONEY)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JsonB, default=list)
    rule_set_id: Mapped[UUID | None] = mapped_column(ForeignKey("pool_rule_sets.id"), default=None)
    product_type: Mapped[str | None] = mapped_column(String(32), default=None)
    priority_firm: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_pledge: Mapped[bool] = mapped_column(Boolean, default=False)
    pboc_funded: Mapped[bool] = mapped_column(Boolean, default=False)
    band_share: Mapped[Decimal | None] = mapped_column(SHARE, default=None)
    bonus: Mapped[Decimal | None] = mapped_column(SHARE, default=None)
    share: Mapped[Decimal | None] = mapped_column(SHARE, default=None)


class PoolClaim(Base):
    """A bank's claim on a defaulted registered loan. At most one open or approved claim per
    loan (a partial unique index); a rejected claim may be filed again. ``compensation`` is
    ``share`` × the net principal loss, to the cent (half up), fixed at approval."""

    __tablename__ = "pool_claims"
    __table_args__ = (
        enum_check("status", PoolClaimStatus, "status_valid"),
        Index(
            "uq_pool_claims_live_loan",
            "loan_id",
            unique=True,
            postgresql_where=text("status <> 'rejected'"),
        ),
        Index("ix_pool_claims_bank", "bank_id", "id"),
        Index("ix_pool_claims_year_status", "year", "status"),
        CheckConstraint("loss_amount > 0", name="loss_positive"),
        CheckConstraint("compensation >= 0", name="compensation_nonnegative"),
    )

    registration_id: Mapped[UUID] = mapped_column(ForeignKey("pool_registrations.id"))
    loan_id: Mapped[UUID] = mapped_column(ForeignKey("loans.id"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[PoolClaimStatus] = mapped_column(String(16), default=PoolClaimStatus.PENDING)
    loss_amount: Mapped[Decimal] = mapped_column(MONEY)
    recovered_before: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    share: Mapped[Decimal] = mapped_column(SHARE)
    compensation: Mapped[Decimal] = mapped_column(MONEY)
    loss_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), default=None)
    filed_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


class PoolLedgerEntry(Base):
    """One movement of the pool's money: its lines (:class:`PoolLedgerLine`) balance to zero.
    Never changed; a correction is a new entry."""

    __tablename__ = "pool_ledger_entries"
    __table_args__ = (
        enum_check("kind", PoolEntryKind, "kind_valid"),
        UniqueConstraint("loan_event_id", name="uq_pool_ledger_entries_loan_event"),
        Index("ix_pool_ledger_entries_year", "year", "id"),
    )

    kind: Mapped[PoolEntryKind] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    bank_id: Mapped[UUID | None] = mapped_column(ForeignKey("banks.id"), default=None)
    claim_id: Mapped[UUID | None] = mapped_column(ForeignKey("pool_claims.id"), default=None)
    loan_event_id: Mapped[UUID | None] = mapped_column(ForeignKey("loan_events.id"), default=None)
    memo: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


class PoolLedgerLine(Base):
    """One line of an entry: ``amount`` is signed, debits positive and credits negative, so an
    entry balances when its lines sum to zero, and an account's balance is the sum of its
    lines."""

    __tablename__ = "pool_ledger_lines"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        Index("ix_pool_ledger_lines_entry", "entry_id"),
        Index("ix_pool_ledger_lines_account", "account", "entry_id"),
        Index("ix_pool_ledger_lines_year", "year", "account"),
    )

    entry_id: Mapped[UUID] = mapped_column(ForeignKey("pool_ledger_entries.id"))
    account: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    bank_id: Mapped[UUID | None] = mapped_column(ForeignKey("banks.id"), default=None)
    amount: Mapped[Decimal] = mapped_column(MONEY)
