"""Reading an SME's stored monthly series (its own users, and the office with a log entry)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from sqlalchemy import select

from xinyidai.dates import month_index
from xinyidai.domain.accounts.guards import require_readable_enterprise
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.domain.profiles.snapshots import value_columns, window
from xinyidai.enums import Family
from xinyidai.infra.bounds import parse_month
from xinyidai.infra.errors import InvalidInput, NotFound
from xinyidai.models import SERIES_MODELS, Enterprise

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal


MAX_MONTHS = 120  # one read covers at most ten years


class SeriesMonth(msgspec.Struct, kw_only=True):
    period: str
    values: dict[str, Any]
    source: str
    provider_ref: str
    fetched_at: dt.datetime
    authorization_id: UUID


class SeriesOut(msgspec.Struct, kw_only=True):
    family: Family
    first: str
    last: str
    months: list[SeriesMonth]


class SeriesService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def read(
        self,
        enterprise_id: UUID,
        family: Family,
        principal: Principal,
        first_text: str | None,
        last_text: str | None,
        today: dt.date,
    ) -> SeriesOut:
        require_readable_enterprise(principal, enterprise_id)
        if await self.session.get(Enterprise, enterprise_id) is None:
            raise NotFound("no such enterprise")
        default_first, default_last = window(today)
        first = parse_month("from", first_text) if first_text is not None else default_first
        last = parse_month("to", last_text) if last_text is not None else default_last
        if not 0 <= month_index(last) - month_index(first) < MAX_MONTHS:
            raise InvalidInput.field(
                "from", "the range is reversed or longer than 10 years", "range_invalid"
            )
        table = SERIES_MODELS[family].__table__
        rows = (
            (
                await self.session.execute(
                    select(table)
                    .where(
                        table.c.enterprise_id == enterprise_id, table.c.period.between(first, last)
                    )
                    .order_by(table.c.period)
                )
            )
            .mappings()
            .all()
        )
        columns = value_columns(family)
        await AccessLog(self.session).record(
            enterprise_id,
            principal,
            resource=f"series:{family.value}",
            detail=f"{first:%Y-%m}..{last:%Y-%m}, {len(rows)} months",
        )
        return SeriesOut(
            family=family,
            first=f"{first:%Y-%m}",
            last=f"{last:%Y-%m}",
            months=[
                SeriesMonth(
                    period=f"{r['period']:%Y-%m}",
                    values={c: (str(r[c]) if not isinstance(r[c], int) else r[c]) for c in columns},
                    source=r["source"],
                    provider_ref=r["provider_ref"],
                    fetched_at=r["fetched_at"],
                    authorization_id=r["authorization_id"],
                )
                for r in rows
            ],
        )
