"""Applications as rows at chosen instants, for the service-level tests: submitted, answered
(or not, or withdrawn) when the test says, with the commitment columns the submission and the
decision write (``respond_by`` by ``working_deadline``, the answer's working time by
``working_days_between``), and needs-pool offers (a need, the claim the SME accepted)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.applications.rows import Shop
from xinyidai.dates import CHINA_TZ, working_days_between, working_deadline
from xinyidai.domain.applications.vocabulary import NEEDS_OFFER, ApplicationStatus
from xinyidai.models import Application, BankConsent, Need, NeedClaim

_n = count(1)


def cst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant given in China time (as UTC)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ).astimezone(dt.UTC)


async def _consent(session: AsyncSession, shop: Shop, at: dt.datetime) -> BankConsent:
    consent = BankConsent(
        enterprise_id=shop.enterprise.id,
        bank_id=shop.bank.id,
        families=["tax", "score"],
        purpose="application",
        channel="application",
        expires_at=at + dt.timedelta(days=365),
        granted_by=shop.user.id,
        created_at=at,
    )
    session.add(consent)
    await session.flush()
    return consent


async def _claim(
    session: AsyncSession, shop: Shop, at: dt.datetime, days: int, consent: BankConsent
) -> NeedClaim:
    need = Need(
        enterprise_id=shop.enterprise.id,
        created_by=shop.user.id,
        status="accepted",
        amount=Decimal("300000"),
        term_months=12,
        purpose="working_capital",
        max_rate=Decimal("0.06"),
        deadline=at.date() + dt.timedelta(days=30),
        closed_at=at,
    )
    session.add(need)
    await session.flush()
    claim = NeedClaim(
        need_id=need.id,
        bank_id=shop.bank.id,
        created_by=shop.user.id,
        status="accepted",
        amount=Decimal("300000"),
        rate=Decimal("0.045"),
        term_months=12,
        conditions=[],
        response_days=days,
        respond_by=at.date() + dt.timedelta(days=days + 2),
        decided_at=at,
        consent_id=consent.id,
    )
    session.add(claim)
    await session.flush()
    return claim


async def application(
    session: AsyncSession,
    shop: Shop,
    submitted: dt.datetime,
    response_days: int,
    *,
    decided: dt.datetime | None = None,
    withdrawn: dt.datetime | None = None,
    status: ApplicationStatus | None = None,
    offer: bool = False,
) -> Application:
    """One application to ``shop``'s bank, submitted at ``submitted`` with ``response_days``
    committed: approved at ``decided``, withdrawn at ``withdrawn``, else undecided (``status``,
    ``delivered`` unless told); from a needs-pool claim when ``offer``."""
    consent = await _consent(session, shop, submitted)
    claim = await _claim(session, shop, submitted, response_days, consent) if offer else None
    n = next(_n)
    if decided is not None:
        state = status or ApplicationStatus.APPROVED
    elif withdrawn is not None:
        state = ApplicationStatus.WITHDRAWN
    else:
        state = status or ApplicationStatus.DELIVERED
    row = Application(
        enterprise_id=shop.enterprise.id,
        bank_id=shop.bank.id,
        product_id=None if offer else shop.product.id,
        product_version_id=None if offer else shop.version.id,
        need_claim_id=claim.id if claim is not None else None,
        consent_id=consent.id,
        submitted_by=shop.user.id,
        idempotency_key=f"service-{n}",
        request_hash=f"{n:064d}",
        status=state,
        amount=Decimal("300000.00"),
        term_months=12,
        purpose="working_capital",
        eligible=True,
        eligibility={"eligible": True, "unmet": []},
        grade="BBB",
        product_type=NEEDS_OFFER if offer else shop.product.type,
        industry_section=shop.enterprise.industry_section,
        district_code=shop.enterprise.district_code,
        response_days=response_days,
        respond_by=working_deadline(submitted, response_days),
        decided_at=decided,
        response_working_days=(
            Decimal(str(working_days_between(submitted, decided))) if decided else None
        ),
        approved_amount=Decimal("300000.00") if decided else None,
        approved_rate=Decimal("0.045") if decided else None,
        approved_term_months=12 if decided else None,
        status_at=decided or withdrawn or submitted,
        created_at=submitted,
        updated_at=decided or withdrawn or submitted,
    )
    session.add(row)
    await session.flush()
    return row
