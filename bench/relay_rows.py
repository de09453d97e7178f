"""The ``relay_delivery`` row: applications delivered by the relay to a sandbox bank's intake,
against bare httpx posting the same documents to the same intake.

In process, on the bench's database, with the sandbox bank (``src/xinyidai/sandbox/bank``) run as
its own server process (``sandbox/process.py``) and registered as the seeded bank's intake
(its own ``/oauth/token``, client credentials). Not measured: the applications, submitted
through the platform's service by the seeded SMEs (bench/app_seed.py) in plain sessions, so
their outbox rows stay ``pending`` (no job is queued), and each one's document, built by the
relay's own builder and encoded once, for the baseline.

1. **Baseline**: bare httpx (one ``AsyncClient``, its default pool) gets one token from the
   bank's endpoint, then posts every document with the relay's headers (that token,
   ``Idempotency-Key`` and ``X-Xinyidai-Delivery`` the delivery's id, the content type and user
   agent), ``concurrency`` at once, and checks each answer is 2xx.
2. The sandbox bank is reset (it forgets the keys it saw, so the platform's posts are new to
   it, and the tokens it issued).
3. **Ours**: ``ApplicationRelay.deliver`` for each delivery, ``concurrency`` at once: the claim
   transaction (the row, the intake, the document from the database), a token from its cache
   (the first fetched from the bank), the POST, the record transaction (the row, the
   application moved ``submitted → delivered`` with its timeline event). Checked: every
   delivery ``delivered``, the intake accepted each once.

Deliveries per second on each side; both sides' CPU seconds (this process, and the sandbox
bank's) are printed. ``BENCH_RELAY_PROFILE=<file>`` writes a cProfile of the relay's side.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid4

import httpx

from bench.app_seed import ApplySeed, application_body, apply_seed, settings_of
from bench.harness import BenchError, console
from bench.public_import import ImportRow, Throughput
from bench.scenarios import RelayScenario, relay_deliveries
from bench.servers import Context, free_port
from bench.sync_city import CpuMeter

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.settings import Settings

INTAKE_CLIENT_ID = "xinyidai-bench-relay"
SUBMIT_CONCURRENCY = 8
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deliveries:
    ids: list[UUID]
    documents: dict[UUID, bytes]  # the baseline's bodies, by delivery id
    applications: list[UUID]


async def _pool(items: list[T], concurrency: int, work: Callable[[T], Awaitable[Any]]) -> None:
    """``work`` on every item, ``concurrency`` at once (tasks taking the next item)."""
    queue = list(reversed(items))

    async def worker() -> None:
        while queue:
            await work(queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _configure_intake(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    seed: ApplySeed,
    url: str,
    secret: str,
) -> None:
    """Register the sandbox bank as the seeded bank's intake (as the bank's user would)."""
    from xinyidai.domain.applications.intakes import BankIntakes
    from xinyidai.domain.applications.relay_schemas import IntakeIn
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.infra.destinations import DestinationPolicy

    async with sessions() as session:
        await BankIntakes(
            session, FieldCipher(settings.data_key_bytes), DestinationPolicy.from_settings(settings)
        ).configure(
            seed.bank_id,
            IntakeIn(
                intake_url=f"{url}/intake/applications",
                token_url=f"{url}/oauth/token",
                client_id=INTAKE_CLIENT_ID,
                client_secret=secret,
            ),
        )
        await session.commit()


async def _applications(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, seed: ApplySeed, count: int
) -> Deliveries:
    """``count`` applications through the platform's service (their outbox rows pending) and
    each one's document as the relay builds it, encoded (not measured)."""
    import msgspec
    from sqlalchemy import select

    from xinyidai.domain.accounts.guards import principal_of
    from xinyidai.domain.applications.documents import application_document
    from xinyidai.domain.applications.schemas import ApplicationCreate
    from xinyidai.domain.applications.services import ApplicationService
    from xinyidai.models import Application, ApplicationDelivery, User

    async with sessions() as session:
        users = {
            user.id: user
            for user in await session.scalars(
                select(User).where(User.id.in_([a.user_id for a in seed.applicants]))
            )
        }
        principals = [principal_of(users[a.user_id]) for a in seed.applicants]
    made: list[UUID] = []

    async def submit(n: int) -> None:
        body = msgspec.convert(application_body(seed.product_id, n), ApplicationCreate)
        async with sessions() as session:
            out, _ = await ApplicationService(session).submit(
                body, str(uuid4()), principals[n % len(principals)]
            )
            await session.commit()
        made.append(out.id)

    await _pool(list(range(count)), SUBMIT_CONCURRENCY, submit)
    documents: dict[UUID, bytes] = {}
    async with sessions() as session:
        rows = await session.execute(
            select(ApplicationDelivery.id, Application)
            .join(Application, Application.id == ApplicationDelivery.application_id)
            .where(ApplicationDelivery.application_id.in_(made))
        )
        for delivery_id, application in rows.tuples():
            document = await application_document(session, application, settings.issuer)
            documents[delivery_id] = msgspec.json.encode(document)
    return Deliveries(list(documents), documents, made)


