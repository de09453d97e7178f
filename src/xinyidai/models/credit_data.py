"""Public credit records, SME-authorized monthly series, imports and disputes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from xinyidai.enums import Family, RecordStatus, RecordType, Severity
from xinyidai.models.base import Base, PlainBase, enum_check


class PublicRecord(Base):
    """One public credit record (公共信用信息) about a subject identified by USCC.

    Records are keyed by USCC, not by enterprise row: the credit office imports records about
    every subject, and they apply from the day that subject registers on the platform.
    """

    __tablename__ = "public_records"
    __table_args__ = (
        enum_check("record_type", RecordType, "record_type_valid"),
        enum_check("status", RecordStatus, "status_valid"),
        Index("ix_public_records_uscc_status", "uscc", "status"),
    )

    # Identifiers in byte order (COLLATE "C"): memcmp comparisons and fast index builds.
    uscc: Mapped[str] = mapped_column(String(18, collation="C"))
    subject_name: Mapped[str] = mapped_column(String(200))
    record_type: Mapped[RecordType] = mapped_column(String(32))
    severity: Mapped[Severity | None] = mapped_column(String(16), default=None)
    grade: Mapped[str | None] = mapped_column(String(8), default=None)
    document_no: Mapped[str] = mapped_column(String(128, collation="C"), unique=True)
    decision_date: Mapped[dt.date] = mapped_column(Date)
    publish_until: Mapped[dt.date | None] = mapped_column(Date, default=None)
    authority: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RecordStatus] = mapped_column(
        String(16, collation="C"), default=RecordStatus.ACTIVE
    )
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    status_note: Mapped[str | None] = mapped_column(Text, default=None)
    # Provenance: where this version of the record came from.
    source: Mapped[str] = mapped_column(String(64))
    provider_ref: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    # The import run, kept without a foreign key: bulk loads of millions of rows pay for a
    # per-row key check, and provider_ref already names the file and row.
    import_id: Mapped[UUID | None] = mapped_column(GUID, default=None)
    content_hash: Mapped[str] = mapped_column(String(64))


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CreditImport(Base):
    """One public-credit import run (a file from the CLI or an office upload)."""

    __tablename__ = "credit_imports"
    __table_args__ = (enum_check("status", ImportStatus, "status_valid"),)

    filename: Mapped[str] = mapped_column(String(255))
    submitted_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    status: Mapped[ImportStatus] = mapped_column(String(16), default=ImportStatus.QUEUED)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[list[Any]] = mapped_column(JsonB, default=list)  # first 1000 {row, reason}
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class DisputeStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"
    UPHELD = "upheld"


class Dispute(Base):
    """An SME's objection (异议) to a public record; answered within 20 days."""

    __tablename__ = "disputes"
    __table_args__ = (
        enum_check("status", DisputeStatus, "status_valid"),
        Index("ix_disputes_status_due", "status", "due_on"),
    )

    record_id: Mapped[UUID] = mapped_column(
        ForeignKey("public_records.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id"), index=True)
    raised_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[DisputeStatus] = mapped_column(String(16), default=DisputeStatus.OPEN)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    correction: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    resolved_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


# --- authorized monthly series -------------------------------------------------------------------
def _money() -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 2))


class _MonthlySeries:
    """One row per SME and month, with the provenance of the value.

    The primary key (enterprise_id, period) is the per-SME time-range index; periods are the
    first day of the month. Rows are only inserted (ON CONFLICT DO NOTHING), so re-fetching a
    period already held changes nothing.
    """

    enterprise_id: Mapped[UUID] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    provider_ref: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))

    @declared_attr
    def authorization_id(cls) -> Mapped[UUID]:
        return mapped_column(ForeignKey("data_authorizations.id"))


class TaxMonthly(_MonthlySeries, PlainBase):
    __tablename__ = "series_tax"
    family = Family.TAX
    vat_sales: Mapped[Decimal] = _money()
    tax_paid: Mapped[Decimal] = _money()
    invoices_issued: Mapped[int] = mapped_column(Integer)
    invoices_received: Mapped[int] = mapped_column(Integer)
    arrears: Mapped[Decimal] = _money()


class ElectricityMonthly(_MonthlySeries, PlainBase):
    __tablename__ = "series_electricity"
    family = Family.ELECTRICITY
    kwh: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    amount: Mapped[Decimal] = _money()
    days_late: Mapped[int] = mapped_column(Integer)


class WaterMonthly(_MonthlySeries, PlainBase):
    __tablename__ = "series_water"
    family = Family.WATER
    cubic_metres: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    amount: Mapped[Decimal] = _money()
    days_late: Mapped[int] = mapped_column(Integer)


class GasMonthly(_MonthlySeries, PlainBase):
    __tablename__ = "series_gas"
    family = Family.GAS
    cubic_metres: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    amount: Mapped[Decimal] = _money()
    days_late: Mapped[int] = mapped_column(Integer)


class SocialInsuranceMonthly(_MonthlySeries, PlainBase):
    __tablename__ = "series_social_insurance"
    family = Family.SOCIAL_INSURANCE
    insured_headcount: Mapped[int] = mapped_column(Integer)
    contributions: Mapped[Decimal] = _money()
    arrears: Mapped[Decimal] = _money()


class HousingFundMonthly(_MonthlySeries, PlainBase):
    __tablename__ = "series_housing_fund"
    family = Family.HOUSING_FUND
    headcount: Mapped[int] = mapped_column(Integer)
    contributions: Mapped[Decimal] = _money()


SERIES_MODELS: dict[Family, Any] = {
    m.family: m
    for m in (
        TaxMonthly,
        ElectricityMonthly,
        WaterMonthly,
        GasMonthly,
        SocialInsuranceMonthly,
        HousingFundMonthly,
    )
}
