"""What monitoring groups by is written with the application and its loan: the product type,
the enterprise's industry and district, the grade, the bank's committed response time, the
working time its answer took, and whether the loan is a first-time borrower's (首贷户)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.applications.arrange import Apps
from xinyidai.dates import china_today, working_days_between, working_deadline
from xinyidai.models import Application, Enterprise, Loan, ProductVersion


async def _approved(apps: Apps) -> tuple[dict[str, Any], str]:
    application = await apps.applied()
    approved = await apps.approve(application["id"])
    assert approved.status_code == 200, approved.text
    return application, approved.json()["loan_id"]


async def _disburse(apps: Apps, loan_id: str, **extra: Any) -> None:
    body = {"kind": "disbursed", "occurred_on": china_today().isoformat(), "amount": "450000"}
    paid = await apps.event(loan_id, body | extra)
    assert paid.status_code == 200, paid.text


async def test_an_application_keeps_the_dimensions_and_commitment_it_was_submitted_with(
    apps: Apps, db: AsyncSession
) -> None:
    body = await apps.applied()
    application = await db.get(Application, UUID(body["id"]))
    assert application is not None and application.product_version_id is not None
    enterprise = await db.get(Enterprise, application.enterprise_id)
    version = await db.get(ProductVersion, application.product_version_id)
    assert enterprise is not None and version is not None
    assert application.product_type == "credit"
    assert application.industry_section == enterprise.industry_section
    assert application.district_code == enterprise.district_code
    assert application.response_days == version.content["response_days"]
    assert application.respond_by == working_deadline(
        application.created_at, application.response_days
    )
    assert application.response_working_days is None  # not answered yet
    # The enterprise moving district later does not move the application's statistics.
    enterprise.district_code = "440106" if enterprise.district_code != "440106" else "440104"
    await db.commit()
    await db.refresh(application)
    assert application.district_code != enterprise.district_code


async def test_a_decision_records_the_working_time_the_answer_took(
    apps: Apps, db: AsyncSession
) -> None:
    body, loan_id = await _approved(apps)
    application = await db.get(Application, UUID(body["id"]))
    loan = await db.get(Loan, UUID(loan_id))
    assert application is not None and application.decided_at is not None and loan is not None
    expected = working_days_between(application.created_at, application.decided_at)
    assert application.response_working_days is not None
    assert float(application.response_working_days) == expected
    assert (loan.product_type, loan.industry_section, loan.district_code, loan.grade) == (
        application.product_type,
        application.industry_section,
        application.district_code,
        application.grade,
    )


async def test_the_first_loan_paid_out_without_earlier_bank_credit_is_a_first_time_borrowers(
    apps: Apps, db: AsyncSession
) -> None:
    _, first = await _approved(apps)
    _, second = await _approved(apps)
    await _disburse(apps, first)
    await _disburse(apps, second)
    loans = {loan_id: await db.get(Loan, UUID(loan_id)) for loan_id in (first, second)}
    assert [loan.first_time for loan in loans.values() if loan is not None] == [True, False]


async def test_a_first_loan_is_not_a_first_time_borrowers_when_the_bank_reports_earlier_credit(
    apps: Apps, db: AsyncSession
) -> None:
    _, loan_id = await _approved(apps)
    await _disburse(apps, loan_id, prior_credit=True)
    loan = await db.get(Loan, UUID(loan_id))
    assert loan is not None and loan.disbursed_on is not None and loan.first_time is False
