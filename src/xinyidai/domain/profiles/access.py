"""The access log: every read of an SME's data by anyone other than its own users."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_own_enterprise
from xinyidai.domain.profiles.schemas import AccessLogItem, AccessLogPage
from xinyidai.models import AccessLogEntry, Bank, Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

OFFICE_PURPOSE = "信用监管 credit supervision"

# A bank API call's line, one prebuilt statement (compiled once per process): the bank's label
# is read inside the INSERT, so the line costs one round trip and no unit of work (it is
# written on every pull). Without the bank row, the label is the bank's id.
_BANK_LABEL = (
    select(func.concat(Bank.short_code, " ", Bank.name))
    .where(Bank.id == bindparam("bank_id"))
    .scalar_subquery()
)
_BANK_CALL = insert(AccessLogEntry.__table__).values(
    enterprise_id=bindparam("enterprise_id"),
    at=bindparam("at"),
    actor_user_id=None,
    actor_role=Role.BANK.value,
    actor_org=func.coalesce(_BANK_LABEL, bindparam("bank_text")),
    purpose=bindparam("purpose"),
    resource=bindparam("resource"),
    detail=bindparam("detail"),
)


class AccessLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _organisation(self, principal: Principal) -> str:
        if principal.role is Role.BANK and principal.bank_id is not None:
            bank = await self.session.get(Bank, principal.bank_id)
            return f"{bank.short_code} {bank.name}" if bank else str(principal.bank_id)
        if principal.role is Role.OFFICE:
            return "信用办 credit office"
        return principal.role.value

    async def record(
        self,
        enterprise_id: UUID,
        principal: Principal,
        *,
        resource: str,
        detail: str = "",
        purpose: str | None = None,
    ) -> None:
        """Log a read unless the reader is one of the SME's own users."""
        if principal.may_edit_enterprise(enterprise_id):  # the SME's own users
            return
        self.session.add(
            AccessLogEntry(
                enterprise_id=enterprise_id,
                at=utc_now(),
                actor_user_id=principal.user_id,
                actor_role=principal.role.value,
                actor_org=await self._organisation(principal),
                purpose=purpose
                or (OFFICE_PURPOSE if principal.role is Role.OFFICE else "unspecified"),
                resource=resource,
                detail=detail,
            )
        )
        await self.session.flush()

    async def record_bank_call(
        self,
        enterprise_id: UUID,
        bank_id: UUID,
        *,
        purpose: str,
        resource: str,
        detail: str,
    ) -> None:
        """Log a read by a bank's server through the bank API (no user: the detail names the
        client and the consents)."""
        await self.session.execute(
            _BANK_CALL,
            {
                "enterprise_id": enterprise_id,
                "at": utc_now(),
                "bank_id": bank_id,
                "bank_text": str(bank_id),
                "purpose": purpose[:200],
                "resource": resource,
                "detail": detail,
            },
        )

    async def for_enterprise(
        self, enterprise_id: UUID, principal: Principal, *, limit: int, offset: int
    ) -> AccessLogPage:
        """The SME's own log; nobody else may read it."""
        require_own_enterprise(principal, enterprise_id)
        where = AccessLogEntry.enterprise_id == enterprise_id
        total = await self.session.scalar(select(func.count()).where(where))
        rows = await self.session.scalars(
            select(AccessLogEntry)
            .where(where)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return AccessLogPage(
            items=[
                AccessLogItem(
                    at=r.at,
                    actor_role=r.actor_role,
                    actor_org=r.actor_org,
                    purpose=r.purpose,
                    resource=r.resource,
                    detail=r.detail,
                )
                for r in rows
            ],
            total=int(total or 0),
            limit=limit,
            offset=offset,
        )
