"""The SMEs and the bank behind the application rows (``app_submit``, ``relay_delivery``).

Seeded once per run through the platform's own services, after the authenticated rows' owner
(``bench/auth_seed.py``, whose quick model scores these SMEs too): a bank with one published
credit product, and :data:`SMES` verified SMEs, each as the demo city's are: registered, its
owner's claim accepted, the platform authorised to fetch ``tax`` (which builds a profile
snapshot), the snapshot scored. Each owner gets a session made directly in the platform's
session store (as the other rows' seeds do), so wrk sends real session cookies and CSRF tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from bench.auth_seed import auth_seed, register_enterprise, verified_owner
from bench.harness import BenchError, console
from bench.servers import Context

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.settings import Settings

SMES = 32  # one per wrk connection, as many as the relay row's tasks
BANK_CODE = "BENCH_APPLY"
FAMILIES = ("tax",)
CONSENT = ("tax", "score")  # what each application lets the bank read


def product_payload() -> dict[str, Any]:
    """A credit product the seeded SMEs may apply to (tax records required; no score or
    revenue rule, so the eligibility verdict is worked out in full for each)."""
    return {
        "name_zh": "信易贷·纯信用",
        "name_en": "Credit Easy Loan",
        "type": "credit",
        "summary_zh": "按纳税记录授信，无需抵押。",
        "summary_en": "Credit on your tax record, no collateral.",
        "amount_min": "100000",
        "amount_max": "3000000",
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_floor": "0.0345",
        "rate_ceiling": "0.0600",
        "rates_by_grade": {"AAA": "0.0345", "A": "0.0420", "BBB": "0.0500"},
        "repayment_methods": ["equal_instalment", "interest_first"],
        "guarantee": "none",
        "districts_served": [],
        "response_days": 3,
        "eligibility": {"required_families": ["tax"]},
    }


def application_body(product_id: UUID, n: int) -> dict[str, Any]:
    """The ``n``-th application's body (``POST /api/v1/applications``): amounts vary a little."""
    return {
        "product_id": str(product_id),
        "amount": f"{300_000 + (n % 50) * 10_000}.00",
        "term_months": 12,
        "purpose": "working_capital",
        "note": "采购原材料",
        "consent": {"families": list(CONSENT)},
    }


@dataclass(frozen=True, slots=True)
class Applicant:
    enterprise_id: UUID
    user_id: UUID
    cookie: str  # the Cookie header's value
    csrf: str  # the session's CSRF token (the x-csrf-token header)


@dataclass(frozen=True, slots=True)
class ApplySeed:
    bank_id: UUID
    product_id: UUID
    applicants: tuple[Applicant, ...]


_seeded: dict[Path, ApplySeed] = {}


def settings_of(ctx: Context, **changes: Any) -> Settings:
    """The bench's settings for in-process work on the run's engines."""
    from xinyidai.settings import Settings

    return Settings(
        database_url=ctx.env["DATABASE_URL"],
        redis_url=ctx.env["REDIS_URL"],
        secret_key=ctx.env["SECRET_KEY"],
        data_key=ctx.env["DATA_KEY"],
        **changes,
    )


def apply_seed(ctx: Context) -> ApplySeed:
    """The run's bank, product and applicants, created on first use (not measured)."""
    if ctx.workdir not in _seeded:
        from xinyidai.infra.logging import configure_logging

        configure_logging("WARNING")  # the services log every step; the bench prints its own
        auth_seed(ctx)  # its model scores the applicants
        console.print(f"[dim]seeding a bank with a product and {SMES} verified SMEs[/dim]")
        started = time.monotonic()
        _seeded[ctx.workdir] = asyncio.run(_seed(settings_of(ctx)))
        console.print(f"[dim]  seeded in {time.monotonic() - started:.1f} s[/dim]")
    return _seeded[ctx.workdir]


async def _seed(settings: Settings) -> ApplySeed:
    from redis.asyncio import Redis

    from xinyidai.infra.db import create_engine, session_factory

    assert settings.database_url and settings.redis_url
    engine = create_engine(settings, settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            bank_id, product_id = await _bank_and_product(session, redis)
        rng = random.Random(20261216)
        applicants = [await _applicant(sessions, redis, settings, rng, n) for n in range(SMES)]
    finally:
        await redis.aclose()
        await engine.dispose()
    return ApplySeed(bank_id, product_id, tuple(applicants))


async def _bank_and_product(session: AsyncSession, redis: Redis) -> tuple[UUID, UUID]:
    import msgspec

    from xinyidai.domain.banks.services import BankService
    from xinyidai.domain.products.schemas import ProductIn
    from xinyidai.domain.products.services import ProductService

    bank = await BankService(session).create(name="基准测试申请银行", short_code=BANK_CODE)
    await session.commit()
    product = await ProductService(session, redis).publish(
        bank.id, msgspec.convert(product_payload(), ProductIn)
    )
    await session.commit()
    return bank.id, product.id


async def _applicant(
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    settings: Settings,
    rng: random.Random,
    n: int,
) -> Applicant:
    """One verified SME owner, the platform authorised to fetch its tax records, its snapshot
    scored, and a session for the owner."""
    from xinyidai.domain.accounts.guards import check_session, principal_of
    from xinyidai.domain.accounts.sessions import SESSION_COOKIE, SessionStore
    from xinyidai.domain.consents.schemas import AuthorizationCreate
    from xinyidai.domain.consents.services import AuthorizationService
    from xinyidai.domain.profiles import snapshots
    from xinyidai.domain.scoring.services import score_snapshot
    from xinyidai.enums import Family
    from xinyidai.models import Role, User

    async with sessions() as session:
        enterprise_id, uscc = await register_enterprise(
            session, settings, rng, f"广州基准申请{n:03d}号科技有限公司"
        )
        user_id = await verified_owner(
            session, redis, settings, uscc, f"applicant{n:03d}@bench.example.com"
        )
        user = await session.get(User, user_id)
        if user is None:
            raise BenchError("the seeded applicant vanished")
        await AuthorizationService(session).grant(
            enterprise_id,
            AuthorizationCreate(
                families=[Family(f) for f in FAMILIES],
                purpose="基准测试：贷款申请",
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=180),
            ),
            principal_of(user),
        )
        await session.commit()
        snapshot = await snapshots.latest(session, enterprise_id)
        if snapshot is None or await score_snapshot(session, snapshot.id) is None:
            raise BenchError("an applicant's snapshot was not built or not scored")
        await session.commit()
    store = SessionStore(redis, settings.session_max_age)
    new = await store.create(str(user_id), Role.SME.value)
    # As its first request would: the record checked once against the user's row.
    await check_session(store, sessions, new.token, new.data, time.time())
    return Applicant(enterprise_id, user_id, f"{SESSION_COOKIE}={new.token}", new.data.csrf)
