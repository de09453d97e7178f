"""Sending webhooks to banks: signed, attempted from the delivery table, retried with backoff.

**What a bank receives.** ``POST`` to its webhook URL with the JSON body ::

    {"id": "<event id>", "type": "consent.revoked", "created_at": "2026-12-10T10:00:00Z",
     "bank_id": "<the bank's id>", "data": {...}}

and the headers ``Content-Type: application/json``, ``X-Xinyidai-Event`` (the type),
``X-Xinyidai-Delivery`` (the delivery's id; the same on every retry) and
``X-Xinyidai-Signature``.

**The signature** is a compact JWS with a *detached payload* (RFC 7515 Appendix F):
``<protected header>..<signature>``, the middle part left empty. The signed payload is the
exact bytes of the body, base64url-encoded as in any JWS (we do not use RFC 7797's
``b64: false``, which many JOSE libraries lack). To verify, put ``base64url(body)`` between the
two dots and verify the compact JWS as usual, with the platform's key from
``/.well-known/jwks.json`` named by ``kid``. The protected header::

    {"alg": "ES256", "kid": "<key id>", "typ": "xyd-webhook+jws",
     "iat": <seconds since the epoch, when this attempt was signed>,
     "jti": "<event id, = body.id>", "aud": "<the bank's id, = body.bank_id>",
     "xyd_event": "<type, = body.type>", "xyd_delivery": "<delivery id>"}

A bank should accept only ``alg: ES256`` and ``typ: xyd-webhook+jws``, refuse an ``iat`` more
than five minutes away from its clock (each retry is signed afresh), check that ``aud`` is its
own id and that ``jti`` and ``xyd_event`` match the body, and treat a ``jti`` it has already
processed as a duplicate (answer 2xx, do nothing): a delivery may arrive more than once.

**Attempts.** The job (``deliver_webhook``) carries only the delivery's id. It *claims* the
attempt in one statement (the row is open and due; ``attempts`` + 1 and ``next_attempt_at``
moved past the attempt's end, so a second job for the same row finds nothing to do), checks
the URL again (scheme here, every resolved address when the connection is opened:
``infra/destinations.py``), posts with ``WEBHOOK_TIMEOUT`` for the whole exchange and no
redirects followed, and records the outcome in a second transaction: 2xx is ``delivered``;
anything else is ``failed`` with the next attempt queued after an exponential backoff with
jitter (``WEBHOOK_BACKOFF_BASE`` doubled per attempt up to ``WEBHOOK_BACKOFF_CAP``; between half
and all of it), or ``dead`` after ``WEBHOOK_MAX_ATTEMPTS``. Each attempt is kept in the row's
``attempt_log`` and logged (``webhook_attempt``). The sweeper (``sweep_webhooks``, every
minute) queues again the open deliveries whose job was lost (due more than five minutes ago).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
import msgspec
import structlog
from sqlalchemy import select, update

from xinyidai.dates import utc_now
from xinyidai.domain.webhooks.services import enqueue_delivery
from xinyidai.infra.db import unit_of_work
from xinyidai.infra.destinations import (
    DestinationError,
    DestinationPolicy,
    Unresolvable,
    guarded_client,
)
from xinyidai.infra.errors import InvalidInput
from xinyidai.infra.text import storable_text
from xinyidai.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.infra.signing import Signer
    from xinyidai.settings import Settings

log = structlog.get_logger(__name__)

SIGNATURE_TYPE = "xyd-webhook+jws"
EVENT_HEADER = "X-Xinyidai-Event"
DELIVERY_HEADER = "X-Xinyidai-Delivery"
SIGNATURE_HEADER = "X-Xinyidai-Signature"
USER_AGENT = "xinyidai-webhooks/1"
STALE_AFTER = dt.timedelta(minutes=5)
"""An open delivery due this long ago has lost its job: the sweeper queues it again."""
LEASE_MARGIN = dt.timedelta(seconds=30)
EARLY_TOLERANCE = dt.timedelta(seconds=1)
_OPEN = [DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value]


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``attempts`` failed attempts: ``min(cap, base * 2**(attempts-1))``,
    of which a random half is taken off (jitter keeps a bank that comes back up from being hit
    by every retry at once)."""
    ceiling = min(cap, base * 2.0 ** max(attempts - 1, 0))
    jitter = rng.uniform(0, ceiling / 2) if rng is not None else random.uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


