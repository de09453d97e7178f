"""The bank behind the bank API rows (``bank_profile``, ``bank_token``).

Seeded once per run through the platform's own services, on top of the authenticated rows'
owner (``bench/auth_seed.py``): a bank, its OAuth client registered with a freshly generated
ES256 key (``private_key_jwt``, as ``xinyidai banks create-client`` does), the SME's
authorisation for the platform to fetch two families (which builds a new snapshot, scored here
with the run's model), and the SME's consent to the bank covering those families and its score.
The bank's DPoP key is generated here too; the platform learns it from the first token request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from joserfc.jwk import ECKey

from bench.auth_seed import auth_seed
from bench.harness import BenchError, console
from bench.servers import Context

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

BANK_CODE = "BENCH_BANK"
FAMILIES = ("tax", "electricity")


@dataclass(frozen=True, slots=True)
class BankSeed:
    uscc: str
    client_id: str
    client_key: ECKey  # signs the client assertions (its public part is registered)
    dpop_key: ECKey  # the key the bank's tokens are bound to

    def profile_path(self) -> str:
        return f"/openapi/v1/profiles/{self.uscc}"


_seeded: dict[Path, BankSeed] = {}


def bank_seed(ctx: Context) -> BankSeed:
    """The run's bank, client and consent, created on first use (not measured)."""
    if ctx.workdir not in _seeded:
        owner = auth_seed(ctx)
        console.print("[dim]seeding a bank, its client and the SME's consent[/dim]")
        _seeded[ctx.workdir] = asyncio.run(_seed(ctx, owner.enterprise_id, owner.user_id))
    return _seeded[ctx.workdir]


def new_key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


async def _seed(ctx: Context, enterprise_id: UUID, user_id: UUID) -> BankSeed:
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.settings import Settings

    settings = Settings(
        database_url=ctx.env["DATABASE_URL"],
        redis_url=ctx.env["REDIS_URL"],
        secret_key=ctx.env["SECRET_KEY"],
        data_key=ctx.env["DATA_KEY"],
    )
    engine = create_engine(settings, ctx.env["DATABASE_URL"])
    client_key, dpop_key = new_key(), new_key()
    try:
        async with session_factory(engine)() as session:
            client_id = await _bank_and_client(session, client_key)
            uscc = await _consent(session, enterprise_id, user_id)
    finally:
        await engine.dispose()
    return BankSeed(uscc, client_id, client_key, dpop_key)


async def _bank_and_client(session: AsyncSession, client_key: ECKey) -> str:
    from xinyidai.domain.banks.services import BankService
    from xinyidai.domain.oauth.clients import ClientService

    await BankService(session).create(name="基准测试银行", short_code=BANK_CODE)
    jwks = {"keys": [client_key.as_dict(private=False)]}
    registered = await ClientService(session).create(BANK_CODE, jwks=jwks, redirect_uris=[])
    await session.commit()
    return registered.client.client_id


async def _consent(session: AsyncSession, enterprise_id: UUID, user_id: UUID) -> str:
    """The SME authorises the platform to fetch ``FAMILIES`` (a new snapshot, scored), then
    consents to the bank reading them and its score; returns the SME's USCC."""
    from sqlalchemy import select

    from xinyidai.domain.accounts.guards import principal_of
    from xinyidai.domain.consents.bank_consents import BankConsentService
    from xinyidai.domain.consents.schemas import (
        AuthorizationCreate,
        BankConsentCreate,
        SharedData,
    )
    from xinyidai.domain.consents.services import AuthorizationService
    from xinyidai.domain.profiles import snapshots
    from xinyidai.domain.scoring.services import score_snapshot
    from xinyidai.enums import Family
    from xinyidai.models import Bank, ConsentPurpose, Enterprise, User

    user = await session.get(User, user_id)
    bank = await session.scalar(select(Bank).where(Bank.short_code == BANK_CODE))
    enterprise = await session.get(Enterprise, enterprise_id)
    if user is None or bank is None or enterprise is None:
        raise BenchError("the bank rows' seed lost its user, bank or enterprise")
    principal = principal_of(user)
    now = dt.datetime.now(dt.UTC)
    await AuthorizationService(session).grant(
        enterprise_id,
        AuthorizationCreate(
            families=[Family(f) for f in FAMILIES],
            purpose="基准测试：银行接口",
            expires_at=now + dt.timedelta(days=180),
        ),
        principal,
    )
    await session.commit()
    snapshot = await snapshots.latest(session, enterprise_id)
    if snapshot is None or await score_snapshot(session, snapshot.id) is None:
        raise BenchError("the bank rows' snapshot was not built or not scored")
    await session.commit()
    await BankConsentService(session).grant(
        enterprise_id,
        BankConsentCreate(
            bank_id=bank.id,
            families=[*(SharedData(f) for f in FAMILIES), SharedData.SCORE],
            purpose=ConsentPurpose.GENERAL,
            reference="流动资金贷款续贷评估",
        ),
        principal,
    )
    await session.commit()
    return enterprise.uscc
