"""Webhooks to banks: a bank's endpoint, emitting events, and the bank's delivery log.

Other capabilities tell banks about events with :meth:`Webhooks.emit` inside their own
transaction: the delivery row is written with their work and its job queued once it commits
(``enqueue_after_commit``), carrying only the row's id. ``delivery.py`` sends it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from uuid_utils.compat import uuid7

from xinyidai.dates import utc_now
from xinyidai.domain.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryPage,
    WebhookEndpointOut,
)
from xinyidai.infra.db import enqueue_after_commit
from xinyidai.infra.destinations import DestinationPolicy, check_destination
from xinyidai.infra.errors import Forbidden, InvalidInput, NotFound
from xinyidai.models import (
    Bank,
    DeliveryStatus,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)

DELIVERY_JOB = "deliver_webhook"
JOB_TIMEOUT = 120
"""Seconds SAQ gives one delivery job (``WEBHOOK_TIMEOUT`` is at most 60)."""
MAX_EVENT_ID = 100
MAX_PAYLOAD = 64 * 1024
"""Bytes of an event's ``data`` as JSON at most: webhooks say what changed, banks fetch the rest."""


def job_key(delivery_id: UUID, attempts: int) -> str:
    """The SAQ key of the job for the attempt after ``attempts``: a second enqueue of the same
    attempt (the sweeper's) is dropped while the first is still queued."""
    return f"webhook:{delivery_id}:{attempts}"


def enqueue_delivery(
    session: AsyncSession, delivery_id: UUID, attempts: int, at: dt.datetime | None = None
) -> bool:
    """Queue the delivery's next attempt once ``session`` commits, at ``at`` (now if None).
    The job carries only the id. Returns whether it will be queued (see
    ``enqueue_after_commit``; the sweeper catches the rest)."""
    options: dict[str, Any] = {"key": job_key(delivery_id, attempts), "timeout": JOB_TIMEOUT}
    if at is not None:
        options["scheduled"] = math.ceil(at.timestamp())
    return enqueue_after_commit(session, DELIVERY_JOB, delivery_id=str(delivery_id), **options)


