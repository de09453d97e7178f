"""The loan ledger as the credit office reads it: every loan paid out in a period, one row each,
with its bank, borrower, monitoring dimensions, terms and where its money stands. Exports
(``domain/monitoring/exports``) stream it into files; the loans table stays this package's."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select

from xinyidai.domain.applications.views import outstanding
from xinyidai.models import Bank, Enterprise, Loan

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 1000  # rows fetched from the server-side cursor at a time


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """Loans disbursed from ``first`` to ``last`` (China dates, both included), narrowed by the
    monitoring dimensions snapshotted on each loan."""

    first: dt.date
    last: dt.date
    bank_id: UUID | None = None
    product_type: str | None = None
    industry_section: str | None = None
    district_code: str | None = None
    grade: str | None = None
    ungraded: bool = False  # only loans to applicants without a grade


@dataclass(frozen=True, slots=True)
class LedgerRow:
    loan_id: UUID
    bank_name: str
    enterprise_name: str
    uscc: str
    product_type: str
    industry_section: str
    district_code: str
    grade: str | None
    unsecured: bool
    first_time: bool
    amount: Decimal
    annual_rate: Decimal
    term_months: int
    approved_on: dt.date
    disbursed_on: dt.date
    disbursed_amount: Decimal
    principal_repaid: Decimal
    interest_paid: Decimal
    outstanding: Decimal
    overdue_since: dt.date | None
    overdue_amount: Decimal | None
    defaulted_on: dt.date | None
    loss_amount: Decimal | None
    settled_on: dt.date | None


def _conditions(f: LedgerFilter) -> list[ColumnElement[bool]]:
    conditions = [
        Loan.disbursed_on.is_not(None),
        Loan.disbursed_on >= f.first,
        Loan.disbursed_on <= f.last,
    ]
    if f.bank_id is not None:
        conditions.append(Loan.bank_id == f.bank_id)
    if f.product_type is not None:
        conditions.append(Loan.product_type == f.product_type)
    if f.industry_section is not None:
        conditions.append(Loan.industry_section == f.industry_section)
    if f.district_code is not None:
        conditions.append(Loan.district_code == f.district_code)
    if f.grade is not None:
        conditions.append(Loan.grade == f.grade)
    if f.ungraded:
        conditions.append(Loan.grade.is_(None))
    return conditions


class LoanLedger:
    """Reads of the ledger in the caller's session (one transaction for a count and its rows
    makes them agree: run both in a REPEATABLE READ transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, f: LedgerFilter) -> int:
        """How many loans the filter selects."""
        total = await self.session.scalar(
            select(func.count()).select_from(Loan).where(*_conditions(f))
        )
        return int(total or 0)

    async def rows(self, f: LedgerFilter) -> AsyncIterator[LedgerRow]:
        """The selected loans, in order of disbursement (then id), from a server-side cursor:
        memory stays flat whatever the number of loans."""
        query = (
            select(Loan, Bank.name, Enterprise.name, Enterprise.uscc)
            .join(Bank, Bank.id == Loan.bank_id)
            .join(Enterprise, Enterprise.id == Loan.enterprise_id)
            .where(*_conditions(f))
            .order_by(Loan.disbursed_on, Loan.id)
        )
        result = await self.session.stream(query.execution_options(yield_per=BATCH))
        async for loan, bank_name, enterprise_name, uscc in result:
            disbursed = loan.disbursed_amount or Decimal("0")
            yield LedgerRow(
                loan_id=loan.id,
                bank_name=bank_name,
                enterprise_name=enterprise_name,
                uscc=uscc,
                product_type=loan.product_type,
                industry_section=loan.industry_section,
                district_code=loan.district_code,
                grade=loan.grade,
                unsecured=loan.unsecured,
                first_time=loan.first_time,
                amount=loan.amount,
                annual_rate=loan.annual_rate,
                term_months=loan.term_months,
                approved_on=loan.approved_on,
                disbursed_on=loan.disbursed_on or loan.approved_on,  # never None: filtered
                disbursed_amount=disbursed,
                principal_repaid=loan.principal_repaid,
                interest_paid=loan.interest_paid,
                outstanding=outstanding(loan),
                overdue_since=loan.overdue_since,
                overdue_amount=loan.overdue_amount,
                defaulted_on=loan.defaulted_on,
                loss_amount=loan.loss_amount,
                settled_on=loan.settled_on,
            )
