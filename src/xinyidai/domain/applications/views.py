"""Applications as their readers see them: one builder of :class:`ApplicationOut` (and of the
document a bank's server receives) from the rows, loading what they name in a few queries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from sqlalchemy import select

from xinyidai.domain.applications.lifecycle import timeline
from xinyidai.domain.applications.schemas import (
    ApplicationDocument,
    ApplicationOut,
    Decision,
    EligibilityVerdict,
    LoanOut,
    TimelineEntry,
)
from xinyidai.domain.applications.vocabulary import ApplicationStatus, OutboxStatus
from xinyidai.domain.products.schemas import ProductType
from xinyidai.models import (
    Application,
    ApplicationDelivery,
    Bank,
    BankConsent,
    Enterprise,
    Loan,
    ProductVersion,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

NO_PRODUCT = {"name_zh": "融资需求对接", "name_en": "Financing need", "type": "credit"}
"""What an application from the needs pool shows where a product's name would be."""


CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal | None:
    """Yuan to the cent, as stored (an object not yet reloaded may hold more digits)."""
    return value.quantize(CENT) if value is not None else None


def rate(value: Decimal | None) -> Decimal | None:
    """A rate without trailing zeros (``0.0435``, not ``0.043500``)."""
    return value.normalize() if value is not None else None


def outstanding(loan: Loan) -> Decimal:
    return (
        (loan.disbursed_amount or Decimal(0))
        - loan.principal_repaid
        - (loan.loss_amount or Decimal(0))
    )


def loan_out(loan: Loan, status: ApplicationStatus | str) -> LoanOut:
    return LoanOut(
        id=loan.id,
        application_id=loan.application_id,
        bank_id=loan.bank_id,
        enterprise_id=loan.enterprise_id,
        amount=loan.amount.quantize(CENT),
        annual_rate=loan.annual_rate.normalize(),
        term_months=loan.term_months,
        unsecured=loan.unsecured,
        status=ApplicationStatus(status),
        approved_on=loan.approved_on,
        disbursed_amount=money(loan.disbursed_amount),
        disbursed_on=loan.disbursed_on,
        maturity_on=loan.maturity_on,
        principal_repaid=loan.principal_repaid.quantize(CENT),
        interest_paid=loan.interest_paid.quantize(CENT),
        outstanding=outstanding(loan).quantize(CENT),
        overdue_since=loan.overdue_since,
        overdue_amount=money(loan.overdue_amount),
        defaulted_on=loan.defaulted_on,
        loss_amount=money(loan.loss_amount),
        settled_on=loan.settled_on,
        recovered_amount=(loan.recovered_amount or Decimal(0)).quantize(CENT),
        pboc_funded=bool(loan.pboc_funded),
    )


def decision_of(a: Application) -> Decision | None:
    if a.decided_at is None:
        return None
    approved = a.approved_amount is not None
    return Decision(
        outcome="approve" if approved else "reject",
        amount=money(a.approved_amount),
        annual_rate=rate(a.approved_rate),
        term_months=a.approved_term_months,
        reason=a.reject_reason,
        note=a.decision_note,
        decided_at=a.decided_at,
    )


class Related(msgspec.Struct):
    enterprises: dict[UUID, Enterprise]
    banks: dict[UUID, Bank]
    versions: dict[UUID, ProductVersion]
    loans: dict[UUID, Loan]
    deliveries: dict[UUID, ApplicationDelivery]
    consents: dict[UUID, BankConsent]


async def related(session: AsyncSession, apps: Sequence[Application]) -> Related:
    async def by_id(model: Any, ids: set[UUID]) -> dict[UUID, Any]:
        if not ids:
            return {}
        return {
            row.id: row for row in await session.scalars(select(model).where(model.id.in_(ids)))
        }

    app_ids = [a.id for a in apps]
    loans = (
        {
            row.application_id: row
            for row in await session.scalars(select(Loan).where(Loan.application_id.in_(app_ids)))
        }
        if app_ids
        else {}
    )
    deliveries = (
        {
            row.application_id: row
            for row in await session.scalars(
                select(ApplicationDelivery).where(ApplicationDelivery.application_id.in_(app_ids))
            )
        }
        if app_ids
        else {}
    )
    return Related(
        enterprises=await by_id(Enterprise, {a.enterprise_id for a in apps}),
        banks=await by_id(Bank, {a.bank_id for a in apps}),
        versions=await by_id(
            ProductVersion, {a.product_version_id for a in apps if a.product_version_id}
        ),
        loans=loans,
        deliveries=deliveries,
        consents=await by_id(BankConsent, {a.consent_id for a in apps}),
    )