def _settled(delivery: WebhookDelivery) -> bool:
    return delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.DEAD)


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    """The delivery log's view of one delivery."""
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=WebhookEvent(delivery.event_type),
        status=DeliveryStatus(delivery.status),
        attempts=delivery.attempts,
        next_attempt_at=None if _settled(delivery) else delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        payload=delivery.payload,
        attempt_log=msgspec.convert(delivery.attempt_log, list[AttemptOut]),
    )


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    """The API's view of a bank's webhook URL."""
    return WebhookEndpointOut(
        bank_id=endpoint.bank_id,
        url=endpoint.url,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _cursor(raw: str | None) -> UUID | None:
    if raw is None:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidInput.field(
            "cursor", "not a cursor from this list", "cursor_invalid"
        ) from None


class Webhooks:
    """Bank webhooks: where each bank receives them, what is sent, and how it went."""

    def __init__(self, session: AsyncSession, policy: DestinationPolicy | None = None) -> None:
        self.session = session
        self.policy = policy or DestinationPolicy()

    async def emit(
        self,
        bank_id: UUID,
        event_type: WebhookEvent | str,
        payload: Mapping[str, Any],
        *,
        event_id: str | None = None,
    ) -> UUID | None:
        """Tell the bank about an event, within the caller's transaction (flushed, never
        committed): a delivery row, and its job queued after the commit.

        ``event_id`` names the event for idempotency (one delivery per bank and event id, e.g.
        ``f"consent.revoked:{consent.id}"``; at most 100 characters); None draws a new one.
        ``payload`` is the event's ``data`` (JSON-encodable; UUIDs and datetimes become
        strings; at most 64 KiB). Returns the delivery's id (the existing one when the event
        was emitted before), or None when the bank has no webhook URL: nothing is sent."""
        event = WebhookEvent(event_type)
        has_url = await self.session.scalar(
            select(WebhookEndpoint.id).where(WebhookEndpoint.bank_id == bank_id)
        )
        if has_url is None:
            log.info("webhook_not_emitted", bank_id=str(bank_id), event_type=event.value)
            return None
        event_id = event_id or str(uuid7())
        if not 1 <= len(event_id) <= MAX_EVENT_ID:
            raise ValueError(f"an event id has 1 to {MAX_EVENT_ID} characters")
        encoded = msgspec.json.encode(dict(payload))
        if len(encoded) > MAX_PAYLOAD:
            raise ValueError(f"a webhook's data is at most {MAX_PAYLOAD} bytes of JSON")
        now = utc_now()
        delivery_id: UUID | None = await self.session.scalar(
            insert(WebhookDelivery)
            .values(
                id=uuid7(),
                bank_id=bank_id,
                event_type=event.value,
                event_id=event_id,
                payload=msgspec.json.decode(encoded),
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                attempt_log=[],
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(constraint="uq_webhook_deliveries_bank_event")
            .returning(WebhookDelivery.id)
        )
        if delivery_id is None:  # emitted before: the first delivery stands
            existing: UUID | None = await self.session.scalar(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.bank_id == bank_id, WebhookDelivery.event_id == event_id
                )
            )
            return existing
        enqueue_delivery(self.session, delivery_id, 0)
        log.info(
            "webhook_emitted",
            bank_id=str(bank_id),
            event_type=event.value,
            event_id=event_id,
            delivery_id=str(delivery_id),
        )
        return delivery_id

    async def _authorize(self, bank_id: UUID, principal: Principal, action: str) -> None:
        """The bank's own users and platform admins only; then the bank must exist."""
        if principal.role is Role.BANK:
            if principal.bank_id != bank_id:
                raise Forbidden(f"only the bank's own users may {action}")
        elif principal.role is not Role.ADMIN:
            raise Forbidden(f"only the bank's own users may {action}")
        if await self.session.get(Bank, bank_id) is None:
            raise NotFound("no such bank")

    async def endpoint(self, bank_id: UUID, principal: Principal) -> WebhookEndpointOut | None:
        """The bank's webhook URL; None when it has none (a state, not a missing resource)."""
        await self._authorize(bank_id, principal, "read its webhook settings")
        endpoint = await self._endpoint(bank_id)
        return None if endpoint is None else endpoint_out(endpoint)

    async def _endpoint(self, bank_id: UUID) -> WebhookEndpoint | None:
        endpoint: WebhookEndpoint | None = await self.session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.bank_id == bank_id)
        )
        return endpoint

    async def set_endpoint(
        self, bank_id: UUID, url: str, principal: Principal
    ) -> WebhookEndpointOut:
        """Set the bank's webhook URL, once it passes the destination policy (scheme, and
        every address its host resolves to now; see ``infra/destinations.py``): else 422."""
        await self._authorize(bank_id, principal, "set its webhook URL")
        normal = await check_destination(self.policy, url, "url")
        endpoint = await self._endpoint(bank_id)
        if endpoint is None:
            endpoint = WebhookEndpoint(bank_id=bank_id, url=normal)
            self.session.add(endpoint)
        else:
            endpoint.url = normal
        await self.session.flush()
        await self.session.refresh(endpoint)
        log.info("webhook_url_set", bank_id=str(bank_id), by=str(principal.user_id))
        return endpoint_out(endpoint)

    async def remove_endpoint(self, bank_id: UUID, principal: Principal) -> None:
        """Stop sending the bank webhooks: open deliveries die at their next attempt."""
        await self._authorize(bank_id, principal, "remove its webhook URL")
        endpoint = await self._endpoint(bank_id)
        if endpoint is None:
            raise NotFound("the bank has no webhook URL")
        await self.session.delete(endpoint)
        await self.session.flush()
        log.info("webhook_url_removed", bank_id=str(bank_id), by=str(principal.user_id))

    async def deliveries(
        self,
        bank_id: UUID,
        principal: Principal,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: DeliveryStatus | None = None,
    ) -> DeliveryPage:
        """The bank's delivery log, newest first, ``limit`` at a time: pass the page's
        ``next_cursor`` as ``cursor`` for the next one. Only the bank's own users and
        admins; ``status`` keeps one status."""
        await self._authorize(bank_id, principal, "read its webhook deliveries")
        query = select(WebhookDelivery).where(WebhookDelivery.bank_id == bank_id)
        after = _cursor(cursor)
        if after is not None:
            query = query.where(WebhookDelivery.id < after)
        if status is not None:
            query = query.where(WebhookDelivery.status == status.value)
        rows = list(
            await self.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1))
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return DeliveryPage(
            items=[delivery_out(row) for row in rows],
            limit=limit,
            next_cursor=str(rows[-1].id) if more else None,
        )
