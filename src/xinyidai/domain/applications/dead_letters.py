"""The credit office's view of application deliveries: which ones the relay gave up on (dead
letters) or is still retrying, each with its bank, application, attempts and attempt log; and
requeueing one (``dead`` or ``failed`` → ``pending``, attempts from zero, queued now), which
the audit log records. The office only: banks and SMEs are refused (403)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from sqlalchemy import func, select

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_role
from xinyidai.domain.applications.relay import queue_delivery
from xinyidai.domain.applications.relay_schemas import (
    DeliveryApplication,
    DeliveryBank,
    OfficeDeliveryOut,
    OfficeDeliveryPage,
    attempt_log,
)
from xinyidai.domain.applications.vocabulary import OUTBOX_OPEN, ApplicationStatus, OutboxStatus
from xinyidai.domain.audit.services import AuditLog
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.models import ActorKind, Application, ApplicationDelivery, Bank, Enterprise, Role

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)

REQUEUEABLE = frozenset({OutboxStatus.DEAD, OutboxStatus.FAILED})
REQUEUE_ACTION = "office.application_delivery.requeue"


def _cursor(raw: str | None) -> UUID | None:
    if raw is None:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidInput.field(
            "cursor", "not a cursor from this list", "cursor_invalid"
        ) from None


def _out(
    delivery: ApplicationDelivery, bank: Bank, application: Application, enterprise: Enterprise
) -> OfficeDeliveryOut:
    status = OutboxStatus(delivery.status)
    return OfficeDeliveryOut(
        id=delivery.id,
        status=status,
        bank=DeliveryBank(id=bank.id, name=bank.name, short_code=bank.short_code),
        application=DeliveryApplication(
            id=application.id,
            status=ApplicationStatus(application.status),
            uscc=enterprise.uscc,
            enterprise_name=enterprise.name,
            amount=f"{application.amount:.2f}",
            submitted_at=application.created_at,
        ),
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if status in OUTBOX_OPEN else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        requeued_by=delivery.requeued_by,
        attempt_log=attempt_log(delivery.attempt_log),
    )


async def dead_letter_count(session: AsyncSession) -> int:
    """Deliveries the relay gave up on, waiting for the office (the office's alerts)."""
    count = await session.scalar(
        select(func.count())
        .select_from(ApplicationDelivery)
        .where(ApplicationDelivery.status == OutboxStatus.DEAD.value)
    )
    return int(count or 0)


class DeadLetters:
    """Application deliveries as the credit office sees them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _rows(self) -> Select[ApplicationDelivery, Bank, Application, Enterprise]:
        return (
            select(ApplicationDelivery, Bank, Application, Enterprise)
            .join(Bank, Bank.id == ApplicationDelivery.bank_id)
            .join(Application, Application.id == ApplicationDelivery.application_id)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
        )

    async def deliveries(
        self,
        principal: Principal,
        *,
        status: OutboxStatus | None = OutboxStatus.DEAD,
        bank_id: UUID | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> OfficeDeliveryPage:
        """Deliveries newest first, ``limit`` at a time (``next_cursor`` for the next page),
        of one status (dead letters unless told; None: all), of one bank if given."""
        require_role(principal, Role.OFFICE)
        query = self._rows()
        if status is not None:
            query = query.where(ApplicationDelivery.status == status.value)
        if bank_id is not None:
            query = query.where(ApplicationDelivery.bank_id == bank_id)
        after = _cursor(cursor)
        if after is not None:
            query = query.where(ApplicationDelivery.id < after)
        rows = (
            await self.session.execute(
                query.order_by(ApplicationDelivery.id.desc()).limit(limit + 1)
            )
        ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return OfficeDeliveryPage(
            items=[_out(*row) for row in rows],
            limit=limit,
            next_cursor=str(rows[-1][0].id) if more else None,
        )

    async def requeue(self, delivery_id: UUID, principal: Principal) -> OfficeDeliveryOut:
        """Give a dead or failed delivery a fresh set of attempts, the first one now (409 for
        any other status: pending and delivered ones need nothing, polled ones wait for the
        bank). Audit-logged with who did it."""
        require_role(principal, Role.OFFICE)
        row = (
            await self.session.execute(
                self._rows()
                .where(ApplicationDelivery.id == delivery_id)
                .with_for_update(of=ApplicationDelivery)
            )
        ).one_or_none()
        if row is None:
            raise NotFound("no such delivery")
        delivery, bank, application, enterprise = row
        previous = OutboxStatus(delivery.status)
        if previous not in REQUEUEABLE:
            raise Conflict(f"a {previous.value} delivery cannot be requeued")
        now = utc_now()
        attempts_before = delivery.attempts
        delivery.status = OutboxStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.requeued_by = principal.user_id
        delivery.updated_at = now
        await self.session.flush()
        queue_delivery(self.session, delivery.id, 0)
        await AuditLog(self.session).append(
            action=REQUEUE_ACTION,
            actor_kind=ActorKind.USER,
            actor_id=str(principal.user_id),
            status=200,
            bank_id=bank.id,
            enterprise_id=enterprise.id,
            detail={
                "delivery_id": str(delivery.id),
                "application_id": str(application.id),
                "previous_status": previous.value,
                "attempts_before": attempts_before,
                "last_error": delivery.last_error,
            },
            occurred_at=now,
        )
        log.info(
            "relay_requeued",
            delivery_id=str(delivery.id),
            previous=previous.value,
            by=str(principal.user_id),
        )
        return _out(delivery, bank, application, enterprise)