async def _bare(url: str, secret: str, deliveries: Deliveries, concurrency: int) -> int:
    """The baseline: one token, then every document posted with the relay's headers."""
    from xinyidai.domain.applications.relay import DELIVERY_HEADER, IDEMPOTENCY_HEADER, USER_AGENT

    delivered = 0
    async with httpx.AsyncClient(timeout=30, headers={"User-Agent": USER_AGENT}) as client:
        answer = await client.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(INTAKE_CLIENT_ID, secret),
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]

        async def post(delivery_id: UUID) -> None:
            nonlocal delivered
            response = await client.post(
                f"{url}/intake/applications",
                content=deliveries.documents[delivery_id],
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    IDEMPOTENCY_HEADER: str(delivery_id),
                    DELIVERY_HEADER: str(delivery_id),
                },
            )
            if response.is_success:
                delivered += 1

        await _pool(deliveries.ids, concurrency, post)
    return delivered


async def _ours(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    deliveries: Deliveries,
    concurrency: int,
) -> int:
    """The relay delivering each outbox row; how many ended ``delivered``."""
    from xinyidai.domain.applications.relay import ApplicationRelay
    from xinyidai.domain.applications.vocabulary import OutboxStatus
    from xinyidai.infra.crypto import FieldCipher

    relay = ApplicationRelay(settings, FieldCipher(settings.data_key_bytes))
    delivered = 0

    async def deliver(delivery_id: UUID) -> None:
        nonlocal delivered
        if await relay.deliver(sessions, delivery_id) is OutboxStatus.DELIVERED:
            delivered += 1

    try:
        await _pool(deliveries.ids, concurrency, deliver)
    finally:
        await relay.aclose()
    return delivered


def _profiled(work: Callable[[], Awaitable[T]]) -> Awaitable[T]:
    """``work()``, under cProfile when ``BENCH_RELAY_PROFILE`` names a file for the stats."""
    target = os.environ.get("BENCH_RELAY_PROFILE", "").strip()
    if not target:
        return work()
    import cProfile

    async def profiled() -> T:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return await work()
        finally:
            profiler.disable()
            profiler.dump_stats(target)

    return profiled()


@dataclass(frozen=True, slots=True)
class Side:
    delivered: int  # answered 2xx (bare) / ended ``delivered`` (ours)
    accepted: int  # new applications the intake counted
    seconds: float
    cpu: dict[str, float]


async def _side(url: str, meter: CpuMeter, work: Callable[[], Awaitable[int]]) -> Side:
    async with httpx.AsyncClient(base_url=url, timeout=10) as control:
        (await control.post("/_sandbox/reset")).raise_for_status()  # keys and tokens forgotten
        meter.start()
        started = time.perf_counter()
        delivered = await work()
        seconds = time.perf_counter() - started
        cpu = meter.stop()
        accepted = int((await control.get("/_sandbox/intake")).json()["accepted"])
    return Side(delivered, accepted, seconds, cpu)


