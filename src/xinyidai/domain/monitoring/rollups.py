"""The rollups kept in the transaction of each event that changes them.

Each hook adds the event's figures to the full row of its key and day and to every projection
(``dimensions.PROJECTIONS``) in one statement: ``INSERT … ON CONFLICT DO UPDATE SET x = x +
excluded.x``, rows taken in ascending ``dims`` so that concurrent events lock them in one order.
The hooks run after the event's own rows are flushed, in the same transaction: a failed or
rolled-back event leaves no figure behind, a committed one is counted once.

* ``application_submitted``: one application on its China submission day.
* ``application_decided``: one decision (an approval with its amount) on the China decision day,
  and its working days in the response-time histogram.
* ``loan_event``: the disbursement (the loan, its amount, unsecured and first-time figures and
  rate × amount) on the disbursement day; the loan's *first* overdue report and its default
  add to the cohort figures of that same disbursement day (origination cohort). Replays of an
  event return before the hook is called (``LoanService.record``), and the loan is locked while
  an event is recorded, so "first overdue report" is decided once.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from xinyidai.dates import CHINA_TZ
from xinyidai.domain.applications.vocabulary import LoanEventKind
from xinyidai.domain.monitoring.dimensions import (
    BITS,
    COLUMNS,
    KEY_DIMENSIONS,
    NIL,
    PROJECTIONS,
    Key,
)
from xinyidai.models import LoanEvent

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.models import Application, Loan

COUNTS = (
    "applications",
    "decisions",
    "approvals",
    "loans",
    "unsecured_loans",
    "first_time_loans",
    "overdue_loans",
    "defaulted_loans",
)
AMOUNTS = (
    "approved_amount",
    "disbursed_amount",
    "unsecured_amount",
    "first_time_amount",
    "rate_amount",
    "overdue_amount",
    "defaulted_amount",
)
MEASURES = COUNTS + AMOUNTS
ZERO = Decimal(0)


def _key_values() -> str:
    parts = []
    for dimension in KEY_DIMENSIONS:
        column = COLUMNS[dimension]
        if column == "bank_id":
            value, placeholder = "CAST(:bank_id AS uuid)", f"CAST('{NIL}' AS uuid)"
        else:
            value, placeholder = f"CAST(:{column} AS varchar)", "''"
        parts.append(f"CASE WHEN p.m & {BITS[dimension]} <> 0 THEN {value} ELSE {placeholder} END")
    return ", ".join(parts)


_KEY_COLUMNS = "dims, day, " + ", ".join(COLUMNS[d] for d in KEY_DIMENSIONS)


@lru_cache(maxsize=64)
def _upsert(table: str, measures: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    """The statement adding ``measures`` to every projection of one key and day."""
    conflict = _KEY_COLUMNS + "".join(f", {c}" for c in extra)
    values = ", ".join(
        f"CAST(:{m} AS {'bigint' if m in COUNTS or m == 'decisions' else 'numeric'})"
        for m in measures
    )
    extras = "".join(f", CAST(:{c} AS integer)" for c in extra)
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    return (
        f"INSERT INTO {table} ({conflict}, {', '.join(measures)}) "  # noqa: S608 - constants
        f"SELECT p.m, CAST(:day AS date), {_key_values()}{extras}, {values} "
        "FROM unnest(CAST(:masks AS smallint[])) AS p(m) ORDER BY p.m "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


def _params(key: Key, day: dt.date) -> dict[str, object]:
    return {
        "masks": list(PROJECTIONS),
        "day": day,
        "bank_id": key.bank_id,
        "product_type": key.product_type,
        "industry_section": key.industry_section,
        "district_code": key.district_code,
        "grade": key.grade,
    }


async def add(
    session: AsyncSession, key: Key, day: dt.date, measures: dict[str, int | Decimal]
) -> None:
    """Add ``measures`` (names of ``stat_daily`` columns) to ``key`` on ``day``."""
    names = tuple(sorted(measures))
    assert set(names) <= set(MEASURES), names
    await session.execute(text(_upsert("stat_daily", names)), {**_params(key, day), **measures})


async def add_response(session: AsyncSession, key: Key, day: dt.date, bucket: int) -> None:
    """One more decision taking ``bucket`` hundredths of a working day, on ``day``."""
    await session.execute(
        text(_upsert("stat_response", ("decisions",), ("bucket",))),
        {**_params(key, day), "bucket": bucket, "decisions": 1},
    )


def china_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA_TZ).date()


async def application_submitted(session: AsyncSession, application: Application) -> None:
    """An application was written (its figures: the China day of its submission)."""
    await add(session, Key.of(application), china_day(application.created_at), {"applications": 1})


async def application_decided(session: AsyncSession, application: Application) -> None:
    """An application was decided (approved when it has an approved amount)."""
    assert application.decided_at is not None and application.response_working_days is not None
    key, day = Key.of(application), china_day(application.decided_at)
    approved = application.approved_amount
    await add(
        session,
        key,
        day,
        {
            "decisions": 1,
            "approvals": int(approved is not None),
            "approved_amount": approved or ZERO,
        },
    )
    await add_response(session, key, day, int(application.response_working_days * 100))


async def loan_event(session: AsyncSession, loan: Loan, event: LoanEvent) -> None:
    """A bank's loan event was applied to ``loan`` (flushed, in this transaction; never called
    for a replay)."""
    if event.kind is LoanEventKind.DISBURSED:
        assert loan.disbursed_on is not None and loan.disbursed_amount is not None
        amount = loan.disbursed_amount
        await add(
            session,
            Key.of(loan),
            loan.disbursed_on,
            {
                "loans": 1,
                "disbursed_amount": amount,
                "unsecured_loans": int(loan.unsecured),
                "unsecured_amount": amount if loan.unsecured else ZERO,
                "first_time_loans": int(loan.first_time),
                "first_time_amount": amount if loan.first_time else ZERO,
                "rate_amount": loan.annual_rate * amount,
            },
        )
    elif event.kind is LoanEventKind.OVERDUE:
        assert loan.disbursed_on is not None and loan.disbursed_amount is not None
        reports = await session.scalar(
            select(func.count())
            .select_from(LoanEvent)
            .where(LoanEvent.loan_id == loan.id, LoanEvent.kind == LoanEventKind.OVERDUE)
        )
        if reports == 1:  # this one: the loan has now been overdue
            await add(
                session,
                Key.of(loan),
                loan.disbursed_on,
                {"overdue_loans": 1, "overdue_amount": loan.disbursed_amount},
            )
    elif event.kind is LoanEventKind.DEFAULT:
        assert loan.disbursed_on is not None and loan.loss_amount is not None
        await add(
            session,
            Key.of(loan),
            loan.disbursed_on,
            {"defaulted_loans": 1, "defaulted_amount": loan.loss_amount},
        )
