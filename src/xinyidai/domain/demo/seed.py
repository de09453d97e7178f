"""``xinyidai demo seed``: load the demo city into an empty database (development only)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.services import AccountService
from xinyidai.domain.banks.services import BankService
from xinyidai.domain.demo.city import BANKS, demo_enterprises
from xinyidai.domain.enterprises.schemas import EnterpriseCreate
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.errors import Forbidden
from xinyidai.models import Enterprise, Role
from xinyidai.settings import Env, Settings

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
        )
    log.info("demo_seeded", enterprises=len(firms), banks=len(BANKS))
    return SeedReport(created=True, enterprises=len(firms), banks=len(BANKS), logins=demo_logins())
