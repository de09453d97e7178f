"""A bank's loan events: disbursement, repayments, overdue, default, settlement.

Each event is kept as the bank sent it (``loan_events``) and applied to the loan's running sums
and the application's status in the same transaction. ``(bank, Idempotency-Key)`` is unique: a
replay with the same body returns the first answer and changes nothing; another body with the
same key is refused (422). Rules:

* ``disbursed`` (approved → disbursed): ``amount`` paid out, at most the approved principal;
  the maturity date is the disbursement date plus the approved term.
* ``repayment`` (disbursed → repaying, then repaying): principal in ``amount`` and/or
  ``interest``; principal repaid never exceeds what was disbursed. A repayment cures an
  overdue flag.
* ``overdue`` (disbursed or repaying; no status change): the overdue ``amount`` and
  ``days_overdue``; the loan is marked overdue since the first such report.
* ``default`` (→ defaulted): ``amount`` is the principal lost, at most what is outstanding.
* ``settled`` (→ settled): optionally the last principal in ``amount``; nothing may remain
  outstanding after it.

An event is dated (``occurred_on``) no earlier than the approval (or the disbursement, for
what follows it) and at most ``LOAN_EVENT_FUTURE_DAYS`` after today.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select

from xinyidai.dates import add_months_to_day, china_today
from xinyidai.domain.applications import idempotency, lifecycle, views
from xinyidai.domain.applications.schemas import LoanEventIn, LoanEventOut, LoanEventResult, LoanOut
from xinyidai.domain.applications.vocabulary import Actor, ApplicationStatus, LoanEventKind
from xinyidai.domain.monitoring import rollups
from xinyidai.infra.errors import FieldError, InvalidInput, NotFound
from xinyidai.models import Application, Loan, LoanEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

S = ApplicationStatus
K = LoanEventKind

# What each event needs the application's status to be, and where it moves it (None: stays).
_EVENT_MOVES: dict[LoanEventKind, tuple[frozenset[ApplicationStatus], ApplicationStatus | None]] = {
    K.DISBURSED: (frozenset({S.APPROVED}), S.DISBURSED),
    K.REPAYMENT: (frozenset({S.DISBURSED, S.REPAYING}), S.REPAYING),
    K.OVERDUE: (frozenset({S.DISBURSED, S.REPAYING}), None),
    K.DEFAULT: (frozenset({S.DISBURSED, S.REPAYING}), S.DEFAULTED),
    K.SETTLED: (frozenset({S.DISBURSED, S.REPAYING}), S.SETTLED),
}
_NEEDS_AMOUNT = frozenset({K.DISBURSED, K.OVERDUE, K.DEFAULT})
_TAKES_INTEREST = frozenset({K.REPAYMENT})


def event_out(e: LoanEvent) -> LoanEventOut:
    return LoanEventOut(
        id=e.id,
        loan_id=e.loan_id,
        kind=e.kind,
        occurred_on=e.occurred_on,
        amount=views.money(e.amount),
        interest=views.money(e.interest),
        days_overdue=e.days_overdue,
        note=e.note,
        recorded_at=e.created_at,
    )


def _shape_errors(data: LoanEventIn) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.kind in _NEEDS_AMOUNT and not data.amount:
        errors.append(
            FieldError(field="amount", message=f"a {data.kind} states it", code="required")
        )
    if data.interest is not None and data.kind not in _TAKES_INTEREST:
        errors.append(
            FieldError(
                field="interest", message="only a repayment pays interest", code="unexpected"
            )
        )
    if data.kind is K.REPAYMENT and not (data.amount or data.interest):
        errors.append(
            FieldError(
                field="amount", message="a repayment pays principal or interest", code="required"
            )
        )
    if (data.days_overdue is None) == (data.kind is K.OVERDUE):
        errors.append(
            FieldError(
                field="days_overdue",
                message="an overdue report states it, and only an overdue report",
                code="required" if data.kind is K.OVERDUE else "unexpected",
            )
        )
    for name in ("amount", "interest"):
        value: Decimal | None = getattr(data, name)
        if value is not None and value.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.append(FieldError(field=name, message="at most 2 decimals", code="cents"))
    return errors


class LoanService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _loan(self, bank_id: UUID, loan_id: UUID, *, lock: bool) -> Loan:
        query = select(Loan).where(Loan.id == loan_id, Loan.bank_id == bank_id)
        loan = await self.session.scalar(query.with_for_update() if lock else query)
        if loan is None:
            raise NotFound("no such loan")
        return loan

    async def get(self, bank_id: UUID, loan_id: UUID) -> LoanOut:
        loan = await self._loan(bank_id, loan_id, lock=False)
        application = await self.session.get(Application, loan.application_id)
        assert application is not None
        return views.loan_out(loan, application.status)

    async def of_bank(self, bank_id: UUID, *, limit: int, offset: int) -> list[LoanOut]:
        """The bank's loans, newest first."""
        rows = await self.session.execute(
            select(Loan, Application.status)
            .join(Application, Application.id == Loan.application_id)
            .where(Loan.bank_id == bank_id)
            .order_by(Loan.created_at.desc(), Loan.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [views.loan_out(loan, status) for loan, status in rows]

    async def record(
        self,
        bank_id: UUID,
        loan_id: UUID,
        data: LoanEventIn,
        key: str,
        *,
        actor: Actor,
        actor_id: str,
        future_days: int,
    ) -> tuple[LoanEventResult, bool]:
        """The event applied once, and whether this was a replay of an earlier request."""
        key = idempotency.check_key(key)
        body_hash = idempotency.request_hash(data)
        loan = await self._loan(bank_id, loan_id, lock=True)
        await idempotency.hold(self.session, f"loan-event:{bank_id}", key)
        earlier = await self.session.scalar(
            select(LoanEvent).where(LoanEvent.bank_id == bank_id, LoanEvent.idempotency_key == key)
        )
        if earlier is not None:
            idempotency.replay_or_refuse(earlier.request_hash, body_hash)
            if earlier.loan_id != loan.id:
                raise InvalidInput.field(
                    idempotency.HEADER,
                    "this key was used for another loan's event",
                    "idempotency_key_reused",
                )
            return LoanEventResult(
                event=event_out(earlier), loan=await self.get(bank_id, loan_id)
            ), True
        errors = _shape_errors(data)
        if errors:
            raise InvalidInput("the loan event is incomplete", errors=errors)
        application = await lifecycle.locked(self.session, loan.application_id)
        allowed, to = _EVENT_MOVES[data.kind]
        if application.status not in allowed:
            raise lifecycle.TransitionRefused(
                f"the loan is {application.status}: a {data.kind} cannot be recorded now"
            )
        self._check_date(loan, data, future_days)
        self._apply(loan, data)
        if data.kind is K.DISBURSED:
            loan.first_time = not data.prior_credit and await self._first_on_platform(loan)
        event = LoanEvent(
            loan_id=loan.id,
            bank_id=bank_id,
            idempotency_key=key,
            request_hash=body_hash,
            kind=data.kind,
            occurred_on=data.occurred_on,
            amount=data.amount,
            interest=data.interest,
            days_overdue=data.days_overdue,
            note=data.note,
            reported_by=actor_id,
        )
        self.session.add(event)
        if to is not None and to != application.status:
            lifecycle.move(
                self.session,
                application,
                to,
                actor,
                actor_id,
                detail={"event": data.kind.value, "occurred_on": data.occurred_on.isoformat()},
            )
        await self.session.flush()
        await rollups.loan_event(self.session, loan, event)
        return LoanEventResult(
            event=event_out(event), loan=views.loan_out(loan, application.status)
        ), False

    async def _first_on_platform(self, loan: Loan) -> bool:
        """No other loan of the enterprise has been paid out. Disbursements to one enterprise
        are serialised (a transaction-scoped lock), so two banks paying out at once cannot both
        count a first loan."""
        await self.session.execute(
            select(
                func.pg_advisory_xact_lock(
                    func.hashtextextended(f"first-loan:{loan.enterprise_id}", 0)
                )
            )
        )
        earlier = await self.session.scalar(
            select(Loan.id)
            .where(
                Loan.enterprise_id == loan.enterprise_id,
                Loan.id != loan.id,
                Loan.disbursed_on.is_not(None),
            )
            .limit(1)
        )
        return earlier is None

    def _check_date(self, loan: Loan, data: LoanEventIn, future_days: int) -> None:
        latest = china_today() + dt.timedelta(days=future_days)
        earliest = (
            loan.approved_on
            if data.kind is K.DISBURSED
            else (loan.disbursed_on or loan.approved_on)
        )
        if not earliest <= data.occurred_on <= latest:
            raise InvalidInput.field(
                "occurred_on",
                f"between {earliest.isoformat()} and {latest.isoformat()}",
                "date_out_of_range",
            )

    def _apply(self, loan: Loan, data: LoanEventIn) -> None:
        """The event's effect on the loan's running sums, or 422 if the sums would not hold."""
        amount = data.amount or Decimal(0)
        left = views.outstanding(loan)
        if data.kind is K.DISBURSED:
            if amount > loan.amount:
                raise InvalidInput.field(
                    "amount", f"more than the approved {loan.amount} yuan", "amount_over_approved"
                )
            loan.disbursed_amount = amount
            loan.disbursed_on = data.occurred_on
            loan.maturity_on = add_months_to_day(data.occurred_on, loan.term_months)
        elif data.kind is K.REPAYMENT:
            if amount > left:
                raise InvalidInput.field(
                    "amount", f"more than the {left} yuan outstanding", "amount_over_outstanding"
                )
            loan.principal_repaid += amount
            loan.interest_paid += data.interest or Decimal(0)
            loan.overdue_since = None
            loan.overdue_amount = None
        elif data.kind is K.OVERDUE:
            if amount > left:
                raise InvalidInput.field(
                    "amount", f"more than the {left} yuan outstanding", "amount_over_outstanding"
                )
            loan.overdue_since = loan.overdue_since or data.occurred_on
            loan.overdue_amount = amount
        elif data.kind is K.DEFAULT:
            if amount > left:
                raise InvalidInput.field(
                    "amount", f"more than the {left} yuan outstanding", "amount_over_outstanding"
                )
            loan.loss_amount = amount
            loan.defaulted_on = data.occurred_on
        else:  # settled
            if amount != left:
                raise InvalidInput.field(
                    "amount",
                    f"{left} yuan is outstanding: settle with it repaid (send it as `amount`, or "
                    "as repayments first)",
                    "outstanding_remains",
                )
            loan.principal_repaid += amount
            loan.settled_on = data.occurred_on
            loan.overdue_since = None
            loan.overdue_amount = None
