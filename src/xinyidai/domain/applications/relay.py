"""The relay: delivering each application to its bank's intake, from the outbox row written
with it (``ApplicationDelivery``), at least once, so that a bank honouring the
``Idempotency-Key`` processes it exactly once (CONTRACT §1).

**What a bank receives.** ``POST {intake_url}`` with the application document
(``documents.application_document``) as JSON and the headers ``Authorization: Bearer <token>``,
``Idempotency-Key: <delivery id>`` (the same on every attempt and after a requeue),
``X-Xinyidai-Delivery: <delivery id>`` and ``Content-Type: application/json``. The token comes
from the bank's own token endpoint: OAuth 2.0 client credentials, ``client_secret_basic``, the
intake's ``scope`` if it has one, through Authlib's ``AsyncOAuth2Client``. Each process keeps
one token per bank (:class:`BankTokens`), fetched once however many deliveries need it at the
same moment, fetched again when it expires (30 s early) or when the intake answers 401 (once
per attempt: a second 401 fails the attempt).

**Attempts.** The job (``deliver_application``) carries only the delivery's id. It *claims* the
attempt in one statement (the row is open and due and has attempts left; ``attempts`` + 1 and
``next_attempt_at`` moved past the attempt's longest possible end, the *lease*), so a second
job for the same row finds nothing to do. A bank without an intake gets no attempt: the
delivery turns to ``poll`` (the bank fetches its applications itself). Both URLs are checked
again against the destination policy (scheme here; every resolved address when a connection
opens: ``infra/destinations.py``), each exchange is bounded by ``RELAY_TIMEOUT``, redirects are
not followed, and the outcome is recorded in a second transaction, if the row is still this
attempt's (same attempt number and lease): 2xx is ``delivered`` and the application moves
``submitted → delivered`` (actor ``platform``, with its timeline event); anything else is
``failed`` with the next attempt queued after an exponential backoff with jitter
(``RELAY_BACKOFF_BASE`` doubled per attempt up to ``RELAY_BACKOFF_CAP``; between half and all
of it), or ``dead`` after ``RELAY_MAX_ATTEMPTS`` (the credit office lists and may requeue it:
``dead_letters.py``). Each attempt is kept in the row's ``attempt_log`` and logged
(``relay_attempt``).

**Lost jobs.** The sweeper (``sweep_application_deliveries``, every minute) takes the open
deliveries due for more than :data:`SWEEP_GRACE` with ``SELECT … FOR UPDATE SKIP LOCKED`` (any
number of workers may sweep at once; each row goes to one) and queues them again: a job that
never reached Redis, a worker killed mid-attempt (its lease runs out, the row is due again),
a backoff job lost with Redis. Those with no attempt left die.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

import authlib.deprecate  # noqa: F401 - its filter must be installed before ours below
import httpx
import msgspec
import structlog
from authlib.common.errors import AuthlibBaseError
from sqlalchemy import select, update

from xinyidai.dates import utc_now
from xinyidai.domain.applications import lifecycle
from xinyidai.domain.applications.documents import application_document
from xinyidai.domain.applications.intakes import IntakeCredentials, credentials, intake_of
from xinyidai.domain.applications.vocabulary import (
    OUTBOX_OPEN,
    Actor,
    ApplicationStatus,
    OutboxStatus,
)
from xinyidai.domain.webhooks.delivery import backoff
from xinyidai.infra.db import enqueue_after_commit, unit_of_work
from xinyidai.infra.destinations import (
    DestinationError,
    DestinationPolicy,
    GuardedTransport,
    Unresolvable,
)
from xinyidai.infra.errors import InvalidInput
from xinyidai.infra.text import storable_text
from xinyidai.models import Application, ApplicationDelivery

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.settings import Settings

log = structlog.get_logger(__name__)

DELIVERY_JOB = "deliver_application"
JOB_TIMEOUT = 300
"""Seconds SAQ gives one delivery job (an attempt takes at most four ``RELAY_TIMEOUT``s)."""
DELIVERY_HEADER = "X-Xinyidai-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "xinyidai-relay/1"
EXCHANGES = 4
"""Exchanges one attempt may make: a token, the POST, and after a 401 a token and a POST."""
LEASE_MARGIN = dt.timedelta(seconds=5)
EARLY_TOLERANCE = dt.timedelta(seconds=1)
SWEEP_GRACE = dt.timedelta(seconds=60)
"""An open delivery due this long ago has lost its job (its queued attempt would have run)."""
ANSWER_LIMIT = 64 * 1024
"""Bytes of an intake's answer read (and dropped) so its connection can be reused."""
TOKEN_LEEWAY = 30
"""Seconds before a token's expiry at which a new one is fetched."""
_OPEN = [status.value for status in OUTBOX_OPEN]


