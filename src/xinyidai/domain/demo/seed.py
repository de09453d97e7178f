"""``xinyidai demo seed``: load the demo city into an empty database (development only)."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.dates import china_today, utc_now
from xinyidai.domain.accounts.services import AccountService
from xinyidai.domain.banks.services import BankService
from xinyidai.domain.demo.city import BANKS, demo_enterprises, demo_public_records
from xinyidai.domain.enterprises.schemas import EnterpriseCreate
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.enums import Family
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.errors import Forbidden
from xinyidai.models import ClaimStatus, DataAuthorization, Enterprise, EnterpriseClaim, Role, User
from xinyidai.settings import Env, Settings
from xinyidai.simulation.registry import Firm

log = structlog.get_logger(__name__)

DEMO_PASSWORD = "Xinyidai-Demo-2026"  # noqa: S105 - published demo login


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: Role
    email: str
    organisation: str


@dataclass(frozen=True, slots=True)
class SeedReport:
    created: bool
    enterprises: int
    banks: int
    logins: list[DemoLogin]


async def _seed_public_records(session: AsyncSession, firms: list[Firm]) -> None:
    """The demo SMEs' simulated public records as of today, loaded through the office's
    import path."""
    from xinyidai.domain.credit_data.imports import import_public_credit
    from xinyidai.simulation.exports import write_csv

    with tempfile.TemporaryDirectory(prefix="xyd-demo-") as tmp:
        path = Path(tmp) / "demo-public-credit.csv"
        write_csv(path, demo_public_records(firms, china_today()), chinese_headers=True)
        report = await import_public_credit(session, path, filename=path.name)
    log.info("demo_public_records", accepted=report.accepted, rejected=len(report.rejected))


async def authorize_demo_city(session: AsyncSession) -> int:
    """Most verified demo SMEs authorize most families; some authorize few (as riskier firms
    do). Each is granted by the SME's verified owner; SMEs that already authorized something
    are left alone. Returns how many SMEs were given authorizations."""
    rng = random.Random(2026)
    now = utc_now()
    owners = (
        await session.execute(
            select(Enterprise.id, EnterpriseClaim.user_id)
            .join(EnterpriseClaim, EnterpriseClaim.enterprise_id == Enterprise.id)
            .where(EnterpriseClaim.status == ClaimStatus.VERIFIED)
            .order_by(Enterprise.uscc)
        )
    ).all()
    authorized = set(
        (await session.scalars(select(DataAuthorization.enterprise_id).distinct())).all()
    )
    families = [f.value for f in Family]
    added = 0
    for enterprise_id, owner_id in owners:
        share = rng.choice([1.0, 1.0, 0.85, 0.7, 0.5, 0.3])
        chosen = sorted(f for f in families if rng.random() < share) or ["tax"]
        days = rng.randrange(120, 360)
        reference = "AUTH-DEMO" + f"{rng.getrandbits(48):012X}"
        if enterprise_id in authorized:
            continue
        session.add(
            DataAuthorization(
                enterprise_id=enterprise_id,
                reference=reference,
                families=chosen,
                purpose="演示：申请信用贷款 (demo: credit application)",
                expires_at=now + dt.timedelta(days=days),
                granted_by=owner_id,
            )
        )
        added += 1
    await session.flush()
    return added


async def verify_demo_city(settings: Settings, *, concurrency: int = 8) -> int:
    """Verify every pending claim on a demo SME through the identity service at
    ``settings.identity_url``, the way its legal representative would: the same start, the
    same confirmation at the service (headless, with the licence holder's ID number, which the
    demo city knows), the same redemption and checks. Returns how many were verified."""
    import asyncio
    from urllib.parse import parse_qs, urlsplit

    import httpx

    from xinyidai.domain.accounts.guards import principal_of
    from xinyidai.domain.verification.identity import IdentityClient
    from xinyidai.domain.verification.services import ClaimService
    from xinyidai.infra.db import create_engine, session_factory, unit_of_work
    from xinyidai.infra.redis import create_redis
    from xinyidai.sandbox.legal_rep import confirm

    assert settings.database_url and settings.redis_url
    identity = IdentityClient.from_settings(settings)
    if identity is None:
        raise ValueError("verifying the demo city needs an identity service (IDENTITY_URL)")
    firms = {firm.uscc: firm for firm in demo_enterprises()}
    engine = create_engine(settings, settings.database_url)
    sessions = session_factory(engine)
    redis = create_redis(settings.redis_url)
    semaphore = asyncio.Semaphore(concurrency)
    verified = 0
    try:
        async with sessions() as session:
            pending = (
                await session.execute(
                    select(EnterpriseClaim.uscc, User)
                    .join(User, User.id == EnterpriseClaim.user_id)
                    .where(EnterpriseClaim.status == ClaimStatus.PENDING)
                    .where(EnterpriseClaim.uscc.in_(list(firms)))
                )
            ).all()

        async def one(uscc: str, user: User, browser: httpx.AsyncClient) -> None:
            nonlocal verified
            principal = principal_of(user)
            async with semaphore, unit_of_work(sessions) as session:
                claims = ClaimService(session, redis, identity)
                started = await claims.start(principal)
                back = await confirm(
                    browser,
                    started.authorization_url,
                    uscc=uscc,
                    id_number=firms[uscc].legal_rep_id_number,
                )
                answer = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
                await claims.complete(
                    principal,
                    state=answer["state"],
                    code=answer.get("code"),
                    error=answer.get("error"),
                    issuer=answer.get("iss"),
                )
            verified += 1

        async with httpx.AsyncClient(timeout=10) as browser, asyncio.TaskGroup() as group:
            for uscc, user in pending:  # the first failure cancels the rest
                group.create_task(one(uscc, user, browser))
    finally:
        await identity.aclose()
        await redis.aclose()
        await engine.dispose()
    log.info("demo_verified", claims=verified)
    return verified


async def sync_demo_city(settings: Settings, *, concurrency: int | None = None) -> dict[str, int]:
    """Fetch 36 months of every authorized family of every demo SME from the provider at
    ``settings.provider_url``, through the same sync path the jobs use, ``concurrency`` SMEs at
    once (unset: ``SYNC_CONCURRENCY``)."""
    from xinyidai.domain.credit_data.sync import execute_syncs, queue_sync
    from xinyidai.domain.providers.http import HttpDataProvider
    from xinyidai.infra.db import create_engine, session_factory, unit_of_work
    from xinyidai.infra.signing import Signer

    assert settings.database_url and settings.provider_url
    engine = create_engine(settings, settings.database_url)
    sessions = session_factory(engine)
    provider = HttpDataProvider.from_settings(settings)
    signer = Signer.from_settings(settings)

    async def no_queue(*_: object, **__: object) -> None:
        return None

    try:
        async with unit_of_work(sessions) as session:
            ids = (await session.scalars(select(DataAuthorization.enterprise_id).distinct())).all()
            runs = [
                await queue_sync(session, no_queue, enterprise_id, trigger="demo_seed")
                for enterprise_id in ids
            ]
            run_ids = [run.id for run in runs]
        done = await execute_syncs(
            sessions,
            provider,
            run_ids,
            signer=signer,
            concurrency=concurrency or settings.sync_concurrency,
        )
        added = sum(run.records_added for run in done if run is not None)
    finally:
        await provider.aclose()
        await engine.dispose()
    log.info("demo_synced", enterprises=len(run_ids), records=added)
    return {"enterprises": len(run_ids), "records": added}


def demo_logins() -> list[DemoLogin]:
    """The demo accounts (all with ``DEMO_PASSWORD``); the first SMEs and banks of the city."""
    firms = demo_enterprises(2)
    return [
        DemoLogin(Role.SME, "sme@demo.xinyidai.test", firms[0].name),
        DemoLogin(Role.SME, "sme2@demo.xinyidai.test", firms[1].name),
        DemoLogin(Role.BANK, "bank@demo.xinyidai.test", BANKS[0][1]),
        DemoLogin(Role.BANK, "bank2@demo.xinyidai.test", BANKS[1][1]),
        DemoLogin(Role.OFFICE, "office@demo.xinyidai.test", "信用办 Credit office"),
        DemoLogin(Role.ADMIN, "admin@demo.xinyidai.test", "平台 Platform"),
    ]


async def seed_demo(
    session: AsyncSession, redis: object, settings: Settings, count: int = 200
) -> SeedReport:
    """Create the demo city unless the registry already has enterprises. Does not commit."""
    if settings.env is Env.PRODUCTION:
        raise Forbidden("the demo seed is refused outside development")
    existing = await session.scalar(select(func.count()).select_from(Enterprise))
    if existing:
        return SeedReport(created=False, enterprises=int(existing), banks=0, logins=demo_logins())
    cipher = FieldCipher(settings.data_key_bytes)
    enterprises = EnterpriseService(session, cipher)
    firms = demo_enterprises(count)
    for firm in firms:
        await enterprises.register(
            EnterpriseCreate(
                name=firm.name,
                uscc=firm.uscc,
                legal_rep_name=firm.legal_rep_name,
                legal_rep_id_number=firm.legal_rep_id_number,
                registered_capital=firm.registered_capital,
                founded_on=firm.founded_on,
                industry_division=firm.industry_division,
                district_code=firm.district_code,
            )
        )
    banks = BankService(session)
    for code, name, english in BANKS:
        await banks.create(
            name=name,
            short_code=code,
            contact_name=english,
            contact_email=f"credit@{code.lower().replace('_', '-')}.demo.test",
            contact_phone="020-8888-0000",
        )
    accounts = AccountService(session, redis, settings, cipher)  # type: ignore[arg-type]
    orgs = {
        "sme@": firms[0].uscc,
        "sme2": firms[1].uscc,
        "bank@": BANKS[0][0],
        "bank2": BANKS[1][0],
    }
    for login in demo_logins():
        org = next((v for k, v in orgs.items() if login.email.startswith(k)), None)
        await accounts.create_user(
            email=login.email,
            password=DEMO_PASSWORD,
            display_name=login.email.split("@")[0],
            role=login.role,
            org=org,
            demo=True,
        )
    # Every other demo SME has an owner account too (no password one can log in with), whose
    # claim the demo verifies like the others: only verified SMEs authorize their data.
    for number, firm in enumerate(firms[2:], start=3):
        await accounts.create_user(
            email=f"owner-{number:03d}@demo.xinyidai.test",
            password=None,
            display_name=firm.legal_rep_name,
            role=Role.SME,
            org=firm.uscc,
            demo=True,
        )
    await _seed_public_records(session, firms)
    # No authorizations and no snapshots here: authorizations follow verification
    # (``verify_demo_city``, ``authorize_demo_city``), and the demo sync that follows builds one
    # snapshot per SME (even if the provider cannot be reached).
    log.info("demo_seeded", enterprises=len(firms), banks=len(BANKS))
    return SeedReport(created=True, enterprises=len(firms), banks=len(BANKS), logins=demo_logins())
