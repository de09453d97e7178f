"""Loans as rows, in bulk: disbursed loans of a few banks to a few enterprises, spread over
months, products, districts and grades, some overdue, some defaulted, some settled. Written
with Core inserts (each loan with its approved application), so thousands take a moment."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from uuid_utils.compat import uuid7

from tests.conftest import World
from tests.domain.applications.rows import Shop, shop
from xinyidai.models import Application, Bank, BankConsent, Loan

PRODUCT_TYPES = ("credit", "tax_based", "utility_based", "receivables")
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", None)


@dataclass
class Book:
    """The arranged loans: the banks, one shop (enterprise with a product) per bank, and the
    loans' rows as inserted."""

    banks: list[Bank]
    shops: list[Shop]
    loans: list[dict[str, Any]]


async def book(world: World, n: int, *, first: dt.date, days: int = 180, seed: int = 7) -> Book:
    """``n`` disbursed loans from ``first`` over ``days`` days, from two banks."""
    rng = random.Random(seed)
    banks = [await world.bank("BANK_A", "工商银行广州分行"), await world.bank("BANK_B")]
    shops = [await shop(world, bank) for bank in banks for _ in range(2)]
    now = dt.datetime.now(dt.UTC)
    consents: dict[int, Any] = {}
    for i, s in enumerate(shops):
        consent = BankConsent(
            enterprise_id=s.enterprise.id,
            bank_id=s.bank.id,
            families=["tax"],
            purpose="application",
            channel="application",
            expires_at=now + dt.timedelta(days=180),
            granted_by=s.user.id,
        )
        world.session.add(consent)
        await world.session.flush()
        consents[i] = consent.id
    applications: list[dict[str, Any]] = []
    loans: list[dict[str, Any]] = []
    for k in range(n):
        i = rng.randrange(len(shops))
        s = shops[i]
        amount = Decimal(rng.randrange(50_000, 5_000_000)) + Decimal(rng.randrange(100)) / 100
        rate = Decimal(rng.randrange(25_000, 90_000)) / Decimal(1_000_000)
        disbursed_on = first + dt.timedelta(days=rng.randrange(days))
        dims = {
            "product_type": rng.choice(PRODUCT_TYPES),
            "industry_section": rng.choice("CFI"),
            "district_code": rng.choice(("440106", "440104", "440113")),
            "grade": rng.choice(GRADES),
        }
        application_id = uuid7()
        applications.append(
            {
                "id": application_id,
                "enterprise_id": s.enterprise.id,
                "bank_id": s.bank.id,
                "product_id": s.product.id,
                "product_version_id": s.version.id,
                "consent_id": consents[i],
                "submitted_by": s.user.id,
                "idempotency_key": f"book-{seed}-{k}",
                "request_hash": f"{k:064d}",
                "status": "disbursed",
                "amount": amount,
                "term_months": 12,
                "purpose": "working_capital",
                "eligible": True,
                "eligibility": {"eligible": True, "unmet": []},
                "status_at": now,
                "response_days": 3,
                "respond_by": now,
                "created_at": now,
                "updated_at": now,
                **dims,
            }
        )
        fate = rng.random()
        repaid = (amount * Decimal(rng.randrange(0, 50)) / 100).quantize(Decimal("0.01"))
        loan: dict[str, Any] = {
            "id": uuid7(),
            "application_id": application_id,
            "bank_id": s.bank.id,
            "enterprise_id": s.enterprise.id,
            "product_id": s.product.id,
            "amount": amount,
            "annual_rate": rate,
            "term_months": 12,
            "unsecured": rng.random() < 0.7,
            "approved_on": disbursed_on - dt.timedelta(days=2),
            "disbursed_amount": amount,
            "disbursed_on": disbursed_on,
            "maturity_on": disbursed_on + dt.timedelta(days=365),
            "principal_repaid": repaid,
            "interest_paid": (repaid * rate).quantize(Decimal("0.01")),
            "overdue_since": None,
            "overdue_amount": None,
            "defaulted_on": None,
            "loss_amount": None,
            "settled_on": None,
            "first_time": rng.random() < 0.3,
            "created_at": now,
            "updated_at": now,
            **dims,
        }
        if fate < 0.08:
            loan["defaulted_on"] = disbursed_on + dt.timedelta(days=90)
            loan["loss_amount"] = amount - repaid
        elif fate < 0.15:
            loan["overdue_since"] = disbursed_on + dt.timedelta(days=60)
            loan["overdue_amount"] = (amount / 10).quantize(Decimal("0.01"))
        loans.append(loan)
    for start in range(0, n, 2000):
        await world.session.execute(insert(Application), applications[start : start + 2000])
        await world.session.execute(insert(Loan), loans[start : start + 2000])
    await world.session.commit()
    return Book(banks, shops, loans)