def job_key(delivery_id: UUID, attempts: int) -> str:
    """The SAQ key of the job for the attempt after ``attempts``: a second enqueue of the same
    attempt (the sweeper's) is dropped while the first is still queued."""
    return f"relay:{delivery_id}:{attempts}"


def queue_delivery(
    session: AsyncSession, delivery_id: UUID, attempts: int = 0, at: dt.datetime | None = None
) -> bool:
    """Queue the delivery's next attempt once ``session`` commits (now, or at ``at``). Call it
    in the transaction that wrote the delivery row (the submission) or reopened it. The job
    carries only the id. Returns whether it will be queued (the session has a queue; the
    sweeper catches the rest)."""
    options: dict[str, Any] = {"key": job_key(delivery_id, attempts), "timeout": JOB_TIMEOUT}
    if at is not None:
        options["scheduled"] = math.ceil(at.timestamp())
    return enqueue_after_commit(session, DELIVERY_JOB, delivery_id=str(delivery_id), **options)


async def mark_delivered(
    session: AsyncSession,
    application: Application,
    *,
    delivery_id: UUID | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Move ``application`` (loaded FOR UPDATE by the caller) ``submitted → delivered`` as the
    platform, with its timeline event, if the transition table allows it from where it stands;
    an application the bank already decided on or reviewed, or the SME withdrew, stays as it
    is. Returns whether it moved."""
    if not lifecycle.may_move(application.status, ApplicationStatus.DELIVERED):
        return False
    lifecycle.move(
        session,
        application,
        ApplicationStatus.DELIVERED,
        Actor.PLATFORM,
        "relay",
        now=at,
        detail={"delivery_id": str(delivery_id)} if delivery_id else {},
    )
    await session.flush()
    return True


@dataclass(frozen=True)
class Claimed:
    """One attempt a job claimed: what it sends, where, and the lease it holds."""

    id: UUID
    bank_id: UUID
    application_id: UUID
    attempts: int
    lease_until: dt.datetime
    intake: IntakeCredentials | None
    document: dict[str, Any]
    problem: str | None = None  # why the attempt cannot even start (an undecryptable secret)


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


class _Failed(Exception):
    """An attempt's failure, in words for the office."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class _BankClient:
    fingerprint: tuple[str, str, str, str | None]
    client: AsyncOAuth2Client
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class BankTokens:
    """One OAuth client, and so one cached token, per bank, for this process: created when a
    bank's first delivery needs it, made again when the bank changes its intake's token URL or
    client. Fetching is serialised per bank: deliveries that need a token at the same moment
    share one request."""

    def __init__(self, policy: DestinationPolicy, timeout: float) -> None:
        self.policy = policy
        self.timeout = timeout
        self._clients: dict[UUID, _BankClient] = {}

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for entry in clients:
            await entry.client.aclose()

    async def client(self, intake: IntakeCredentials) -> _BankClient:
        fingerprint = (intake.token_url, intake.client_id, intake.client_secret, intake.scope)
        entry = self._clients.get(intake.bank_id)
        if entry is not None and entry.fingerprint == fingerprint:
            return entry
        if entry is not None:
            await entry.client.aclose()
        entry = _BankClient(
            fingerprint=fingerprint,
            client=AsyncOAuth2Client(
                client_id=intake.client_id,
                client_secret=intake.client_secret,
                token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
                scope=intake.scope,
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
                transport=GuardedTransport(self.policy),
                headers={"User-Agent": USER_AGENT},
            ),
        )
        self._clients[intake.bank_id] = entry
        return entry

    async def token(self, intake: IntakeCredentials, refused: str | None = None) -> str:
        """A bearer token for the bank: the cached one unless it is about to expire or is the
        ``refused`` one (the intake answered 401 to it); else a new one from its endpoint."""
        entry = await self.client(intake)
        async with entry.lock:
            current = entry.client.token
            if (
                current
                and current.get("access_token") != refused
                and not current.is_expired(leeway=TOKEN_LEEWAY)
            ):
                return str(current["access_token"])
            entry.client.token = None
            try:
                async with asyncio.timeout(self.timeout):
                    token = await entry.client.fetch_token(
                        intake.token_url,
                        grant_type="client_credentials",
                        **({"scope": intake.scope} if intake.scope else {}),
                    )
            except httpx.HTTPStatusError as exc:
                raise _Failed(f"token endpoint answered {exc.response.status_code}") from None
            except AuthlibBaseError as exc:
                error = getattr(exc, "error", None) or type(exc).__name__
                raise _Failed(f"token endpoint refused the client: {error}") from None
            except TimeoutError:
                raise _Failed(f"token endpoint: no answer within {self.timeout:g} s") from None
            except (ValueError, KeyError) as exc:
                raise _Failed(f"token endpoint: unusable answer ({type(exc).__name__})") from None
            access = token.get("access_token")
            if (
                not isinstance(access, str)
                or not access
                or (str(token.get("token_type", "bearer")).lower() != "bearer")
            ):
                entry.client.token = None
                raise _Failed("token endpoint did not issue a bearer token")
            log.info("relay_token_fetched", bank_id=str(intake.bank_id))
            return access


class ApplicationRelay:
    """Delivers applications to their banks' intakes; one per worker process (it holds the
    banks' tokens and connection pools)."""

    def __init__(
        self,
        settings: Settings,
        cipher: FieldCipher,
        *,
        policy: DestinationPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.cipher = cipher
        self.policy = policy or DestinationPolicy.from_settings(settings)
        self.timeout = settings.relay_timeout
        self.lease = dt.timedelta(seconds=EXCHANGES * self.timeout) + LEASE_MARGIN
        self.rng = rng or random.Random()
        self.base_url = settings.issuer
        self.tokens = BankTokens(self.policy, self.timeout)

    async def aclose(self) -> None:
        await self.tokens.aclose()

    async def deliver(
        self,
        sessions: async_sessionmaker[AsyncSession],
        delivery_id: UUID,
        *,
        now: dt.datetime | None = None,
    ) -> OutboxStatus | None:
        """Make the delivery's next attempt, if it is open and due (else None: another job has
        it, or it is settled); record it and queue the next one after a failure. Returns the
        delivery's status afterwards. ``now`` moves the clock for tests."""
        now = now or utc_now()
        async with unit_of_work(sessions) as session:
            claimed = await self._claim(session, delivery_id, now)
        if claimed is None:
            log.info("relay_not_due", delivery_id=str(delivery_id))
            return None
        if claimed.intake is None:
            if claimed.problem is None:
                log.info("relay_poll", delivery_id=str(delivery_id), bank_id=str(claimed.bank_id))
                return OutboxStatus.POLL
            attempt = Attempt(now, None, claimed.problem, 0)
        else:
            attempt = await self.post(claimed, claimed.intake)
        return await self._record(sessions, claimed, attempt)

    async def _claim(
        self, session: AsyncSession, delivery_id: UUID, now: dt.datetime
    ) -> Claimed | None:
        lease_until = now + self.lease
        row = (
            await session.execute(
                update(ApplicationDelivery)
                .where(
                    ApplicationDelivery.id == delivery_id,
                    ApplicationDelivery.status.in_(_OPEN),
                    ApplicationDelivery.next_attempt_at <= now + EARLY_TOLERANCE,
                    # Used up by a worker that died mid-attempt: the sweeper ends it.
                    ApplicationDelivery.attempts < self.settings.relay_max_attempts,
                )
                .values(
                    attempts=ApplicationDelivery.attempts + 1,
                    next_attempt_at=lease_until,
                    updated_at=now,
                )
                .returning(
                    ApplicationDelivery.bank_id,
                    ApplicationDelivery.application_id,
                    ApplicationDelivery.attempts,
                )
            )
        ).one_or_none()
        if row is None:
            return None
        intake = await intake_of(session, row.bank_id)
        if intake is None:  # no attempt: the bank polls for its applications
            await session.execute(
                update(ApplicationDelivery)
                .where(ApplicationDelivery.id == delivery_id)
                .values(
                    status=OutboxStatus.POLL.value,
                    attempts=row.attempts - 1,
                    next_attempt_at=now,
                    updated_at=now,
                )
            )
            return Claimed(
                delivery_id, row.bank_id, row.application_id, row.attempts, lease_until, None, {}
            )
        application = await session.get_one(Application, row.application_id)
        document = await application_document(session, application, self.base_url)
        try:
            found: IntakeCredentials | None = credentials(intake, self.cipher)
            problem = None
        except ValueError:
            found, problem = None, "the intake's client secret does not decrypt: set it again"
        return Claimed(
            id=delivery_id,
            bank_id=row.bank_id,
            application_id=row.application_id,
            attempts=row.attempts,
            lease_until=lease_until,
            intake=found,
            document=document,
            problem=problem,
        )

    async def post(self, claimed: Claimed, intake: IntakeCredentials) -> Attempt:
        """One attempt: a token (cached), the POST, and after a 401 a new token and the POST
        once more. Never raises for what the bank or the network did: that is the attempt's
        error."""
        now = utc_now()
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            self.policy.check_syntax(intake.intake_url, "intake_url")
            self.policy.check_syntax(intake.token_url, "token_url")
            body = msgspec.json.encode(claimed.document)
            token = await self.tokens.token(intake)
            status = await self._send(claimed, intake, body, token)
            if status == 401:  # the bank forgot or revoked the token: a new one, once
                token = await self.tokens.token(intake, refused=token)
                status = await self._send(claimed, intake, body, token)
            if 300 <= status < 400:
                error = f"HTTP {status}: redirects are not followed"
            elif not 200 <= status < 300:
                error = f"HTTP {status}"
        except _Failed as exc:
            error = exc.message
        except InvalidInput as exc:
            error = f"destination refused: {exc.detail}"
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

    async def _send(
        self, claimed: Claimed, intake: IntakeCredentials, body: bytes, token: str
    ) -> int:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: str(claimed.id),
            DELIVERY_HEADER: str(claimed.id),
        }
        client = (await self.tokens.client(intake)).client
        async with asyncio.timeout(self.timeout):
            # The token is ours to send (withheld from Authlib's own renewal). The status is all
            # the relay needs, but a short answer is read to its end so that the connection goes
            # back to the pool for the next delivery (an answer past ANSWER_LIMIT is abandoned:
            # its connection is closed).
            async with client.stream(
                "POST", intake.intake_url, content=body, headers=headers, withhold_token=True
            ) as response:
                status: int = response.status_code
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read > ANSWER_LIMIT:
                        break
                return status

    async def _record(
        self, sessions: async_sessionmaker[AsyncSession], claimed: Claimed, attempt: Attempt
    ) -> OutboxStatus | None:
        """Write the attempt's outcome, if the row is still this attempt's (a sweeper's job
        may have taken it over after the lease ran out, or the office requeued it: then their
        outcome stands)."""
        max_attempts = self.settings.relay_max_attempts
        moved = False
        async with unit_of_work(sessions) as session:
            delivery = await session.get(ApplicationDelivery, claimed.id, with_for_update=True)
            if (
                delivery is None
                or delivery.attempts != claimed.attempts
                or delivery.next_attempt_at != claimed.lease_until
            ):
                log.info("relay_attempt_superseded", delivery_id=str(claimed.id))
                return None
            delivery.last_status_code = attempt.status_code
            delivery.last_error = attempt.error
            delivery.attempt_log = [*delivery.attempt_log, attempt.as_log()]
            if attempt.delivered:
                delivery.status = OutboxStatus.DELIVERED
                delivery.delivered_at = attempt.at
                delivery.next_attempt_at = attempt.at
                application = await session.get_one(
                    Application, claimed.application_id, with_for_update=True
                )
                moved = await mark_delivered(
                    session, application, delivery_id=claimed.id, at=utc_now()
                )
            elif claimed.attempts >= max_attempts:
                delivery.status = OutboxStatus.DEAD
                delivery.next_attempt_at = attempt.at
            else:
                wait = backoff(
                    claimed.attempts,
                    self.settings.relay_backoff_base,
                    self.settings.relay_backoff_cap,
                    self.rng,
                )
                delivery.status = OutboxStatus.FAILED
                delivery.next_attempt_at = attempt.at + dt.timedelta(seconds=wait)
                queue_delivery(session, claimed.id, claimed.attempts, delivery.next_attempt_at)
            status = OutboxStatus(delivery.status)
        log.info(
            "relay_attempt",
            delivery_id=str(claimed.id),
            bank_id=str(claimed.bank_id),
            application_id=str(claimed.application_id),
            attempt=claimed.attempts,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            outcome=status.value,
            application_moved=moved,
        )
        return status


async def sweep_deliveries(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    grace: dt.timedelta = SWEEP_GRACE,
    batch: int = 500,
) -> dict[str, int]:
    """Queue again the open deliveries due more than ``grace`` ago (their job never reached
    the queue, was lost, or its worker died mid-attempt and the lease ran out); those whose
    attempts are used up die. Rows another sweeper holds are skipped. Returns how many of
    each."""
    now = now or utc_now()
    queued = dead = 0
    async with unit_of_work(sessions) as session:
        due = (
            await session.scalars(
                select(ApplicationDelivery)
                .where(
                    ApplicationDelivery.status.in_(_OPEN),
                    ApplicationDelivery.next_attempt_at <= now - grace,
                )
                .order_by(ApplicationDelivery.next_attempt_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for delivery in due:
            if delivery.attempts >= settings.relay_max_attempts:
                delivery.status = OutboxStatus.DEAD
                delivery.last_error = "no outcome was recorded for the last attempt"
                delivery.next_attempt_at = now
                dead += 1
            elif queue_delivery(session, delivery.id, delivery.attempts):
                queued += 1
    if queued or dead:
        log.info("relay_swept", queued=queued, dead=dead)
    return {"queued": queued, "dead": dead}
