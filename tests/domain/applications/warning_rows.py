"""Rows for post-loan warning tests, written directly with the ORM: a bank (with a webhook URL
and a user), an SME (with a verified user and an authorization of its tax and social-insurance
data), a product and its version, and an application with its consent and its loan in any
status. The applications' services are tested elsewhere; these tests need only their rows."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.conftest import World
from xinyidai.dates import CHINA_TZ, china_today, utc_now, working_deadline
from xinyidai.domain.applications.vocabulary import ApplicationStatus
from xinyidai.models import (
    Application,
    Bank,
    BankConsent,
    CreditScore,
    DataAuthorization,
    Enterprise,
    Loan,
    LoanEvent,
    ModelVersion,
    Product,
    ProductVersion,
    ProfileSnapshot,
    Role,
    SocialInsuranceMonthly,
    TaxMonthly,
    User,
    WebhookEndpoint,
)

_seq = itertools.count(1)
S = ApplicationStatus
ALL_FAMILIES = ("tax", "social_insurance", "score")
MODEL = "warnings-test"


@dataclass
class Lender:
    bank: Bank
    user: User
    product: Product
    version: ProductVersion


@dataclass
class Borrower:
    enterprise: Enterprise
    user: User
    authorization: DataAuthorization


@dataclass
class Lending:
    application: Application
    loan: Loan
    consent: BankConsent


def days_ago(days: int) -> dt.date:
    return china_today() - dt.timedelta(days=days)


def at_day(day: dt.date, hour: int = 12) -> dt.datetime:
    """An instant on a China business day."""
    return dt.datetime.combine(day, dt.time(hour), CHINA_TZ)


@dataclass
class WarningRows:
    world: World

    async def lender(self, code: str, *, webhook: bool = True) -> Lender:
        db = self.world.session
        bank = await self.world.bank(code)
        user = await self.world.user(
            f"staff@{code.lower().replace('_', '-')}.example.com", Role.BANK, code
        )
        if webhook:
            db.add(WebhookEndpoint(bank_id=bank.id, url=f"https://{code.lower()}.example.com/h"))
        product = Product(bank_id=bank.id, type="credit", version=1)
        db.add(product)
        await db.flush()
        version = ProductVersion(product_id=product.id, version=1, content={"name_zh": "信用贷"})
        db.add(version)
        await db.commit()
        return Lender(bank, user, product, version)

    async def borrower(self, email: str) -> Borrower:
        enterprise = await self.world.enterprise()
        user = await self.world.user(email, Role.SME, enterprise.uscc)
        authorization = await self.world.authorize(
            enterprise.id, ["tax", "social_insurance"], user.id
        )
        return Borrower(enterprise, user, authorization)

    async def lend(
        self,
        lender: Lender,
        borrower: Borrower,
        *,
        status: ApplicationStatus = S.DISBURSED,
        disbursed_on: dt.date | None = None,
        families: tuple[str, ...] = ALL_FAMILIES,
        consent_expires_in: dt.timedelta = dt.timedelta(days=90),
        revoked: bool = False,
        grade: str | None = "BBB",
        reported_at: dt.datetime | None = None,
    ) -> Lending:
        """An application for ``lender``'s product in ``status``, with its consent and (once
        approved) its loan, disbursed on ``disbursed_on`` (30 days ago unless told) when the
        status says the money went out; ``reported_at``: when the bank reported the
        disbursement (a loan event), if it did."""
        db = self.world.session
        now = utc_now()
        granted = now - dt.timedelta(days=60)
        consent = BankConsent(
            enterprise_id=borrower.enterprise.id,
            bank_id=lender.bank.id,
            families=list(families),
            purpose="application",
            channel="portal",
            expires_at=now + consent_expires_in,
            granted_by=borrower.user.id,
            revoked_at=now - dt.timedelta(days=1) if revoked else None,
            revoked_by=borrower.user.id if revoked else None,
            created_at=granted,
            updated_at=granted,
        )
        db.add(consent)
        await db.flush()
        n = next(_seq)
        application = Application(
            enterprise_id=borrower.enterprise.id,
            bank_id=lender.bank.id,
            product_id=lender.product.id,
            product_version_id=lender.version.id,
            consent_id=consent.id,
            submitted_by=borrower.user.id,
            idempotency_key=f"warnings-test-{n}",
            request_hash=f"{n:064d}",
            status=status.value,
            amount=Decimal("500000.00"),
            term_months=12,
            purpose="working_capital",
            eligible=True,
            eligibility={"eligible": True, "unmet": []},
            grade=grade,
            product_type=lender.product.type,
            industry_section=borrower.enterprise.industry_section,
            district_code=borrower.enterprise.district_code,
            response_days=3,
            respond_by=working_deadline(now, 3),
            status_at=now,
        )
        db.add(application)
        await db.flush()
        loan = await self._loan(application, status, disbursed_on)
        if reported_at is not None:
            assert loan.disbursed_on is not None and loan.disbursed_amount is not None
            db.add(
                LoanEvent(
                    loan_id=loan.id,
                    bank_id=loan.bank_id,
                    idempotency_key=f"disbursed-{n}",
                    request_hash=f"{n:064d}",
                    kind="disbursed",
                    occurred_on=loan.disbursed_on,
                    amount=loan.disbursed_amount,
                    created_at=reported_at,
                    updated_at=reported_at,
                )
            )
        lending = Lending(application, loan, consent)
        await db.commit()
        return lending

    async def _loan(
        self, application: Application, status: ApplicationStatus, disbursed_on: dt.date | None
    ) -> Loan:
        out = status in (S.DISBURSED, S.REPAYING, S.SETTLED, S.DEFAULTED)
        disbursed = (disbursed_on or days_ago(30)) if out else None
        loan = Loan(
            application_id=application.id,
            bank_id=application.bank_id,
            enterprise_id=application.enterprise_id,
            product_id=application.product_id,
            amount=Decimal("480000.00"),
            annual_rate=Decimal("0.0435"),
            term_months=12,
            unsecured=True,
            approved_on=(disbursed or china_today()) - dt.timedelta(days=3),
            disbursed_amount=Decimal("480000.00") if out else None,
            disbursed_on=disbursed,
            settled_on=china_today() if status is S.SETTLED else None,
            defaulted_on=china_today() if status is S.DEFAULTED else None,
            product_type=application.product_type,
            industry_section=application.industry_section,
            district_code=application.district_code,
            grade=application.grade,
            first_time=out,
        )
        self.world.session.add(loan)
        await self.world.session.flush()
        return loan

    async def month(
        self,
        borrower: Borrower,
        period: dt.date,
        *,
        tax_arrears: str = "0",
        si_arrears: str = "0",
    ) -> None:
        """One month of tax and social-insurance figures, with these arrears."""
        db = self.world.session
        common: dict[str, Any] = {
            "enterprise_id": borrower.enterprise.id,
            "period": period.replace(day=1),
            "source": "test",
            "provider_ref": f"test#{next(_seq)}",
            "fetched_at": utc_now(),
            "authorization_id": borrower.authorization.id,
        }
        db.add(
            TaxMonthly(
                **common,
                vat_sales=Decimal("100000.00"),
                tax_paid=Decimal("3000.00"),
                invoices_issued=20,
                invoices_received=15,
                arrears=Decimal(tax_arrears),
            )
        )
        db.add(
            SocialInsuranceMonthly(
                **common,
                insured_headcount=12,
                contributions=Decimal("24000.00"),
                arrears=Decimal(si_arrears),
            )
        )
        await db.commit()

    async def score(self, borrower: Borrower, grade: str, at: dt.datetime) -> CreditScore:
        """A snapshot of the borrower's profile scored ``grade`` at ``at`` (written directly:
        what scoring stores, without training a model)."""
        db = self.world.session
        if await db.get(ModelVersion, MODEL) is None:
            db.add(
                ModelVersion(
                    version=MODEL,
                    manifest={},
                    model_text="",
                    manifest_sha256="0" * 64,
                    model_sha256="0" * 64,
                    feature_hash="0" * 64,
                    created_at=utc_now(),
                    registered_by="test",
                )
            )
        n = next(_seq)
        snapshot = ProfileSnapshot(
            enterprise_id=borrower.enterprise.id,
            version=n,
            format="xinyidai.profile/1",
            content_hash=f"{n:064d}",
            as_of=at.date(),
            reason="test",
            content={"format": "xinyidai.profile/1"},
            created_at=at,
            updated_at=at,
        )
        db.add(snapshot)
        await db.flush()
        score = CreditScore(
            enterprise_id=borrower.enterprise.id,
            snapshot_id=snapshot.id,
            snapshot_version=n,
            model_version=MODEL,
            pd=Decimal("0.02"),
            score=600,
            grade=grade,
            reasons=[],
            features=[],
            created_at=at,
            updated_at=at,
        )
        db.add(score)
        await db.commit()
        return score
