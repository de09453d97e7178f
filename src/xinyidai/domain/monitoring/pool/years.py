"""Pool years: opened (with their rule set's cap as the city's first allocation) when the first
loan of the year is registered or when the office sets a cap; their figures, all derived from
the ledger and the claims."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from xinyidai.domain.audit.services import AuditLog
from xinyidai.domain.monitoring.pool import checks, ledger
from xinyidai.domain.monitoring.pool.schemas import PoolYearOut
from xinyidai.domain.monitoring.pool.vocabulary import PoolClaimStatus, PoolEntryKind
from xinyidai.infra.errors import Conflict, InvalidInput
from xinyidai.models import ActorKind, PoolClaim, PoolRegistration, PoolYear

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

ZERO = Decimal("0.00")
DEFAULT_NEAR_SHARE = Decimal("0.9")
"""Exposure at or above this share of a year's cap puts the year near its cap (the office's
``POOL_ALERT_SHARE``)."""


def check_year(year: int) -> int:
    if not 2000 <= year <= 2199:
        raise InvalidInput.field("year", "a pool year from 2000 to 2199", "year_range")
    return year


async def open_year(
    session: AsyncSession, year: int, cap: Decimal, *, actor_id: str | None = None
) -> bool:
    """Open ``year`` unless it is open, with ``cap`` allocated (a ledger entry); whether it was
    opened now. Safe against a concurrent opening (one of them inserts the row)."""
    created = await session.scalar(
        insert(PoolYear)
        .values(year=year)
        .on_conflict_do_nothing(index_elements=[PoolYear.year])
        .returning(PoolYear.id)
    )
    if created is None:
        return False
    if cap > 0:
        await ledger.post(
            session,
            kind=PoolEntryKind.ALLOCATION,
            year=year,
            lines=[(ledger.fund(year), cap), (ledger.allocation(year), -cap)],
            memo=f"{year} 年度资金池额度 / the {year} pool's cap",
            actor_id=actor_id,
            detail={"cap": str(cap)},
        )
    return True


async def lock_year(session: AsyncSession, year: int) -> None:
    """Hold the year's row until the commit: approvals and cap changes of a year take turns."""
    await session.execute(select(PoolYear.id).where(PoolYear.year == year).with_for_update())


class PoolYears:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def overview(self, *, near_share: Decimal = DEFAULT_NEAR_SHARE) -> list[PoolYearOut]:
        """Every pool year, newest first, with its cap and where it stands."""
        years = list(
            await self.session.scalars(select(PoolYear.year).order_by(PoolYear.year.desc()))
        )
        sums = await ledger.year_sums(self.session, years)
        claims = {
            (year, status): Decimal(total)
            for year, status, total in await self.session.execute(
                select(PoolClaim.year, PoolClaim.status, func.sum(PoolClaim.compensation))
                .where(PoolClaim.status.in_([PoolClaimStatus.PENDING, PoolClaimStatus.PAUSED]))
                .group_by(PoolClaim.year, PoolClaim.status)
            )
        }
        registered = {
            year: (count, Decimal(total))
            for year, count, total in await self.session.execute(
                select(
                    PoolRegistration.year,
                    func.count(),
                    func.coalesce(func.sum(PoolRegistration.principal), 0),
                )
                .where(PoolRegistration.eligible)
                .group_by(PoolRegistration.year)
            )
        }
        out = []
        for year in years:
            cap = sums.get((year, PoolEntryKind.ALLOCATION), ZERO)
            approved = -sums.get((year, PoolEntryKind.COMPENSATION), ZERO)
            recovered = sums.get((year, PoolEntryKind.RECOVERY), ZERO)
            paused = claims.get((year, PoolClaimStatus.PAUSED), ZERO)
            pending = claims.get((year, PoolClaimStatus.PENDING), ZERO) + paused
            exposure = approved - recovered + pending
            share = (exposure / cap).quantize(Decimal("0.000001")) if cap > 0 else None
            count, principal = registered.get(year, (0, ZERO))
            out.append(
                PoolYearOut(
                    year=year,
                    cap=cap.quantize(ledger.CENT),
                    approved=approved.quantize(ledger.CENT),
                    recovered=recovered.quantize(ledger.CENT),
                    pending=pending.quantize(ledger.CENT),
                    paused=paused.quantize(ledger.CENT),
                    remaining=(cap - approved + recovered).quantize(ledger.CENT),
                    exposure=exposure.quantize(ledger.CENT),
                    exposure_share=share,
                    near_cap=cap > 0 and exposure >= cap * near_share,
                    registered_loans=count,
                    registered_principal=principal.quantize(ledger.CENT),
                )
            )
        return out

    async def set_cap(
        self,
        year: int,
        cap: Decimal,
        principal: Principal,
        *,
        note: str | None = None,
        near_share: Decimal = DEFAULT_NEAR_SHARE,
    ) -> PoolYearOut:
        """Change a year's cap (opening the year if need be): the difference is a new
        allocation entry. Refused (409) below what the year has already paid out net."""
        check_year(year)
        cap = checks.yuan("cap", cap)
        await open_year(self.session, year, ZERO, actor_id=str(principal.user_id))
        await lock_year(self.session, year)
        before = -await ledger.balance(self.session, ledger.allocation(year))
        room = await ledger.balance(self.session, ledger.fund(year))
        paid_net = before - room
        if cap < paid_net:
            raise Conflict(
                f"the year has paid {paid_net} yuan net of recoveries: its cap cannot be less"
            )
        change = cap - before
        if change != 0:
            await ledger.post(
                self.session,
                kind=PoolEntryKind.ALLOCATION,
                year=year,
                lines=[(ledger.fund(year), change), (ledger.allocation(year), -change)],
                memo=f"{year} 年度额度调整 / the {year} cap changed: {before} → {cap}",
                actor_id=str(principal.user_id),
                detail={"before": str(before), "cap": str(cap), "note": note},
            )
        await AuditLog(self.session).append(
            action="office.pool.year.cap",
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=200,
            detail={"year": year, "before": str(before), "cap": str(cap), "note": note},
        )
        found = [y for y in await self.overview(near_share=near_share) if y.year == year]
        return found[0]
