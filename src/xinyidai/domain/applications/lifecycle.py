"""The one way an application changes status: :func:`move`, which checks the transition table
(``vocabulary.TRANSITIONS``), stamps the change and writes it to the timeline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select

from xinyidai.dates import utc_now
from xinyidai.domain.applications.vocabulary import TRANSITIONS, Actor, ApplicationStatus
from xinyidai.infra.errors import Conflict, NotFound
from xinyidai.models import Application, ApplicationEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class TransitionRefused(Conflict):
    """409: the application's status does not allow this step."""


def may_move(current: ApplicationStatus | str, to: ApplicationStatus) -> bool:
    return to in TRANSITIONS[ApplicationStatus(current)]


def start(
    session: AsyncSession,
    application: Application,
    actor: Actor,
    actor_id: str | None,
    *,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """The timeline's first entry: the application was submitted."""
    session.add(
        ApplicationEvent(
            application_id=application.id,
            from_status=None,
            to_status=ApplicationStatus.SUBMITTED,
            actor=actor,
            actor_id=actor_id,
            at=now,
            detail=detail or {},
        )
    )


def move(
    session: AsyncSession,
    application: Application,
    to: ApplicationStatus,
    actor: Actor,
    actor_id: str | None,
    *,
    now: dt.datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> ApplicationEvent:
    """Move ``application`` (locked by the caller) to ``to``, or 409 naming both statuses."""
    current = ApplicationStatus(application.status)
    if not may_move(current, to):
        raise TransitionRefused(f"the application is {current.value}: it cannot become {to.value}")
    now = now or utc_now()
    application.status = to
    application.status_at = now
    event = ApplicationEvent(
        application_id=application.id,
        from_status=current,
        to_status=to,
        actor=actor,
        actor_id=actor_id,
        at=now,
        detail=detail or {},
    )
    session.add(event)
    return event


async def locked(
    session: AsyncSession, application_id: UUID, *, bank_id: UUID | None = None
) -> Application:
    """The application, locked for a change; 404 if missing or (given ``bank_id``) another
    bank's — a bank is never told that another bank's application exists."""
    query = select(Application).where(Application.id == application_id)
    if bank_id is not None:
        query = query.where(Application.bank_id == bank_id)
    application = await session.scalar(query.with_for_update())
    if application is None:
        raise NotFound("no such application")
    return application


async def timeline(session: AsyncSession, application_id: UUID) -> list[ApplicationEvent]:
    rows = await session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.at, ApplicationEvent.id)
    )
    return list(rows)