async def _measure(
    settings: Settings, seed: ApplySeed, scenario: RelayScenario, url: str, secret: str, port: int
) -> tuple[Side, Side, int]:
    """The applications and documents, then the baseline and the relay on the same deliveries;
    and how many of the applications the relay moved to ``delivered``."""
    from sqlalchemy import func, select

    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.models import Application

    assert settings.database_url
    count, concurrency = relay_deliveries(scenario), scenario.concurrency
    engine = create_engine(settings, settings.database_url)
    sessions = session_factory(engine)  # no queue: the outbox rows' jobs are not sent
    try:
        await _configure_intake(sessions, settings, seed, url, secret)
        started = time.monotonic()
        deliveries = await _applications(sessions, settings, seed, count)
        console.print(
            f"  {len(deliveries.ids):,} applications submitted and their documents built in "
            f"{time.monotonic() - started:.1f} s (not measured)"
        )
        meter = CpuMeter(port)
        raw = await _side(url, meter, lambda: _bare(url, secret, deliveries, concurrency))
        ours = await _side(
            url,
            meter,
            lambda: _profiled(lambda: _ours(sessions, settings, deliveries, concurrency)),
        )
        async with sessions() as session:
            moved = await session.scalar(
                select(func.count())
                .select_from(Application)
                .where(
                    Application.id.in_(deliveries.applications),
                    Application.status == "delivered",
                )
            )
    finally:
        await engine.dispose()
    return raw, ours, int(moved or 0)


def run_relay_scenario(ctx: Context, scenario: RelayScenario) -> ImportRow:
    """The ``relay_delivery`` row: deliveries/s of both sides, as a row of the results table."""
    from xinyidai.infra.logging import configure_logging
    from xinyidai.sandbox.process import sandbox_bank

    count = relay_deliveries(scenario)
    console.print(
        f"[bold]{scenario.name}[/bold]: {count:,} deliveries to a sandbox bank's intake, "
        f"{scenario.concurrency} at once: the relay vs bare httpx"
    )
    seed = apply_seed(ctx)
    # Loopback over http: the sandbox bank (production refuses both; the bench is not it).
    settings = settings_of(ctx, webhook_allow_http=True, webhook_allow_private=True)
    configure_logging("WARNING")  # the relay logs a line per attempt; the bench prints its own
    port = free_port()
    secret = secrets.token_urlsafe(24)
    # The sandbox wants the platform's webhook keys; this row sends it no webhook.
    jwks = ctx.workdir / "relay-platform-jwks.json"
    jwks.write_text('{"keys": []}')
    with sandbox_bank(
        port,
        platform_jwks_file=str(jwks),
        intake_client_id=INTAKE_CLIENT_ID,
        intake_client_secret=secret,
    ) as url:
        raw, ours, moved = asyncio.run(_measure(settings, seed, scenario, url, secret, port))
    for side, numbers in (("relay", ours), ("bare httpx", raw)):
        console.print(
            f"  {side}: {numbers.delivered:,} delivered in {numbers.seconds:.2f} s "
            f"({numbers.delivered / numbers.seconds:,.0f}/s), intake accepted "
            f"{numbers.accepted:,}; CPU: client {numbers.cpu['client_cpu_s']} s, sandbox bank "
            f"{numbers.cpu['sandbox_cpu_s']} s"
        )
    if raw.delivered != count or raw.accepted != count:
        raise BenchError(
            f"{scenario.name}: the baseline delivered {raw.delivered} of {count} "
            f"(the intake accepted {raw.accepted})"
        )
    return ImportRow(
        scenario=scenario,
        app=Throughput(ours.delivered, ours.seconds),
        baseline=Throughput(raw.delivered, raw.seconds),
        info={},
        # The row fails unless every delivery was delivered, accepted once, and moved its
        # application (ImportRow compares ``accepted`` with the app's count).
        counts={
            "accepted": ours.delivered if ours.accepted == moved == count else -1,
            "deliveries": count,
            "intake_accepted": ours.accepted,
            "applications_delivered": moved,
        },
    )
