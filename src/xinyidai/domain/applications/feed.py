"""What a bank's server reads over ``/openapi/v1``: its applications as documents, oldest
first with a cursor, and the acknowledgement a polling bank's first read makes."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select

from xinyidai.dates import utc_now
from xinyidai.domain.applications import lifecycle, views
from xinyidai.domain.applications.schemas import ApplicationDocument, ApplicationFeed
from xinyidai.domain.applications.vocabulary import Actor, ApplicationStatus, OutboxStatus
from xinyidai.infra.errors import InvalidInput, NotFound
from xinyidai.models import Application, ApplicationDelivery

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def parse_cursor(cursor: str | None) -> UUID | None:
    if not cursor:
        return None
    try:
        return UUID(cursor)
    except ValueError:
        raise InvalidInput.field("cursor", "not a cursor this API gave", "cursor_invalid") from None


class BankFeed:
    def __init__(self, session: AsyncSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    async def page(self, bank_id: UUID, cursor: str | None, limit: int) -> ApplicationFeed:
        """The bank's applications after ``cursor``, oldest first (ids grow with time)."""
        after = parse_cursor(cursor)
        query = select(Application).where(Application.bank_id == bank_id)
        if after is not None:
            query = query.where(Application.id > after)
        apps = list(await self.session.scalars(query.order_by(Application.id).limit(limit + 1)))
        more = len(apps) > limit
        apps = apps[:limit]
        return ApplicationFeed(
            items=await views.documents(self.session, apps, self.base_url),
            next_cursor=str(apps[-1].id) if more else None,
        )

    async def one(self, bank_id: UUID, application_id: UUID) -> ApplicationDocument:
        application = await self.session.scalar(
            select(Application).where(
                Application.id == application_id, Application.bank_id == bank_id
            )
        )
        if application is None:
            raise NotFound("no such application")
        (doc,) = await views.documents(self.session, [application], self.base_url)
        return doc

    async def acknowledge_polled(self, bank_id: UUID, ids: list[UUID], client_id: str) -> int:
        """Applications waiting for this (polling) bank's read are delivered by it."""
        if not ids:
            return 0
        rows = await self.session.execute(
            select(Application, ApplicationDelivery)
            .join(ApplicationDelivery, ApplicationDelivery.application_id == Application.id)
            .where(
                Application.bank_id == bank_id,
                Application.id.in_(ids),
                ApplicationDelivery.status == OutboxStatus.POLL,
            )
            .order_by(Application.id)
            .with_for_update(skip_locked=True)
        )
        now = utc_now()
        done = 0
        for application, delivery in rows:
            delivery.status = OutboxStatus.DELIVERED
            delivery.delivered_at = now
            if application.status == ApplicationStatus.SUBMITTED:
                lifecycle.move(
                    self.session,
                    application,
                    ApplicationStatus.DELIVERED,
                    Actor.BANK_API,
                    client_id,
                    now=now,
                    detail={"channel": "poll"},
                )
            done += 1
        return done
