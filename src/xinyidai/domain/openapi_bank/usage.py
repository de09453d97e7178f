"""A bank's use of the bank API, counted from the audit log: calls per China day, client and
action, answered or refused. The audit log already holds one row per call with the bank, the
client, the action and the status, so the counts need no second write on the hot path; an index
on (bank, time) keeps the read to the bank's own rows.

Calls refused before a client is known (a bad token or DPoP proof) and calls over the rate
limit are not audited, so they are not counted here either."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import Date, and_, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.dates import CHINA_TZ, china_today
from xinyidai.domain.accounts.guards import Principal, require_bank_or_admin
from xinyidai.infra.errors import NotFound
from xinyidai.models import ActorKind, AuditEntry, Bank

MAX_DAYS = 90


class UsageRow(msgspec.Struct, kw_only=True):
    day: Annotated[dt.date, Meta(description="The day in China Standard Time")]
    client_id: str
    action: Annotated[str, Meta(description="e.g. openapi.profile.read, openapi.consents.list")]
    answered: Annotated[int, Meta(description="Calls answered 2xx or 304")]
    refused: Annotated[int, Meta(description="Calls refused 4xx (no consent, no such SME, …)")]


class ApiUsageOut(msgspec.Struct, kw_only=True):
    bank_id: UUID
    since: Annotated[dt.date, Meta(description="First day counted (China Standard Time)")]
    until: Annotated[dt.date, Meta(description="Last day counted: today")]
    answered: int
    refused: int
    rows: Annotated[list[UsageRow], Meta(description="Newest day first; days without calls absent")]


def _answered(status: str) -> bool:
    return status.isdigit() and 200 <= int(status) < 400


class ApiUsage:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_bank(self, bank_id: UUID, principal: Principal, days: int) -> ApiUsageOut:
        """The last ``days`` days (today included) of the bank's calls; the bank's own users
        and admins only."""
        require_bank_or_admin(principal, bank_id)
        if await self.session.get(Bank, bank_id) is None:
            raise NotFound("no such bank")
        until = china_today()
        since = until - dt.timedelta(days=days - 1)
        start = dt.datetime.combine(since, dt.time(), CHINA_TZ)
        # China Standard Time has no daylight saving: a fixed offset, no time-zone database.
        china = func.timezone(literal_column("interval '8 hours'"), AuditEntry.occurred_at)
        day = cast(china, Date).label("day")
        query = (
            select(day, AuditEntry.client_id, AuditEntry.action, AuditEntry.status, func.count())
            .where(
                and_(
                    AuditEntry.bank_id == bank_id,
                    AuditEntry.occurred_at >= start,
                    # Calls of the bank's servers only, not its users' reads in the portal.
                    AuditEntry.actor_kind == ActorKind.BANK_CLIENT,
                )
            )
            .group_by(day, AuditEntry.client_id, AuditEntry.action, AuditEntry.status)
        )
        counts: dict[tuple[dt.date, str, str], UsageRow] = {}
        for on, client_id, action, status, n in await self.session.execute(query):
            key = (on, client_id or "", action)
            row = counts.setdefault(
                key, UsageRow(day=on, client_id=key[1], action=action, answered=0, refused=0)
            )
            if _answered(status):
                row.answered += n
            else:
                row.refused += n
        rows = sorted(counts.values(), key=lambda r: (-r.day.toordinal(), r.client_id, r.action))
        return ApiUsageOut(
            bank_id=bank_id,
            since=since,
            until=until,
            answered=sum(r.answered for r in rows),
            refused=sum(r.refused for r in rows),
            rows=rows,
        )
