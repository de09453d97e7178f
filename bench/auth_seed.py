"""The logged-in SME owner behind the authenticated HTTP rows (``me``, ``profile``, ``score``).

Seeded once per run on the bench's database, through the platform's own services (as the test
suite's ``World`` does): an enterprise, its SME owner with the claim verified, a profile
snapshot, and a score from a quick model, registered and activated. The session is created
through the platform's session store, so wrk gets a real session cookie.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from bench.harness import BenchError, console
from bench.servers import Context

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.settings import Settings


@dataclass(frozen=True, slots=True)
class AuthSeed:
    enterprise_id: UUID
    user_id: UUID
    cookie: str  # the Cookie header's value

    def path(self, template: str) -> str:
        return template.format(enterprise_id=self.enterprise_id)


_seeded: dict[Path, AuthSeed] = {}
OWNER_EMAIL = "owner@bench.example.com"


def auth_seed(ctx: Context) -> AuthSeed:
    """The run's seeded owner, created on first use (not measured)."""
    if ctx.workdir not in _seeded:
        console.print("[dim]seeding a verified SME owner with a snapshot and a score[/dim]")
        _seeded[ctx.workdir] = asyncio.run(_seed(ctx))
    return _seeded[ctx.workdir]


async def _seed(ctx: Context) -> AuthSeed:
    from redis.asyncio import Redis

    from xinyidai.domain.accounts.guards import check_session
    from xinyidai.domain.accounts.sessions import SESSION_COOKIE, SessionStore
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.models import Role
    from xinyidai.settings import Settings

    settings = Settings(
        database_url=ctx.env["DATABASE_URL"],
        redis_url=ctx.env["REDIS_URL"],
        secret_key=ctx.env["SECRET_KEY"],
        data_key=ctx.env["DATA_KEY"],
    )
    engine = create_engine(settings, ctx.env["DATABASE_URL"])
    redis = Redis.from_url(ctx.env["REDIS_URL"])
    try:
        async with session_factory(engine)() as session:
            rng = random.Random(20261112)
            enterprise_id, uscc = await register_enterprise(
                session, settings, rng, "广州基准测试科技有限公司"
            )
            user_id = await verified_owner(session, redis, settings, uscc, OWNER_EMAIL)
            await _snapshot_and_score(session, enterprise_id, ctx.workdir / "auth-bundle")
        store = SessionStore(redis, settings.session_max_age)
        new = await store.create(str(user_id), Role.SME.value)
        # As its first request would: the record is checked against the user's row once, so
        # both servers find it current (the bare baseline does not check records itself).
        await check_session(store, session_factory(engine), new.token, new.data, time.time())
    finally:
        await redis.aclose()
        await engine.dispose()
    return AuthSeed(enterprise_id, user_id, f"{SESSION_COOKIE}={new.token}")


async def register_enterprise(
    session: AsyncSession, settings: Settings, rng: random.Random, name: str
) -> tuple[UUID, str]:
    """An enterprise registered with a USCC and legal representative drawn from ``rng``."""
    from xinyidai.domain.enterprises.schemas import EnterpriseCreate
    from xinyidai.domain.enterprises.services import EnterpriseService
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.simulation.registry import make_resident_id, make_uscc

    district = "440106"
    ent = await EnterpriseService(session, FieldCipher(settings.data_key_bytes)).register(
        EnterpriseCreate(
            name=name,
            uscc=make_uscc(rng, district),
            legal_rep_name="张伟",
            legal_rep_id_number=make_resident_id(rng, district),
            registered_capital=Decimal("1000000.00"),
            founded_on=dt.date(2015, 6, 1),
            industry_division="39",
            district_code=district,
        )
    )
    await session.commit()
    return ent.id, ent.uscc


async def verified_owner(
    session: AsyncSession, redis: Redis, settings: Settings, uscc: str, email: str
) -> UUID:
    """The SME owner: signed up with a claim on ``uscc``, the claim accepted as if the legal
    representative had confirmed it at the identity service (as tests/conftest.py does)."""
    from sqlalchemy import select

    from xinyidai.domain.accounts.services import AccountService
    from xinyidai.domain.verification.identity import VerifiedIdentity
    from xinyidai.domain.verification.services import ClaimService
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.infra.db import commit
    from xinyidai.models import EnterpriseClaim, Role

    accounts = AccountService(session, redis, settings, FieldCipher(settings.data_key_bytes))
    user = await accounts.create_user(
        email=email,
        password=secrets.token_urlsafe(24),  # never used: the session is made directly
        display_name="Bench owner",
        role=Role.SME,
        org=uscc,
    )
    await session.commit()
    claim = await session.scalar(select(EnterpriseClaim).where(EnterpriseClaim.user_id == user.id))
    if claim is None:
        raise BenchError("the seeded SME user has no enterprise claim")
    identity = VerifiedIdentity(
        issuer="https://identity.bench.invalid",
        subject=f"sub-{user.id}",
        uscc=claim.uscc,
        enterprise_name=claim.name,
        legal_rep_name=claim.legal_rep_name,
        legal_rep_id_masked=claim.legal_rep_id_masked,
        token_id=f"jti-{user.id}",
        expires_at=2**31,
    )
    await ClaimService(session, redis).accept(claim.id, identity)
    await commit(session)
    return user.id


async def _snapshot_and_score(session: AsyncSession, enterprise_id: UUID, bundle: Path) -> None:
    """A profile snapshot, and its score by a quick model registered and activated here."""
    from xinyidai.domain.profiles import snapshots
    from xinyidai.domain.scoring import registry
    from xinyidai.domain.scoring.services import score_snapshot
    from xinyidai_ml.train import train_quick_bundle

    # None when registration or verification already built an unchanged one: take the latest.
    snapshot = await snapshots.rebuild(session, enterprise_id, "bench")
    await session.commit()
    snapshot = snapshot or await snapshots.latest(session, enterprise_id)
    if snapshot is None:
        raise BenchError("no profile snapshot was built for the seeded enterprise")
    if not (bundle / "manifest.json").exists():
        console.print("[dim]training a quick model (not measured)[/dim]")
        await asyncio.to_thread(train_quick_bundle, bundle)
    registered = await registry.register(session, bundle, "bench")
    await registry.activate(session, registered.version, "bench", "bench: authenticated reads")
    await session.commit()
    if await score_snapshot(session, snapshot.id) is None:
        raise BenchError("the seeded snapshot was not scored")
    await session.commit()
