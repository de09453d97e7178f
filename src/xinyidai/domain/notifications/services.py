"""An SME's notifications: its own verified users read them and mark them read."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select, update

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.notifications.schemas import NotificationOut, NotificationPage
from xinyidai.infra.errors import NotFound
from xinyidai.models import Notification, Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        product_id=n.product_id,
        product_version_id=n.product_version_id,
        title_zh=n.title_zh,
        title_en=n.title_en,
        body_zh=n.body_zh,
        body_en=n.body_en,
        created_at=n.created_at,
        read_at=n.read_at,
    )


def _enterprise(principal: Principal) -> UUID | None:
    """Whose notifications the user reads: its enterprise's, once verified (others have
    none; an SME account has an enterprise only once verified)."""
    if principal.role is Role.SME and principal.enterprise_id is not None:
        return principal.enterprise_id
    return None


class Notifications:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, principal: Principal, *, limit: int, cursor: UUID | None, unread_only: bool
    ) -> NotificationPage:
        """Newest first, ``limit`` at a time."""
        enterprise_id = _enterprise(principal)
        if enterprise_id is None:
            return NotificationPage(items=[], unread=0, next_cursor=None)
        query = select(Notification).where(Notification.enterprise_id == enterprise_id)
        if cursor is not None:
            query = query.where(Notification.id < cursor)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = list(
            await self.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1))
        )
        unread = await self.session.scalar(
            select(func.count()).where(
                Notification.enterprise_id == enterprise_id, Notification.read_at.is_(None)
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return NotificationPage(
            items=[_out(n) for n in rows],
            unread=int(unread or 0),
            next_cursor=str(rows[-1].id) if more else None,
        )

    async def mark_read(self, principal: Principal, notification_id: UUID) -> NotificationOut:
        """Mark one read (again: no change); another enterprise's is not found."""
        enterprise_id = _enterprise(principal)
        notice = await self.session.get(Notification, notification_id)
        if notice is None or enterprise_id is None or notice.enterprise_id != enterprise_id:
            raise NotFound("no such notification")
        if notice.read_at is None:
            notice.read_at = utc_now()
            await self.session.flush()
        return _out(notice)

    async def mark_all_read(self, principal: Principal) -> int:
        """Mark every unread one read; returns how many."""
        enterprise_id = _enterprise(principal)
        if enterprise_id is None:
            return 0
        result = await self.session.execute(
            update(Notification)
            .where(Notification.enterprise_id == enterprise_id, Notification.read_at.is_(None))
            .values(read_at=utc_now())
            .returning(Notification.id)
        )
        return len(result.all())
