"""Applications from the SME's side and the bank's: submit (with its consent and outbox row in
one transaction), read, withdraw; the bank's inbox, review and decision.

Submission is idempotent per enterprise and ``Idempotency-Key`` (``idempotency.py``). The
eligibility verdict is the matching engine's for that one product version on the SME's latest
profile and score; an ineligible SME may still apply (the bank decides) and the bank sees the
verdict. The consent is granted through the consents capability (purpose ``application``,
channel ``application``), so its rules hold here too: families the platform holds live
authorisations for, at most 12 months.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select

from xinyidai.dates import china_today, utc_now, working_days_between, working_deadline
from xinyidai.domain.accounts.guards import Principal, require_bank_user, require_own_enterprise
from xinyidai.domain.applications import idempotency, lifecycle, views
from xinyidai.domain.applications.relay import queue_delivery
from xinyidai.domain.applications.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPage,
    Decided,
    DecisionIn,
    Outcome,
)
from xinyidai.domain.applications.vocabulary import (
    NEEDS_OFFER,
    UNDECIDED,
    Actor,
    ApplicationStatus,
    OutboxStatus,
    RejectReason,
)
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.schemas import BankConsentCreate
from xinyidai.domain.matching.engine import Catalogue, CatalogueItem
from xinyidai.domain.matching.match import match_snapshot
from xinyidai.domain.monitoring import rollups
from xinyidai.domain.products.catalogue import product_out
from xinyidai.domain.products.schemas import Guarantee, ProductIn, ProductStatus
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.scoring.services import latest_score
from xinyidai.infra.errors import Conflict, FieldError, InvalidInput, NotFound
from xinyidai.models import (
    Application,
    ApplicationDelivery,
    Bank,
    BankConsent,
    ConsentChannel,
    ConsentPurpose,
    Enterprise,
    Loan,
    Product,
    ProductVersion,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.models import NeedClaim


def outbox_row(session: AsyncSession, application: Application) -> ApplicationDelivery:
    """The application's outbox row, delivered by the relay once the transaction commits (and
    by the sweeper if that enqueue is lost)."""
    delivery = ApplicationDelivery(
        application_id=application.id,
        bank_id=application.bank_id,
        status=OutboxStatus.PENDING,
        next_attempt_at=utc_now(),
    )
    session.add(delivery)
    return delivery


class ApplicationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the SME's side -------------------------------------------------------------------

    def _enterprise_of(self, principal: Principal) -> UUID:
        if principal.enterprise_id is None:
            raise NotFound("no such enterprise")
        require_own_enterprise(principal, principal.enterprise_id)
        return principal.enterprise_id

    async def submit(
        self, data: ApplicationCreate, key: str, principal: Principal
    ) -> tuple[ApplicationOut, bool]:
        """The application, and whether it is a replay of an earlier request with this key."""
        enterprise_id = self._enterprise_of(principal)
        key = idempotency.check_key(key)
        body_hash = idempotency.request_hash(data)
        await idempotency.hold(self.session, f"application:{enterprise_id}", key)
        earlier = await self.session.scalar(
            select(Application).where(
                Application.enterprise_id == enterprise_id, Application.idempotency_key == key
            )
        )
        if earlier is not None:
            idempotency.replay_or_refuse(earlier.request_hash, body_hash)
            return await views.detail(self.session, earlier), True
        product, version = await self._product_version(data)
        stated = _check_terms(data, version)
        now = utc_now()
        consent = await BankConsentService(self.session).grant(
            enterprise_id,
            BankConsentCreate(
                bank_id=product.bank_id,
                families=data.consent.families,
                purpose=ConsentPurpose.APPLICATION,
                reference="application",
                expires_at=data.consent.expires_at,
            ),
            principal,
            channel=ConsentChannel.APPLICATION,
            now=now,
        )
        bank = await self.session.get(Bank, product.bank_id)
        assert bank is not None
        eligibility, grade = await self._eligibility(enterprise_id, product, version, bank)
        application = Application(
            enterprise_id=enterprise_id,
            bank_id=product.bank_id,
            product_id=product.id,
            product_version_id=version.id,
            consent_id=consent.id,
            submitted_by=principal.user_id,
            idempotency_key=key,
            request_hash=body_hash,
            status=ApplicationStatus.SUBMITTED,
            amount=data.amount,
            term_months=data.term_months,
            purpose=data.purpose,
            note=data.note,
            eligible=eligibility["eligible"],
            eligibility=eligibility,
            grade=grade,
            **await self._dimensions(enterprise_id, product.type, stated.response_days, now),
            status_at=now,
            created_at=now,
            updated_at=now,
        )
        await self._write(application, principal, now, {"product": stated.name_zh})
        return await views.detail(self.session, application), False

    async def _write(
        self,
        application: Application,
        principal: Principal,
        now: dt.datetime,
        detail: dict[str, Any],
    ) -> None:
        """The application, its timeline's first step, its consent's reference and its outbox
        row; the delivery queued after the commit."""
        self.session.add(application)
        await self.session.flush()
        consent = await self.session.get(BankConsent, application.consent_id)
        assert consent is not None
        consent.reference = f"application {application.id}"
        lifecycle.start(
            self.session, application, Actor.SME, str(principal.user_id), now=now, detail=detail
        )
        delivery = outbox_row(self.session, application)
        await self.session.flush()
        await rollups.application_submitted(self.session, application)
        queue_delivery(self.session, delivery.id)

    async def from_claim(
        self,
        claim: NeedClaim,
        need_purpose: str,
        need_note: str | None,
        consent_id: UUID,
        principal: Principal,
    ) -> Application:
        """The application an accepted claim makes (in the acceptance's transaction): the
        claim's offer as the amount and term asked, delivered to the bank like any other."""
        enterprise_id = self._enterprise_of(principal)
        now = utc_now()
        application = Application(
            enterprise_id=enterprise_id,
            bank_id=claim.bank_id,
            consent_id=consent_id,
            need_claim_id=claim.id,
            submitted_by=principal.user_id,
            idempotency_key=f"need-claim:{claim.id}",
            request_hash=idempotency.request_hash({"claim": str(claim.id)}),
            status=ApplicationStatus.SUBMITTED,
            amount=claim.amount,
            term_months=claim.term_months,
            purpose=need_purpose,
            note=need_note,
            eligible=True,
            eligibility={"eligible": True, "profile_version": None, "unmet": []},
            grade=await self._grade(enterprise_id),
            **await self._dimensions(enterprise_id, NEEDS_OFFER, claim.response_days, now),
            status_at=now,
            created_at=now,
            updated_at=now,
        )
        await self._write(application, principal, now, {"need_claim": str(claim.id)})
        return application

    async def _product_version(self, data: ApplicationCreate) -> tuple[Product, ProductVersion]:
        product = await self.session.get(Product, data.product_id)
        if product is None or product.status != ProductStatus.ACTIVE:
            raise InvalidInput.field(
                "product_id", "no such product open for applications", "product_unavailable"
            )
        version = await self.session.scalar(
            select(ProductVersion).where(
                ProductVersion.product_id == product.id, ProductVersion.version == product.version
            )
        )
        assert version is not None
        if data.product_version_id is not None and data.product_version_id != version.id:
            raise Conflict(
                "the bank has changed this product since you read it: read it again "
                f"(current version {version.version}) and apply to that"
            )
        return product, version

    async def _dimensions(
        self, enterprise_id: UUID, product_type: str, response_days: int, now: dt.datetime
    ) -> dict[str, Any]:
        """What monitoring groups the application by, and the bank's commitment, as they are
        at submission."""
        enterprise = await self.session.get(Enterprise, enterprise_id)
        assert enterprise is not None
        return {
            "product_type": product_type,
            "industry_section": enterprise.industry_section,
            "district_code": enterprise.district_code,
            "response_days": response_days,
            "respond_by": working_deadline(now, response_days),
        }

    async def _grade(self, enterprise_id: UUID) -> str | None:
        scored = await latest_score(self.session, enterprise_id)
        return scored[0].grade if scored is not None else None

    async def _eligibility(
        self, enterprise_id: UUID, product: Product, version: ProductVersion, bank: Bank
    ) -> tuple[dict[str, Any], str | None]:
        snapshot = await snapshots.latest(self.session, enterprise_id)
        scored = await latest_score(self.session, enterprise_id)
        summary = scored[0] if scored is not None else None
        grade = summary.grade if summary is not None else None
        if snapshot is None:
            return {
                "eligible": False,
                "profile_version": None,
                "unmet": [
                    {
                        "criterion": "profile",
                        "zh": "尚无信用档案，无法判断是否符合准入条件",
                        "en": "No credit profile yet: eligibility could not be judged",
                    }
                ],
            }, grade
        shown = product_out(product, version, bank)
        catalogue = Catalogue([CatalogueItem(product.id, version.id, shown)])
        (match,) = match_snapshot(snapshot.content, summary, catalogue)
        return {
            "eligible": match.eligible,
            "profile_version": snapshot.version,
            "unmet": [{"criterion": r.criterion, "zh": r.zh, "en": r.en} for r in match.reasons],
        }, grade

    async def of_enterprise(
        self, principal: Principal, *, limit: int, offset: int
    ) -> ApplicationPage:
        """The SME's applications, newest first."""
        enterprise_id = self._enterprise_of(principal)
        where = Application.enterprise_id == enterprise_id
        return await self._page(where, limit=limit, offset=offset)

    async def _page(self, *where: Any, limit: int, offset: int) -> ApplicationPage:
        total = await self.session.scalar(
            select(func.count()).select_from(Application).where(*where)
        )
        apps = list(
            await self.session.scalars(
                select(Application)
                .where(*where)
                .order_by(Application.created_at.desc(), Application.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )
        return ApplicationPage(
            items=await views.outs(self.session, apps), total=total or 0, limit=limit, offset=offset
        )

    async def _own(
        self, application_id: UUID, principal: Principal, *, lock: bool = False
    ) -> Application:
        enterprise_id = self._enterprise_of(principal)
        query = select(Application).where(
            Application.id == application_id, Application.enterprise_id == enterprise_id
        )
        application = await self.session.scalar(query.with_for_update() if lock else query)
        if application is None:
            raise NotFound("no such application")
        return application

    async def get(self, application_id: UUID, principal: Principal) -> ApplicationOut:
        """One of the SME's applications with its timeline."""
        return await views.detail(self.session, await self._own(application_id, principal))

    async def withdraw(self, application_id: UUID, principal: Principal) -> ApplicationOut:
        """Take the application back before the bank decides (409 after)."""
        application = await self._own(application_id, principal, lock=True)
        lifecycle.move(
            self.session,
            application,
            ApplicationStatus.WITHDRAWN,
            Actor.SME,
            str(principal.user_id),
        )
        return await views.detail(self.session, application)

    # --- the bank's side ------------------------------------------------------------------

    async def inbox(
        self,
        bank_id: UUID,
        principal: Principal,
        *,
        status: ApplicationStatus | None,
        limit: int,
        offset: int,
    ) -> ApplicationPage:
        """The bank's applications, newest first; its own users only."""
        require_bank_user(principal, bank_id, "read its applications")
        where = [Application.bank_id == bank_id]
        if status is not None:
            where.append(Application.status == status)
        return await self._page(*where, limit=limit, offset=offset)

    async def for_bank(
        self, bank_id: UUID, application_id: UUID, principal: Principal
    ) -> ApplicationOut:
        """One of the bank's applications with its timeline (404 for another bank's)."""
        require_bank_user(principal, bank_id, "read its applications")
        application = await self.session.scalar(
            select(Application).where(
                Application.id == application_id, Application.bank_id == bank_id
            )
        )
        if application is None:
            raise NotFound("no such application")
        return await views.detail(self.session, application)

    async def review(
        self, bank_id: UUID, application_id: UUID, actor: Actor, actor_id: str
    ) -> ApplicationOut:
        """The bank is looking at it: ``under_review`` (acknowledging it first if needed)."""
        application = await lifecycle.locked(self.session, application_id, bank_id=bank_id)
        if application.status == ApplicationStatus.SUBMITTED:
            # Reviewing what it has is the bank's acknowledgement too.
            lifecycle.move(self.session, application, ApplicationStatus.DELIVERED, actor, actor_id)
        lifecycle.move(self.session, application, ApplicationStatus.UNDER_REVIEW, actor, actor_id)
        return await views.detail(self.session, application)

    async def decide(
        self, bank_id: UUID, application_id: UUID, data: DecisionIn, actor: Actor, actor_id: str
    ) -> Decided:
        """Approve (a loan is made with the terms) or reject (with a reason code)."""
        terms = _check_decision(data)
        application = await lifecycle.locked(self.session, application_id, bank_id=bank_id)
        if application.status not in UNDECIDED:
            raise lifecycle.TransitionRefused(
                f"the application is {application.status}: it cannot be decided now"
            )
        now = utc_now()
        loan: Loan | None = None
        application.decided_at = now
        application.response_working_days = Decimal(
            str(working_days_between(application.created_at, now))
        )
        application.decision_note = data.note
        if data.outcome is Outcome.APPROVE:
            amount, rate, term = terms
            application.approved_amount = amount
            application.approved_rate = rate
            application.approved_term_months = term
            lifecycle.move(
                self.session,
                application,
                ApplicationStatus.APPROVED,
                actor,
                actor_id,
                now=now,
                detail={"amount": str(amount), "annual_rate": str(rate), "term_months": term},
            )
            loan = Loan(
                application_id=application.id,
                bank_id=application.bank_id,
                enterprise_id=application.enterprise_id,
                product_id=application.product_id,
                amount=amount,
                annual_rate=rate,
                term_months=term,
                unsecured=await self._unsecured(application),
                approved_on=china_today(),
                principal_repaid=Decimal(0),
                interest_paid=Decimal(0),
                product_type=application.product_type,
                industry_section=application.industry_section,
                district_code=application.district_code,
                grade=application.grade,
                first_time=False,
            )
            self.session.add(loan)
        else:
            assert data.reason is not None
            application.reject_reason = data.reason
            lifecycle.move(
                self.session,
                application,
                ApplicationStatus.REJECTED,
                actor,
                actor_id,
                now=now,
                detail={"reason": data.reason.value},
            )
        await self.session.flush()
        await rollups.application_decided(self.session, application)
        return Decided(
            application=await views.detail(self.session, application),
            loan_id=loan.id if loan is not None else None,
        )

    async def _unsecured(self, application: Application) -> bool:
        """A credit loan: the product asks no guarantor or collateral (an offer from the needs
        pool: none of its conditions does)."""
        if application.product_version_id is not None:
            version = await self.session.get(ProductVersion, application.product_version_id)
            assert version is not None
            return bool(version.content.get("guarantee") == Guarantee.NONE)
        from xinyidai.models import NeedClaim

        claim = await self.session.get(NeedClaim, application.need_claim_id)
        assert claim is not None
        return not ({"guarantor", "collateral", "legal_rep_guarantee"} & set(claim.conditions))


def _check_terms(data: ApplicationCreate, version: ProductVersion) -> ProductIn:
    """Amount and term within the product version's ranges, or 422 naming each field."""
    import msgspec

    stated = msgspec.convert(version.content, ProductIn)
    errors: list[FieldError] = []
    if not stated.amount_min <= data.amount <= stated.amount_max:
        errors.append(
            FieldError(
                field="amount",
                message=f"this product lends {stated.amount_min} to {stated.amount_max} yuan",
                code="amount_out_of_range",
            )
        )
    if data.amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.append(FieldError(field="amount", message="at most 2 decimals", code="amount_cents"))
    if not stated.term_min_months <= data.term_months <= stated.term_max_months:
        errors.append(
            FieldError(
                field="term_months",
                message=f"this product lends for {stated.term_min_months} to "
                f"{stated.term_max_months} months",
                code="term_out_of_range",
            )
        )
    if errors:
        raise InvalidInput("the application does not fit the product", errors=errors)
    return stated


def _approval_errors(data: DecisionIn) -> list[FieldError]:
    errors = [
        FieldError(field=name, message="an approval states it", code="required")
        for name in ("amount", "annual_rate", "term_months")
        if getattr(data, name) is None
    ]
    if data.reason is not None:
        errors.append(
            FieldError(field="reason", message="only a rejection has a reason", code="unexpected")
        )
    if data.amount is not None and (
        data.amount <= 0 or data.amount.as_tuple().exponent < -2  # type: ignore[operator]
    ):
        errors.append(
            FieldError(field="amount", message="above 0, at most 2 decimals", code="amount_invalid")
        )
    if data.annual_rate is not None and not Decimal(0) < data.annual_rate <= Decimal("0.36"):
        errors.append(
            FieldError(field="annual_rate", message="above 0, at most 0.36", code="rate_range")
        )
    return errors


def _rejection_errors(data: DecisionIn) -> list[FieldError]:
    errors = [
        FieldError(field=name, message="only an approval has terms", code="unexpected")
        for name in ("amount", "annual_rate", "term_months")
        if getattr(data, name) is not None
    ]
    if data.reason is None:
        errors.append(FieldError(field="reason", message="a rejection states why", code="required"))
    if data.reason is RejectReason.OTHER and not (data.note or "").strip():
        errors.append(
            FieldError(field="note", message="say why when the reason is `other`", code="required")
        )
    return errors


def _check_decision(data: DecisionIn) -> tuple[Decimal, Decimal, int]:
    """An approval names amount, rate and term (and no reason); a rejection a reason (and no
    terms); ``other`` needs a note. 422 naming each field otherwise."""
    approve = data.outcome is Outcome.APPROVE
    errors = _approval_errors(data) if approve else _rejection_errors(data)
    if errors:
        raise InvalidInput("the decision is incomplete", errors=errors)
    if approve:
        assert data.amount is not None and data.annual_rate is not None
        assert data.term_months is not None
        return data.amount, data.annual_rate, data.term_months
    return Decimal(0), Decimal(0), 0
