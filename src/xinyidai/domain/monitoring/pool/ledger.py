"""The pool's double-entry ledger: every movement of money is an entry of two or more lines whose
amounts (debits positive, credits negative) sum to zero; balances are sums of lines, never
stored. The database enforces it too: a deferred constraint trigger refuses, at commit, an entry
whose lines do not sum to zero or that has fewer than two; entries and lines cannot be updated or
deleted (a correction is a new entry).

Chart of accounts (``<year>`` is the pool year, ``<bank>`` a bank's id):

=================================  ======  ==============================================
``city:<year>:allocation``         credit  what the city allocated to the year: −balance is the cap
``pool:<year>:fund``               debit   the year's room left: cap − compensation + recoveries
``pool:<year>:bank:<bank>``        debit   compensation granted to the bank for loans of the
                                           year, net of the recoveries it paid back
=================================  ======  ==============================================

Movements:

* *allocation* (a year opens with its rule set's cap; the office changes a cap): Dr fund /
  Cr allocation by the increase (a decrease is the same entry reversed).
* *compensation* (the office approves a claim): Dr ``pool:<year>:bank:<bank>`` / Cr fund.
* *recovery* (the bank recovers lost principal after compensation): the pool's pro rata part,
  Dr fund / Cr ``pool:<year>:bank:<bank>``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select

from xinyidai.domain.monitoring.pool.schemas import (
    PoolBalanceOut,
    PoolBalances,
    PoolEntryOut,
    PoolEntryPage,
    PoolLineOut,
)
from xinyidai.domain.monitoring.pool.vocabulary import PoolEntryKind
from xinyidai.infra.errors import InvalidInput
from xinyidai.models import PoolLedgerEntry, PoolLedgerLine

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    """Yuan to the cent, half up (the rules' rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allocation(year: int) -> str:
    return f"city:{year}:allocation"


def fund(year: int) -> str:
    return f"pool:{year}:fund"


def bank_account(year: int, bank_id: UUID) -> str:
    return f"pool:{year}:bank:{bank_id}"


async def post(
    session: AsyncSession,
    *,
    kind: PoolEntryKind,
    year: int,
    lines: list[tuple[str, Decimal]],
    memo: str,
    bank_id: UUID | None = None,
    claim_id: UUID | None = None,
    loan_event_id: UUID | None = None,
    actor_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> PoolLedgerEntry:
    """Write one balanced entry (lines: account and signed amount, debits positive). Refuses an
    unbalanced or one-line entry before the database would."""
    kept = [(account, cents(amount)) for account, amount in lines if cents(amount) != 0]
    if len(kept) < 2 or sum(amount for _, amount in kept) != 0:
        raise ValueError(f"an entry balances over two or more lines: {kept}")
    entry = PoolLedgerEntry(
        kind=kind,
        year=year,
        bank_id=bank_id,
        claim_id=claim_id,
        loan_event_id=loan_event_id,
        memo=memo,
        actor_id=actor_id,
        detail=detail or {},
    )
    session.add(entry)
    await session.flush()
    session.add_all(
        PoolLedgerLine(
            entry_id=entry.id,
            account=account,
            year=year,
            bank_id=bank_id if account.startswith(f"pool:{year}:bank:") else None,
            amount=amount,
        )
        for account, amount in kept
    )
    await session.flush()
    return entry


async def balance(session: AsyncSession, account: str) -> Decimal:
    """Debits less credits of one account."""
    total = await session.scalar(
        select(func.coalesce(func.sum(PoolLedgerLine.amount), 0)).where(
            PoolLedgerLine.account == account
        )
    )
    return Decimal(total or 0).quantize(CENT)


async def year_sums(session: AsyncSession, years: list[int]) -> dict[tuple[int, str], Decimal]:
    """Per year and entry kind, what the fund gained (positive) or lost (negative)."""
    if not years:
        return {}
    rows = await session.execute(
        select(PoolLedgerLine.year, PoolLedgerEntry.kind, func.sum(PoolLedgerLine.amount))
        .join(PoolLedgerEntry, PoolLedgerEntry.id == PoolLedgerLine.entry_id)
        .where(
            PoolLedgerLine.year.in_(years),
            PoolLedgerLine.account.like("pool:%:fund"),
        )
        .group_by(PoolLedgerLine.year, PoolLedgerEntry.kind)
    )
    return {(year, kind): Decimal(total) for year, kind, total in rows}


async def balances(session: AsyncSession, *, year: int | None = None) -> PoolBalances:
    """Every account's balance (of one year's accounts if given), and the sum of all of them,
    which is zero when every entry balances."""
    query = select(PoolLedgerLine.account, func.sum(PoolLedgerLine.amount)).group_by(
        PoolLedgerLine.account
    )
    if year is not None:
        query = query.where(PoolLedgerLine.year == year)
    rows = (await session.execute(query.order_by(PoolLedgerLine.account))).all()
    accounts = [PoolBalanceOut(account=a, balance=Decimal(b).quantize(CENT)) for a, b in rows]
    total = sum((a.balance for a in accounts), ZERO)
    return PoolBalances(accounts=accounts, total=total.quantize(CENT))


def _cursor(raw: str | None) -> UUID | None:
    if raw is None:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidInput.field(
            "cursor", "not a cursor from this list", "cursor_invalid"
        ) from None


async def entries(
    session: AsyncSession,
    *,
    year: int | None = None,
    account: str | None = None,
    bank_id: UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> PoolEntryPage:
    """Entries newest first with all their lines; of one year, one account (entries with a line
    on it), one bank."""
    query = select(PoolLedgerEntry)
    if year is not None:
        query = query.where(PoolLedgerEntry.year == year)
    if bank_id is not None:
        query = query.where(PoolLedgerEntry.bank_id == bank_id)
    if account is not None:
        query = query.where(
            PoolLedgerEntry.id.in_(
                select(PoolLedgerLine.entry_id).where(PoolLedgerLine.account == account)
            )
        )
    after = _cursor(cursor)
    if after is not None:
        query = query.where(PoolLedgerEntry.id < after)
    found = list(await session.scalars(query.order_by(PoolLedgerEntry.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    lines: dict[UUID, list[PoolLineOut]] = defaultdict(list)
    if found:
        rows = await session.scalars(
            select(PoolLedgerLine)
            .where(PoolLedgerLine.entry_id.in_([e.id for e in found]))
            .order_by(PoolLedgerLine.entry_id, PoolLedgerLine.amount.desc(), PoolLedgerLine.id)
        )
        for line in rows:
            amount = Decimal(line.amount).quantize(CENT)
            lines[line.entry_id].append(
                PoolLineOut(
                    account=line.account,
                    debit=amount if amount > 0 else None,
                    credit=-amount if amount < 0 else None,
                )
            )
    return PoolEntryPage(
        items=[
            PoolEntryOut(
                id=e.id,
                kind=PoolEntryKind(e.kind),
                year=e.year,
                bank_id=e.bank_id,
                claim_id=e.claim_id,
                memo=e.memo,
                at=e.created_at,
                lines=lines[e.id],
            )
            for e in found
        ],
        next_cursor=str(found[-1].id) if more else None,
    )
