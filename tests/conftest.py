"""Fixtures: real PostgreSQL and Redis, the app, HTTP clients and logged-in users."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.engines import SuiteEngines, start_engines, with_database
from xinyidai.app import create_app
from xinyidai.domain.accounts.services import AccountService
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, CSRF_HEADER
from xinyidai.domain.banks.services import BankService
from xinyidai.domain.enterprises.schemas import EnterpriseCreate
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.db import commit, create_engine, session_factory
from xinyidai.models import (
    Bank,
    DataAuthorization,
    Enterprise,
    EnterpriseClaim,
    PublicRecord,
    Role,
    User,
)
from xinyidai.settings import Env, Settings
from xinyidai.simulation.registry import make_resident_id, make_uscc

pytest_plugins = [
    "tests.provider_fixtures",
    "tests.identity_fixtures",
    "tests.oauth_fixtures",
    "tests.bank_fixtures",
]

PASSWORD = "Correct-Horse-42"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``), slow tests are handed out first, so that the longest
    ones run beside the many quick ones instead of ending the run alone (``--dist loadfile``
    keeps each file on one worker, so a module-scoped fixture is built once)."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def engines() -> Iterator[SuiteEngines]:
    started = start_engines()
    try:
        yield started
    finally:
        started.stop()


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (across processes) for the block."""
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A directory named ``name`` that all processes of this test run share: under
    pytest-xdist its workers' temporary directories have one parent; without it, this process's
    own temporary directory."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model bundle, trained once per test run on a small simulated city (under
    pytest-xdist, by the first worker that needs it, while the others wait for it)."""
    from xinyidai_ml.train import train_quick_bundle

    target = run_shared(tmp_path_factory, "quick-model")
    with _exclusive(target.with_suffix(".lock")):
        if not (target / "manifest.json").exists():
            train_quick_bundle(target)
    return target


@pytest.fixture
async def database_url(engines: SuiteEngines) -> AsyncIterator[str]:
    name = await engines.fresh_database()
    try:
        yield with_database(engines.database_url, name)
    finally:
        await engines.drop_database(name)


@pytest.fixture
async def redis_url(engines: SuiteEngines) -> str:
    client = Redis.from_url(engines.redis_url)
    await client.flushdb()
    await client.aclose()
    return engines.redis_url


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    # The job worker runs only in the tests that exercise jobs (see ``worker_app``).
    return Settings(
        env=Env.TEST, database_url=database_url, redis_url=redis_url, worker_in_process=False
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as c:
        yield c


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test database for arranging data; the caller commits."""
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on the test database, for job bodies that open their own sessions."""
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    yield session_factory(engine)
    await engine.dispose()


async def no_queue(*_: object, **__: object) -> None:
    """An ``enqueue`` that queues nothing: for running a job body by hand."""
    return None


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


# --- building a small world ---------------------------------------------------------------------
_seq = iter(range(10_000_000))


def enterprise_payload(**overrides: Any) -> dict[str, Any]:
    import random

    rng = random.Random(next(_seq))
    district = overrides.pop("district_code", "440106")
    payload = {
        "name": f"广州测试{rng.randrange(10**6):06d}科技有限公司",
        "uscc": make_uscc(rng, district),
        "legal_rep_name": "张伟",
        "legal_rep_id_number": make_resident_id(rng, district),
        "registered_capital": "1000000.00",
        "founded_on": "2015-06-01",
        "industry_division": "39",
        "district_code": district,
    }
    payload.update(overrides)
    return payload


@dataclass
class World:
    """Arranges enterprises, banks and users directly through the services."""

    session: AsyncSession
    redis: Redis
    settings: Settings

    @property
    def cipher(self) -> FieldCipher:
        return FieldCipher(self.settings.data_key_bytes)

    async def enterprise(self, **overrides: Any) -> Enterprise:
        payload = enterprise_payload(**overrides)
        payload["registered_capital"] = Decimal(payload["registered_capital"])
        payload["founded_on"] = dt.date.fromisoformat(payload["founded_on"])
        ent = await EnterpriseService(self.session, self.cipher).register(
            EnterpriseCreate(**payload)
        )
        await self.session.commit()
        return ent

    async def bank(self, code: str, name: str | None = None) -> Bank:
        bank = await BankService(self.session).create(name=name or f"{code} bank", short_code=code)
        await self.session.commit()
        return bank

    async def user(
        self,
        email: str,
        role: Role,
        org: str | None = None,
        password: str = PASSWORD,
        *,
        verified: bool = True,
    ) -> User:
        """A user; an SME user claims the enterprise ``org`` and, unless ``verified=False``,
        has that claim verified as if its legal representative had confirmed it at the
        identity service (the flow itself is tested in tests/domain/verification)."""
        accounts = AccountService(self.session, self.redis, self.settings, self.cipher)
        user = await accounts.create_user(
            email=email, password=password, display_name=email, role=role, org=org
        )
        if role is Role.SME and verified:
            await self.verify(user.id)
        await self.session.commit()
        await self.session.refresh(user)
        return user

    async def verify(self, user_id: UUID) -> EnterpriseClaim:
        """Accept the user's pending claim with the identity its licence would state."""
        from sqlalchemy import select

        from xinyidai.domain.verification.identity import VerifiedIdentity
        from xinyidai.domain.verification.services import ClaimService

        claim = await self.session.scalar(
            select(EnterpriseClaim).where(EnterpriseClaim.user_id == user_id)
        )
        assert claim is not None
        identity = VerifiedIdentity(
            issuer="https://identity.test",
            subject=f"sub-{user_id}",
            uscc=claim.uscc,
            enterprise_name=claim.name,
            legal_rep_name=claim.legal_rep_name,
            legal_rep_id_masked=claim.legal_rep_id_masked,
            token_id=f"jti-{next(_seq)}",
            expires_at=2**31,
        )
        claim = await ClaimService(self.session, self.redis).accept(claim.id, identity)
        await commit(self.session)  # and then the sessions of the user see the change
        return claim

    async def record(self, uscc: str, **overrides: Any) -> PublicRecord:
        """A public credit record about ``uscc`` (an administrative penalty unless told)."""
        n = next(_seq)
        values: dict[str, Any] = {
            "uscc": uscc,
            "subject_name": "测试主体",
            "record_type": "admin_penalty",
            "severity": "general",
            "document_no": f"穗罚字〔2025〕{n}号",
            "decision_date": dt.date.today() - dt.timedelta(days=90),
            "publish_until": dt.date.today() + dt.timedelta(days=270),
            "authority": "广州市市场监督管理局",
            "description": "未按规定公示年度报告",
            "source": "test",
            "provider_ref": f"test#{n}",
            "fetched_at": dt.datetime.now(dt.UTC),
            "content_hash": f"{n:064d}",
        }
        values.update(overrides)
        record = PublicRecord(**values)
        self.session.add(record)
        await self.session.commit()
        return record

    async def authorize(
        self, enterprise_id: UUID, families: list[str], user_id: UUID, days: int = 180
    ) -> DataAuthorization:
        now = dt.datetime.now(dt.UTC)
        auth = DataAuthorization(
            enterprise_id=enterprise_id,
            reference=f"AUTH-TEST{next(_seq):08d}",
            families=families,
            purpose="测试授权",
            granted_by=user_id,
            expires_at=now + dt.timedelta(days=days),
        )
        self.session.add(auth)
        await self.session.commit()
        return auth


@pytest.fixture
def world(db: AsyncSession, redis: Redis, settings: Settings) -> World:
    return World(db, redis, settings)


async def login(
    client: AsyncTestClient[Litestar], email: str, password: str = PASSWORD
) -> dict[str, Any]:
    """Log in; afterwards the client sends the session cookie and the CSRF header."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.headers[CSRF_HEADER] = response.cookies.get(CSRF_COOKIE) or response.json()["csrf_token"]
    me: dict[str, Any] = response.json()
    return me


@pytest.fixture
def login_as() -> Callable[..., Awaitable[dict[str, Any]]]:
    return login
