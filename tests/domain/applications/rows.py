"""Applications as ORM rows, until the submission service lands: an enterprise with a verified
user, a bank with a product and its version, the consent the SME grants the bank, the
application and its outbox row (all in one transaction, as the submission writes them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from xinyidai.dates import working_deadline
from xinyidai.domain.applications.relay import queue_delivery
from xinyidai.models import (
    Application,
    ApplicationDelivery,
    Bank,
    BankConsent,
    BankIntake,
    Enterprise,
    Product,
    ProductVersion,
    Role,
    User,
)

_n = count(1)


@dataclass
class Shop:
    """One bank's product, and one SME (with its verified user) that applies for it."""

    bank: Bank
    product: Product
    version: ProductVersion
    enterprise: Enterprise
    user: User


async def shop(world: World, bank: Bank | None = None, code: str = "BANK_A") -> Shop:
    bank = bank or await world.bank(code)
    n = next(_n)
    enterprise = await world.enterprise()
    user = await world.user(f"sme{n}@example.com", Role.SME, enterprise.uscc)
    product = Product(bank_id=bank.id, type="credit", version=1)
    world.session.add(product)
    await world.session.flush()
    version = ProductVersion(
        product_id=product.id,
        version=1,
        content={"name_zh": f"信用快贷{n}", "name_en": f"Quick credit {n}", "type": "credit"},
    )
    world.session.add(version)
    await world.session.commit()
    return Shop(bank, product, version, enterprise, user)


async def apply(
    session: AsyncSession, shop: Shop, *, amount: str = "500000.00", queue: bool = True
) -> tuple[Application, ApplicationDelivery]:
    """An application with its consent and outbox row in ``session``'s transaction (flushed,
    not committed), its delivery queued after the commit when ``queue`` and the session has a
    queue."""
    now = dt.datetime.now(dt.UTC)
    consent = BankConsent(
        enterprise_id=shop.enterprise.id,
        bank_id=shop.bank.id,
        families=["tax", "score"],
        purpose="application",
        channel="application",
        expires_at=now + dt.timedelta(days=180),
        granted_by=shop.user.id,
    )
    session.add(consent)
    await session.flush()
    n = next(_n)
    application = Application(
        enterprise_id=shop.enterprise.id,
        bank_id=shop.bank.id,
        product_id=shop.product.id,
        product_version_id=shop.version.id,
        consent_id=consent.id,
        submitted_by=shop.user.id,
        idempotency_key=f"key-{n}",
        request_hash=f"{n:064d}",
        amount=Decimal(amount),
        term_months=12,
        purpose="working_capital",
        eligible=True,
        eligibility={"eligible": True, "unmet": []},
        grade="B",
        product_type=shop.product.type,
        industry_section=shop.enterprise.industry_section,
        district_code=shop.enterprise.district_code,
        response_days=3,
        respond_by=working_deadline(now, 3),
        status_at=now,
    )
    session.add(application)
    await session.flush()
    delivery = ApplicationDelivery(
        application_id=application.id, bank_id=shop.bank.id, next_attempt_at=now
    )
    session.add(delivery)
    await session.flush()
    if queue:
        queue_delivery(session, delivery.id)
    return application, delivery


async def give_intake(
    world: World, bank_id: UUID, base_url: str, *, client_id: str, secret: str
) -> None:
    """Register the bank's intake as rows (the API's checks are tested in test_intakes)."""
    from xinyidai.domain.applications.intakes import secret_binding

    world.session.add(
        BankIntake(
            bank_id=bank_id,
            intake_url=f"{base_url}/intake",
            token_url=f"{base_url}/token",
            client_id=client_id,
            client_secret=world.cipher.encrypt(secret, secret_binding(bank_id)),
            scope="applications.write",
        )
    )
    await world.session.commit()
