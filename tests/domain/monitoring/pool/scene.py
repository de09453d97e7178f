"""A pool scene: banks A and B with a user each, the credit office, an SME user; loans approved
by a bank as rows (the decision flow is tested in tests/domain/applications), and everything
after that (disbursement, default, recovery, claims, approvals) through the HTTP API, as each
party does it."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World
from xinyidai.dates import working_deadline
from xinyidai.domain.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore
from xinyidai.models import (
    Application,
    Bank,
    BankConsent,
    Enterprise,
    Loan,
    Product,
    ProductVersion,
    Role,
    User,
)

_n = count(1)
APPROVED_ON = dt.date(2025, 1, 2)


@dataclass
class Scene:
    client: AsyncTestClient[Litestar]
    world: World
    a: Bank
    b: Bank
    bank_a: User
    bank_b: User
    office: User
    sme: User
    sme_enterprise: Enterprise
    sessions: dict[UUID, tuple[str, str]] = field(default_factory=dict)

    async def act_as(self, user: User | None) -> None:
        self.client.cookies.clear()
        self.client.headers.pop(CSRF_HEADER, None)
        if user is None:
            return
        if user.id not in self.sessions:
            store = SessionStore(self.world.redis, self.world.settings.session_max_age)
            new = await store.create(str(user.id), Role(user.role).value)
            self.sessions[user.id] = (new.token, new.data.csrf)
        token, csrf = self.sessions[user.id]
        self.client.cookies.set(SESSION_COOKIE, token)
        self.client.headers[CSRF_HEADER] = csrf

    def user_of(self, bank: Bank) -> User:
        return self.bank_a if bank.id == self.a.id else self.bank_b

    async def loan(
        self,
        amount: str,
        *,
        bank: Bank | None = None,
        product_type: str = "credit",
        guarantee: str = "none",
        enterprise: Enterprise | None = None,
        district_code: str = "440106",
    ) -> Loan:
        """An approved loan of ``amount`` yuan (not yet disbursed), as rows."""
        bank = bank or self.a
        db = self.world.session
        enterprise = enterprise or await self.world.enterprise(district_code=district_code)
        product = Product(bank_id=bank.id, type=product_type, version=1)
        db.add(product)
        await db.flush()
        n = next(_n)
        version = ProductVersion(
            product_id=product.id,
            version=1,
            content={
                "name_zh": f"产品{n}",
                "name_en": f"Product {n}",
                "type": product_type,
                "guarantee": guarantee,
            },
        )
        now = dt.datetime.now(dt.UTC)
        consent = BankConsent(
            enterprise_id=enterprise.id,
            bank_id=bank.id,
            families=["tax"],
            purpose="application",
            channel="application",
            expires_at=now + dt.timedelta(days=90),
            granted_by=self.sme.id,
        )
        db.add_all([version, consent])
        await db.flush()
        application = Application(
            enterprise_id=enterprise.id,
            bank_id=bank.id,
            product_id=product.id,
            product_version_id=version.id,
            consent_id=consent.id,
            idempotency_key=f"pool-{n}",
            request_hash=f"{n:064d}",
            status="approved",
            amount=Decimal(amount),
            term_months=12,
            purpose="working_capital",
            eligible=True,
            eligibility={"eligible": True, "unmet": []},
            status_at=now,
            decided_at=now,
            approved_amount=Decimal(amount),
            approved_rate=Decimal("0.04"),
            approved_term_months=12,
            product_type=product_type,
            industry_section=enterprise.industry_section,
            district_code=enterprise.district_code,
            response_days=3,
            respond_by=working_deadline(now, 3),
            response_working_days=Decimal("0.00"),
        )
        db.add(application)
        await db.flush()
        loan = Loan(
            application_id=application.id,
            bank_id=bank.id,
            enterprise_id=enterprise.id,
            product_id=product.id,
            amount=Decimal(amount),
            annual_rate=Decimal("0.04"),
            term_months=12,
            unsecured=guarantee == "none",
            approved_on=APPROVED_ON,
            product_type=product_type,
            industry_section=enterprise.industry_section,
            district_code=enterprise.district_code,
        )
        db.add(loan)
        await db.commit()
        return loan

    async def event(
        self, loan: Loan, body: dict[str, Any], *, key: str | None = None
    ) -> httpx.Response:
        """The lending bank's user reports a loan event in the portal."""
        bank = self.a if loan.bank_id == self.a.id else self.b
        await self.act_as(self.user_of(bank))
        return await self.client.post(
            f"/api/v1/banks/{bank.id}/loans/{loan.id}/events",
            json=body,
            headers={"Idempotency-Key": key or secrets.token_hex(8)},
        )

    async def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    async def disburse(
        self, loan: Loan, on: str = "2025-03-03", amount: str | None = None, **extra: Any
    ) -> None:
        body = {"kind": "disbursed", "occurred_on": on, "amount": amount or str(loan.amount)}
        await self.ok(await self.event(loan, body | extra))

    async def default(self, loan: Loan, loss: str, on: str = "2025-09-01") -> None:
        await self.ok(
            await self.event(loan, {"kind": "default", "occurred_on": on, "amount": loss})
        )

    async def recover(self, loan: Loan, amount: str, on: str = "2025-10-01") -> httpx.Response:
        return await self.event(loan, {"kind": "recovery", "occurred_on": on, "amount": amount})

    async def registered(self, loan: Loan) -> dict[str, Any]:
        """The loan's registration as the office reads it."""
        await self.act_as(self.office)
        page = await self.ok(
            await self.client.get("/api/v1/office/pool/registrations", params={"limit": 200})
        )
        found = [r for r in page["items"] if r["loan_id"] == str(loan.id)]
        assert len(found) == 1, found
        return dict(found[0])

    async def file(self, loan: Loan) -> httpx.Response:
        bank = self.a if loan.bank_id == self.a.id else self.b
        await self.act_as(self.user_of(bank))
        return await self.client.post(
            f"/api/v1/banks/{bank.id}/pool/claims", json={"loan_id": str(loan.id)}
        )

    async def office_post(self, path: str, json: Any = None) -> httpx.Response:
        await self.act_as(self.office)
        return await self.client.post(f"/api/v1/office/pool{path}", json=json)

    async def office_get(self, path: str, **params: Any) -> Any:
        await self.act_as(self.office)
        return await self.ok(await self.client.get(f"/api/v1/office/pool{path}", params=params))

    async def year(self, year: int = 2025) -> dict[str, Any]:
        years = await self.office_get("/years")
        found = [y for y in years if y["year"] == year]
        assert found, years
        return dict(found[0])

    async def volume(self, bank: Bank | None = None, amount: str = "29000000.00") -> Loan:
        """A large performing registered loan: keeps the bank's loss rate low."""
        loan = await self.loan(amount, bank=bank)
        await self.disburse(loan)
        return loan

    async def compensated(self, amount: str, loss: str) -> tuple[Loan, dict[str, Any]]:
        """A loan registered, defaulted, claimed and approved (with volume beside it)."""
        await self.volume()
        loan = await self.loan(amount)
        await self.disburse(loan)
        await self.default(loan, loss)
        claim = await self.ok(await self.file(loan), 201)
        approved = await self.ok(await self.office_post(f"/claims/{claim['id']}/approve"))
        return loan, approved


async def build(client: AsyncTestClient[Litestar], world: World) -> Scene:
    a = await world.bank("BANK_A", "Bank A")
    b = await world.bank("BANK_B", "Bank B")
    enterprise = await world.enterprise()
    return Scene(
        client=client,
        world=world,
        a=a,
        b=b,
        bank_a=await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A"),
        bank_b=await world.user("staff@bank-b.example.com", Role.BANK, "BANK_B"),
        office=await world.user("office@example.com", Role.OFFICE),
        sme=await world.user("owner@example.com", Role.SME, enterprise.uscc),
        sme_enterprise=enterprise,
    )