@dataclass(frozen=True)
class Claimed:
    """One attempt a job claimed: what it sends, and where."""

    id: UUID
    bank_id: UUID
    event_type: str
    event_id: str
    payload: dict[str, Any]
    created_at: dt.datetime
    attempts: int
    url: str | None


@dataclass(frozen=True)
class Attempt:
    """How one attempt went."""

    at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status_code is not None

    def as_log(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


def body_of(claimed: Claimed) -> bytes:
    """The JSON body the bank receives (the same bytes on every attempt)."""
    created = claimed.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return msgspec.json.encode(
        {
            "id": claimed.event_id,
            "type": claimed.event_type,
            "created_at": created,
            "bank_id": str(claimed.bank_id),
            "data": claimed.payload,
        }
    )


class WebhookSender:
    """Signs and sends webhooks; one per worker (it holds an HTTP connection pool)."""

    def __init__(
        self,
        settings: Settings,
        signer: Signer,
        *,
        policy: DestinationPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.signer = signer
        self.policy = policy or DestinationPolicy.from_settings(settings)
        self.timeout = settings.webhook_timeout
        self.lease = dt.timedelta(seconds=self.timeout) + LEASE_MARGIN
        self.rng = rng or random.Random()
        self.client = guarded_client(self.policy, timeout=self.timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    def signature(self, claimed: Claimed, body: bytes, now: dt.datetime) -> str:
        """The ``X-Xinyidai-Signature`` of ``body`` for this attempt (see the module doc)."""
        return self.signer.sign_detached(
            body,
            typ=SIGNATURE_TYPE,
            header={
                "iat": int(now.timestamp()),
                "jti": claimed.event_id,
                "aud": str(claimed.bank_id),
                "xyd_event": claimed.event_type,
                "xyd_delivery": str(claimed.id),
            },
        )

    async def post(self, claimed: Claimed, url: str) -> Attempt:
        """One POST of the delivery to ``url``; never raises for what the bank or the network
        did: that is the attempt's error."""
        now = utc_now()
        body = body_of(claimed)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: claimed.event_type,
            DELIVERY_HEADER: str(claimed.id),
            SIGNATURE_HEADER: self.signature(claimed, body, now),
        }
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                # Streamed, and the body never read: the status is all we need from the bank.
                async with self.client.stream("POST", url, content=body, headers=headers) as r:
                    status = r.status_code
                    if r.is_redirect:
                        error = f"HTTP {status}: redirects are not followed"
                    elif not r.is_success:
                        error = f"HTTP {status}"
        except Unresolvable as exc:
            error = f"name resolution failed: {exc.message}"
        except DestinationError as exc:
            error = f"destination refused: {exc.message}"
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Attempt(
            at=now,
            status_code=status,
            error=storable_text(error, limit=500) if error else None,
            duration_ms=round((time.monotonic() - started) * 1000),
        )

    async def deliver(
        self,
        sessions: async_sessionmaker[AsyncSession],
        delivery_id: UUID,
        *,
        now: dt.datetime | None = None,
    ) -> DeliveryStatus | None:
        """Make the delivery's next attempt, if it is open and due (else None: another job
        has it, or it is settled); record it and queue the next one after a failure. Returns
        the delivery's status afterwards. ``now`` moves the clock for tests."""
        now = now or utc_now()
        async with unit_of_work(sessions) as session:
            claimed = await self._claim(session, delivery_id, now)
        if claimed is None:
            log.info("webhook_not_due", delivery_id=str(delivery_id))
            return None
        if claimed.url is None:
            attempt = Attempt(now, None, "the bank has no webhook URL", 0)
        else:
            try:
                url = self.policy.check_syntax(claimed.url)
            except InvalidInput as exc:
                attempt = Attempt(now, None, f"destination refused: {exc.detail}", 0)
            else:
                attempt = await self.post(claimed, url)
        return await self._record(sessions, claimed, attempt, no_url=claimed.url is None)

    async def _claim(
        self, session: AsyncSession, delivery_id: UUID, now: dt.datetime
    ) -> Claimed | None:
        row = (
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status.in_(_OPEN),
                    WebhookDelivery.next_attempt_at <= now + EARLY_TOLERANCE,
                    # Used up by a worker that died mid-attempt: the sweeper ends it.
                    WebhookDelivery.attempts < self.settings.webhook_max_attempts,
                )
                .values(
                    attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + self.lease,
                    updated_at=now,
                )
                .returning(
                    WebhookDelivery.bank_id,
                    WebhookDelivery.event_type,
                    WebhookDelivery.event_id,
                    WebhookDelivery.payload,
                    WebhookDelivery.created_at,
                    WebhookDelivery.attempts,
                )
            )
        ).one_or_none()
        if row is None:
            return None
        url = await session.scalar(
            select(WebhookEndpoint.url).where(WebhookEndpoint.bank_id == row.bank_id)
        )
        return Claimed(
            id=delivery_id,
            bank_id=row.bank_id,
            event_type=row.event_type,
            event_id=row.event_id,
            payload=row.payload,
            created_at=row.created_at,
            attempts=row.attempts,
            url=url,
        )

    async def _record(
        self,
        sessions: async_sessionmaker[AsyncSession],
        claimed: Claimed,
        attempt: Attempt,
        *,
        no_url: bool = False,
    ) -> DeliveryStatus | None:
        """Write the attempt's outcome, if the row is still this attempt's (a sweeper's job
        may have taken it over after the lease ran out: then its outcome stands)."""
        max_attempts = self.settings.webhook_max_attempts
        async with unit_of_work(sessions) as session:
            delivery = await session.get(WebhookDelivery, claimed.id, with_for_update=True)
            if delivery is None or delivery.attempts != claimed.attempts:
                return None
            delivery.last_status_code = attempt.status_code
            delivery.last_error = attempt.error
            delivery.attempt_log = [*delivery.attempt_log, attempt.as_log()]
            if attempt.delivered:
                delivery.status = DeliveryStatus.DELIVERED
                delivery.delivered_at = attempt.at
                delivery.next_attempt_at = attempt.at
            elif no_url or claimed.attempts >= max_attempts:
                delivery.status = DeliveryStatus.DEAD
                delivery.next_attempt_at = attempt.at
            else:
                wait = backoff(
                    claimed.attempts,
                    self.settings.webhook_backoff_base,
                    self.settings.webhook_backoff_cap,
                    self.rng,
                )
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = attempt.at + dt.timedelta(seconds=wait)
                enqueue_delivery(session, claimed.id, claimed.attempts, delivery.next_attempt_at)
            status = DeliveryStatus(delivery.status)
        log.info(
            "webhook_attempt",
            delivery_id=str(claimed.id),
            bank_id=str(claimed.bank_id),
            event_type=claimed.event_type,
            event_id=claimed.event_id,
            attempt=claimed.attempts,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            outcome=status.value,
        )
        return status


async def sweep_deliveries(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    batch: int = 500,
) -> dict[str, int]:
    """Queue again the open deliveries due more than ``STALE_AFTER`` ago (their job never
    reached the queue, or the worker died mid-attempt); those whose attempts are used up
    die. Returns how many of each."""
    now = now or utc_now()
    requeued = dead = 0
    async with unit_of_work(sessions) as session:
        stale = (
            await session.scalars(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.status.in_(_OPEN),
                    WebhookDelivery.next_attempt_at < now - STALE_AFTER,
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for delivery in stale:
            if delivery.attempts >= settings.webhook_max_attempts:
                delivery.status = DeliveryStatus.DEAD
                delivery.last_error = "no outcome was recorded for the last attempt"
                dead += 1
            else:
                enqueue_delivery(session, delivery.id, delivery.attempts)
                requeued += 1
    if requeued or dead:
        log.info("webhooks_swept", requeued=requeued, dead=dead)
    return {"requeued": requeued, "dead": dead}
