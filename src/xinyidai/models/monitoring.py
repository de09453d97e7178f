"""The credit office's statistics: daily rollups of applications and loans.

Both tables hold *projections* of the same daily figures: ``dims`` is a bit mask of the
dimensions a row keeps (1 bank, 2 product type, 4 industry section, 8 district, 16 grade); a
dimension a row does not keep holds a placeholder (the nil UUID, or ``''``). Every event adds to
the full row (``dims = 31``) and to the rows of every projection on at most two dimensions, so
a query grouped and filtered by at most two dimensions reads a few thousand rows a year
whatever the number of loans. Rows are only ever added to (``INSERT … ON CONFLICT DO UPDATE SET
x = x + excluded.x``) in the transaction of the event, or rebuilt from the base tables
(``domain/monitoring/rollups.py``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from advanced_alchemy.types import GUID
from sqlalchemy import BigInteger, Date, Integer, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import PlainBase


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, default=0, server_default="0")


def _yuan() -> Mapped[Decimal]:
    return mapped_column(Numeric(20, 2), default=Decimal(0), server_default="0")


class _RollupKey:
    dims: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # China calendar day
    bank_id: Mapped[UUID] = mapped_column(GUID(length=16), primary_key=True)
    product_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    industry_section: Mapped[str] = mapped_column(String(1), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    grade: Mapped[str] = mapped_column(String(8), primary_key=True)  # 'ungraded' for none


class StatDaily(_RollupKey, PlainBase):
    """Additive figures of one key and day. Which day a figure belongs to: submission
    (applications), decision (decisions, approvals), disbursement (loans and everything about
    them, including the cohort's overdue and default figures, whenever those happen)."""

    __tablename__ = "stat_daily"

    applications: Mapped[int] = _count()
    decisions: Mapped[int] = _count()
    approvals: Mapped[int] = _count()
    approved_amount: Mapped[Decimal] = _yuan()
    loans: Mapped[int] = _count()
    disbursed_amount: Mapped[Decimal] = _yuan()
    unsecured_loans: Mapped[int] = _count()
    unsecured_amount: Mapped[Decimal] = _yuan()
    first_time_loans: Mapped[int] = _count()
    first_time_amount: Mapped[Decimal] = _yuan()
    # Σ annual_rate × disbursed amount (exact: 6 + 2 decimals), for the amount-weighted rate.
    rate_amount: Mapped[Decimal] = mapped_column(
        Numeric(30, 8), default=Decimal(0), server_default="0"
    )
    overdue_loans: Mapped[int] = _count()
    overdue_amount: Mapped[Decimal] = _yuan()
    defaulted_loans: Mapped[int] = _count()
    defaulted_amount: Mapped[Decimal] = _yuan()


class StatResponse(_RollupKey, PlainBase):
    """How many decisions of one key and decision day took ``bucket`` hundredths of a working
    day: the histogram that gives exact nearest-rank percentiles."""

    __tablename__ = "stat_response"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    decisions: Mapped[int] = _count()