def _product(a: Application, r: Related) -> tuple[dict[str, Any], int]:
    if a.product_version_id is None:
        return NO_PRODUCT, 0
    version = r.versions[a.product_version_id]
    return version.content, version.version


def application_out(a: Application, r: Related) -> ApplicationOut:
    enterprise = r.enterprises[a.enterprise_id]
    content, version = _product(a, r)
    loan = r.loans.get(a.id)
    delivery = r.deliveries.get(a.id)
    return ApplicationOut(
        id=a.id,
        status=ApplicationStatus(a.status),
        status_at=a.status_at,
        submitted_at=a.created_at,
        enterprise_id=a.enterprise_id,
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc,
        bank_id=a.bank_id,
        bank_name=r.banks[a.bank_id].name,
        product_id=a.product_id,
        product_version_id=a.product_version_id,
        product_version=version,
        product_name_zh=content["name_zh"],
        product_name_en=content["name_en"],
        product_type=ProductType(content["type"]),
        amount=a.amount.quantize(CENT),
        term_months=a.term_months,
        purpose=a.purpose,
        note=a.note,
        eligibility=msgspec.convert(a.eligibility, EligibilityVerdict),
        grade=a.grade,
        consent_id=a.consent_id,
        need_claim_id=a.need_claim_id,
        delivery=OutboxStatus(delivery.status) if delivery is not None else None,
        decision=decision_of(a),
        loan=loan_out(loan, a.status) if loan is not None else None,
    )


async def outs(session: AsyncSession, apps: Sequence[Application]) -> list[ApplicationOut]:
    r = await related(session, apps)
    return [application_out(a, r) for a in apps]


async def detail(session: AsyncSession, a: Application) -> ApplicationOut:
    """One application with its timeline."""
    (out,) = await outs(session, [a])
    out.timeline = [
        TimelineEntry(
            from_status=e.from_status,
            to_status=e.to_status,
            actor=e.actor,
            at=e.at,
            detail=e.detail,
        )
        for e in await timeline(session, a.id)
    ]
    return out


def document(a: Application, r: Related, base_url: str) -> ApplicationDocument:
    """What the bank's server receives at its intake, and reads when it polls."""
    enterprise = r.enterprises[a.enterprise_id]
    content, version = _product(a, r)
    consent = r.consents[a.consent_id]
    loan = r.loans.get(a.id)
    base = base_url.rstrip("/")
    return ApplicationDocument(
        id=a.id,
        status=ApplicationStatus(a.status),
        submitted_at=a.created_at,
        enterprise={"uscc": enterprise.uscc, "name": enterprise.name},
        product={
            "id": str(a.product_id) if a.product_id else None,
            "version": version or None,
            "name": content["name_zh"],
            "type": content["type"],
            "need_claim_id": str(a.need_claim_id) if a.need_claim_id else None,
        },
        amount=a.amount.quantize(CENT),
        term_months=a.term_months,
        purpose=a.purpose,
        note=a.note,
        eligibility=msgspec.convert(a.eligibility, EligibilityVerdict),
        grade=a.grade,
        consent={
            "id": str(consent.id),
            "families": list(consent.families),
            "expires_at": consent.expires_at.isoformat(),
        },
        links={
            "profile": f"{base}/openapi/v1/profiles/{enterprise.uscc}",
            "decision": f"{base}/openapi/v1/applications/{a.id}/decision",
        },
        loan_id=loan.id if loan is not None else None,
    )


async def documents(
    session: AsyncSession, apps: Sequence[Application], base_url: str
) -> list[ApplicationDocument]:
    r = await related(session, apps)
    return [document(a, r, base_url) for a in apps]
