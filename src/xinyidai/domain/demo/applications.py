"""The demo city's history: two years of applications to the demo banks' products and the
loans that followed, so the credit office, the banks and the SMEs see data on first start.

Deterministic (one seeded RNG, dates counted back from the day of seeding) and written with bulk
inserts (a few thousand applications and tens of thousands of rows in a second or two). Each
application has what the platform would have written for it, as if it had gone through the
services: its consent (purpose ``application``), its outbox row (delivered), its timeline
(submitted → delivered → under review → decided within the product's response days, or
withdrawn), and, when approved, its loan and the bank's loan events: the disbursement, a
repayment each month (equal principal, interest on what is still out), the settlement of loans
past maturity; some loans fell overdue and recovered, some are overdue now, a few defaulted.
The loan's running sums are those of its events, applied by the same rules as
``domain/applications/loans.py``. Nothing is dated after now; an application whose next step
would fall in the future stays where it is (the banks' inboxes have work waiting).

Seeded once: a database holding any history application (idempotency key
``demo-history:…``) is left alone.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from sqlalchemy import select
from uuid_utils.compat import uuid7

from xinyidai.dates import (
    CHINA_TZ,
    add_months_to_day,
    utc_now,
    working_days_between,
    working_deadline,
)
from xinyidai.domain.applications.vocabulary import (
    Actor,
    ApplicationStatus,
    LoanEventKind,
    OutboxStatus,
    RejectReason,
)
from xinyidai.domain.monitoring.rebuild import rebuild
from xinyidai.domain.needs.vocabulary import NeedPurpose
from xinyidai.domain.products.schemas import Grade, Guarantee, ProductIn, ProductStatus
from xinyidai.infra.db import driver_connection
from xinyidai.models import (
    Application,
    ApplicationDelivery,
    ApplicationEvent,
    BankConsent,
    ConsentChannel,
    ConsentPurpose,
    Enterprise,
    EnterpriseClaim,
    Loan,
    LoanEvent,
    Product,
    ProductVersion,
)

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy.ext.asyncio import AsyncSession

HISTORY_SEED = 2026
HISTORY_SIZE = 2600
"""How many applications the history holds."""
HISTORY_DAYS = 730
"""How far back it goes: 24 months."""
KEY_PREFIX = "demo-history:"
ACTOR_ID = "demo-history"
"""Who the banks' steps are attributed to (in place of a bank's OAuth client id)."""

S = ApplicationStatus
K = LoanEventKind
CENT = Decimal("0.01")
GRADES = [g.value for g in Grade]  # best first
_GRADE_WEIGHTS = (4, 10, 18, 24, 20, 12, 8, 4)
_APPROVAL = dict(zip(GRADES, (0.97, 0.95, 0.92, 0.85, 0.74, 0.58, 0.35, 0.18), strict=True))
_WITHDRAWN_SHARE = 0.05
_PRIOR_CREDIT_SHARE = 0.35  # firms whose first loan here was not their first bank credit
_DECLINES = (
    (RejectReason.DEBT_CAPACITY, 5),
    (RejectReason.AMOUNT_TOO_HIGH, 4),
    (RejectReason.INSUFFICIENT_DATA, 3),
    (RejectReason.EXISTING_EXPOSURE, 3),
    (RejectReason.INDUSTRY_POLICY, 1),
    (RejectReason.INCOMPLETE_DOCUMENTS, 1),
    (RejectReason.OTHER, 1),
)
_INELIGIBLE_DECLINES = (
    (RejectReason.CREDIT_GRADE, 6),
    (RejectReason.NEGATIVE_RECORDS, 2),
    (RejectReason.OPERATING_HISTORY, 1),
)
# A loan's fate: (fate, share). Trouble comes in one month: ``default`` (never paid again:
# overdue at 15 and 45 days, default at 90), ``cured`` (overdue at 15 days, paid with the
# next instalment), ``late`` (the most recent instalment due 15+ days ago is unpaid: overdue
# now); the rest perform.
_FATES = (("default", 0.025), ("cured", 0.06), ("late", 0.06))
_FAMILY_CHOICES = (
    ["tax", "score"],
    ["tax", "electricity", "score"],
    ["tax", "social_insurance", "score"],
    ["tax", "electricity", "water", "score"],
    ["tax"],
)


@dataclass(frozen=True, slots=True)
class _Firm:
    id: UUID
    owner: UUID
    grade: str
    industry_section: str
    district_code: str


@dataclass(frozen=True, slots=True)
class _Product:
    id: UUID
    version_id: UUID
    bank_id: UUID
    terms: ProductIn


@dataclass
class _Rows:
    consents: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    loans: list[dict[str, Any]] = field(default_factory=list)
    loan_events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HistoryReport:
    applications: int
    loans: int
    loan_events: int


async def seed_demo_applications(
    session: AsyncSession, *, size: int = HISTORY_SIZE, now: dt.datetime | None = None
) -> HistoryReport:
    """Write the history unless it is there (or the city has no SMEs or products). Does not
    commit."""
    exists = await session.scalar(
        select(Application.id).where(Application.idempotency_key.startswith(KEY_PREFIX)).limit(1)
    )
    if exists is not None:
        return HistoryReport(0, 0, 0)
    rng = random.Random(HISTORY_SEED)
    firms = await _firms(session, rng)
    products = await _products(session)
    if not firms or not products:
        return HistoryReport(0, 0, 0)
    now = now or utc_now()
    rows = _Rows()
    moments = sorted(_submitted_at(rng, now) for _ in range(size))
    for number, submitted in enumerate(moments):  # ids follow the order of submission
        _History(rng, now, rows).application(
            number, rng.choice(firms), rng.choice(products), submitted
        )
    _first_time_borrowers(rows.loans, rng)
    driver = await driver_connection(session)
    for model, batch in (
        (BankConsent, rows.consents),
        (Application, rows.applications),
        (ApplicationEvent, rows.events),
        (ApplicationDelivery, rows.deliveries),
        (Loan, rows.loans),
        (LoanEvent, rows.loan_events),
    ):
        await _copy(driver, model.__tablename__, batch)
    await rebuild(session)  # the statistics' rollups of what was just loaded
    return HistoryReport(len(rows.applications), len(rows.loans), len(rows.loan_events))


_JSON_COLUMNS = frozenset({"detail", "eligibility", "attempt_log"})


async def _copy(driver: asyncpg.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY ``rows`` (dicts with the same keys) into ``table``: JSON columns as JSON text,
    enumerations as their values."""
    if not rows:
        return
    columns = list(rows[0])

    def plain(column: str, value: Any) -> Any:
        if column in _JSON_COLUMNS:
            return msgspec.json.encode(value).decode()
        return value.value if isinstance(value, StrEnum) else value

    records = [tuple(plain(column, row[column]) for column in columns) for row in rows]
    await driver.copy_records_to_table(table, columns=columns, records=records)


async def _firms(session: AsyncSession, rng: random.Random) -> list[_Firm]:
    """The demo SMEs with an owner account (the first that claimed each), each with the grade
    it had over the history (drawn: most are middling, a few excellent or poor)."""
    rows = await session.execute(
        select(
            Enterprise.id,
            EnterpriseClaim.user_id,
            Enterprise.industry_section,
            Enterprise.district_code,
        )
        .join(EnterpriseClaim, EnterpriseClaim.uscc == Enterprise.uscc)
        .order_by(Enterprise.uscc, EnterpriseClaim.created_at, EnterpriseClaim.id)
    )
    owners: dict[UUID, tuple[UUID, str, str]] = {}
    for enterprise_id, user_id, section, district in rows:
        owners.setdefault(enterprise_id, (user_id, section, district))
    return [
        _Firm(enterprise_id, owner, rng.choices(GRADES, _GRADE_WEIGHTS)[0], section, district)
        for enterprise_id, (owner, section, district) in owners.items()
    ]


def _first_time_borrowers(loans: list[dict[str, Any]], rng: random.Random) -> None:
    """Each enterprise's first loan paid out is a first-time borrower's (首贷户) unless its bank
    reported earlier bank credit (about a third of the firms had some)."""
    seen: set[UUID] = set()
    paid = (loan for loan in loans if loan["disbursed_on"] is not None)
    for loan in sorted(paid, key=lambda x: (x["disbursed_on"], x["created_at"], x["id"])):
        if loan["enterprise_id"] not in seen:
            seen.add(loan["enterprise_id"])
            loan["first_time"] = rng.random() >= _PRIOR_CREDIT_SHARE


async def _products(session: AsyncSession) -> list[_Product]:
    rows = await session.execute(
        select(Product.id, Product.bank_id, ProductVersion.id, ProductVersion.content)
        .join(
            ProductVersion,
            (ProductVersion.product_id == Product.id) & (ProductVersion.version == Product.version),
        )
        .where(Product.status == ProductStatus.ACTIVE)
        .order_by(Product.created_at, Product.id)
    )
    return [
        _Product(product_id, version_id, bank_id, msgspec.convert(content, ProductIn))
        for product_id, bank_id, version_id, content in rows
    ]


def _submitted_at(rng: random.Random, now: dt.datetime) -> dt.datetime:
    """A moment in the last 24 months, more of them recent (the platform grew), at least two
    hours ago (so that every one has reached its bank)."""
    days = HISTORY_DAYS * rng.random() ** 1.3
    return now - dt.timedelta(days=days, hours=2, seconds=rng.randrange(3600))


def _day_start(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in the working hours of ``day`` (China time)."""
    local = dt.datetime.combine(day, dt.time(9), CHINA_TZ) + dt.timedelta(
        seconds=rng.randrange(8 * 3600)
    )
    return local.astimezone(dt.UTC)


def instalments(amount: Decimal, term_months: int) -> list[Decimal]:
    """Equal principal per month; the last one takes what rounding left."""
    each = (amount / term_months).quantize(CENT, rounding=ROUND_DOWN)
    return [each] * (term_months - 1) + [amount - each * (term_months - 1)]


@dataclass
class _LoanState:
    """A loan's running sums, changed by its events as ``LoanService`` changes them."""

    amount: Decimal
    term_months: int
    disbursed_amount: Decimal | None = None
    disbursed_on: dt.date | None = None
    maturity_on: dt.date | None = None
    principal_repaid: Decimal = Decimal(0)
    interest_paid: Decimal = Decimal(0)
    overdue_since: dt.date | None = None
    overdue_amount: Decimal | None = None
    defaulted_on: dt.date | None = None
    loss_amount: Decimal | None = None
    settled_on: dt.date | None = None

    def outstanding(self) -> Decimal:
        return (self.disbursed_amount or 0) - self.principal_repaid - (self.loss_amount or 0)

    def apply(
        self, kind: LoanEventKind, day: dt.date, amount: Decimal | None, interest: Decimal | None
    ) -> None:
        paid = amount or Decimal(0)
        if kind is K.DISBURSED:
            assert paid <= self.amount
            self.disbursed_amount, self.disbursed_on = paid, day
            self.maturity_on = add_months_to_day(day, self.term_months)
        elif kind is K.REPAYMENT:
            assert paid <= self.outstanding()
            self.principal_repaid += paid
            self.interest_paid += interest or Decimal(0)
            self.overdue_since = self.overdue_amount = None
        elif kind is K.OVERDUE:
            assert paid <= self.outstanding()
            self.overdue_since = self.overdue_since or day
            self.overdue_amount = paid
        elif kind is K.DEFAULT:
            assert paid <= self.outstanding()
            self.loss_amount, self.defaulted_on = paid, day
        else:
            assert paid == self.outstanding()
            self.principal_repaid += paid
            self.settled_on = day
            self.overdue_since = self.overdue_amount = None


_MOVES = {
    K.DISBURSED: S.DISBURSED,
    K.REPAYMENT: S.REPAYING,
    K.DEFAULT: S.DEFAULTED,
    K.SETTLED: S.SETTLED,
}
"""Where each loan event moves the application (``overdue`` moves nothing), as in ``loans.py``."""


@dataclass
class _History:
    """Writes one application's story into ``rows``."""

    rng: random.Random
    now: dt.datetime
    rows: _Rows
    status: ApplicationStatus = S.SUBMITTED
    at: dt.datetime = field(default_factory=utc_now)
    app: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(CHINA_TZ).date()

    def move(
        self,
        to: ApplicationStatus,
        at: dt.datetime,
        actor: Actor,
        actor_id: str | None,
        **detail: Any,
    ) -> None:
        at = max(at, self.at + dt.timedelta(microseconds=1))
        self.rows.events.append(
            {
                "id": uuid7(),
                "application_id": self.app["id"],
                "from_status": None if to is S.SUBMITTED else self.status,
                "to_status": to,
                "actor": actor,
                "actor_id": actor_id,
                "at": at,
                "detail": detail,
                "created_at": at,
                "updated_at": at,
            }
        )
        self.status, self.at = to, at
        self.app.update(status=to, status_at=at, updated_at=at)

    def application(
        self, number: int, firm: _Firm, product: _Product, submitted: dt.datetime
    ) -> None:
        rng, terms = self.rng, product.terms
        amount = _amount(rng, terms.amount_min, terms.amount_max)
        term = _term(rng, terms.term_min_months, terms.term_max_months)
        eligible = _eligible(firm.grade, terms)
        app_id, consent_id = uuid7(), uuid7()
        self.rows.consents.append(
            {
                "id": consent_id,
                "enterprise_id": firm.id,
                "bank_id": product.bank_id,
                "families": rng.choice(_FAMILY_CHOICES),
                "purpose": ConsentPurpose.APPLICATION.value,
                "reference": f"application {app_id}",
                "channel": ConsentChannel.APPLICATION.value,
                "expires_at": submitted + dt.timedelta(days=rng.choice((90, 180, 365))),
                "granted_by": firm.owner,
                "created_at": submitted,
                "updated_at": submitted,
            }
        )
        floor = terms.eligibility.min_grade
        unmet = (
            []
            if eligible
            else [
                {
                    "criterion": "min_grade",
                    "zh": f"信用等级低于产品要求（{floor}）",
                    "en": f"Credit grade below the product's minimum ({floor})",
                }
            ]
        )
        self.app = {
            "id": app_id,
            "enterprise_id": firm.id,
            "bank_id": product.bank_id,
            "product_id": product.id,
            "product_version_id": product.version_id,
            "consent_id": consent_id,
            "need_claim_id": None,
            "submitted_by": None,
            "idempotency_key": f"{KEY_PREFIX}{number:05d}",
            "request_hash": f"{number:064x}",
            "status": S.SUBMITTED,
            "amount": amount,
            "term_months": term,
            "purpose": rng.choice(list(NeedPurpose)).value,
            "note": None,
            "eligible": eligible,
            "eligibility": {"eligible": eligible, "profile_version": None, "unmet": unmet},
            "grade": firm.grade,
            "product_type": terms.type.value,
            "industry_section": firm.industry_section,
            "district_code": firm.district_code,
            "response_days": terms.response_days,
            "respond_by": working_deadline(submitted, terms.response_days),
            "response_working_days": None,
            "status_at": submitted,
            "decided_at": None,
            "approved_amount": None,
            "approved_rate": None,
            "approved_term_months": None,
            "reject_reason": None,
            "decision_note": None,
            "created_at": submitted,
            "updated_at": submitted,
        }
        self.rows.applications.append(self.app)
        self.at = submitted - dt.timedelta(seconds=1)
        self.move(S.SUBMITTED, submitted, Actor.SME, str(firm.owner), product=terms.name_zh)
        self._deliver(submitted)
        self._decide(firm, product, submitted)

    def _deliver(self, submitted: dt.datetime) -> None:
        delivered = submitted + dt.timedelta(seconds=self.rng.uniform(0.2, 40))
        delivery_id = uuid7()
        self.rows.deliveries.append(
            {
                "id": delivery_id,
                "application_id": self.app["id"],
                "bank_id": self.app["bank_id"],
                "status": OutboxStatus.DELIVERED.value,
                "attempts": 1,
                "next_attempt_at": delivered,
                "last_status_code": 200,
                "last_error": None,
                "delivered_at": delivered,
                "attempt_log": [
                    {
                        "at": delivered.isoformat(),
                        "status_code": 200,
                        "error": None,
                        "duration_ms": self.rng.randrange(40, 400),
                    }
                ],
                "requeued_by": None,
                "created_at": submitted,
                "updated_at": delivered,
            }
        )
        self.move(S.DELIVERED, delivered, Actor.PLATFORM, "relay", delivery_id=str(delivery_id))

    def _decide(self, firm: _Firm, product: _Product, submitted: dt.datetime) -> None:
        rng, terms = self.rng, product.terms
        decided = submitted + dt.timedelta(days=rng.uniform(0.3, terms.response_days))
        reviewed = self.at + (decided - self.at) * rng.uniform(0.1, 0.6)
        withdrawn = (
            self.at + (decided - self.at) * rng.uniform(0.05, 0.95)
            if rng.random() < _WITHDRAWN_SHARE
            else None
        )
        if reviewed <= self.now and (withdrawn is None or reviewed < withdrawn):
            self.move(S.UNDER_REVIEW, reviewed, Actor.BANK_API, ACTOR_ID)
        if withdrawn is not None:
            if withdrawn <= self.now:
                self.move(S.WITHDRAWN, withdrawn, Actor.SME, str(firm.owner))
            return
        if decided > self.now:
            return  # still with the bank
        self.app["decided_at"] = decided
        self.app["response_working_days"] = Decimal(str(working_days_between(submitted, decided)))
        chance = _APPROVAL[firm.grade] * (1.0 if self.app["eligible"] else 0.45)
        if rng.random() >= chance:
            pool = _DECLINES if self.app["eligible"] else _INELIGIBLE_DECLINES
            reason = rng.choices([r for r, _ in pool], [w for _, w in pool])[0]
            self.app["reject_reason"] = reason.value
            if reason is RejectReason.OTHER:
                self.app["decision_note"] = (
                    "申请用途与经营范围不符 (purpose outside the business scope)"
                )
            self.move(S.REJECTED, decided, Actor.BANK_API, ACTOR_ID, reason=reason.value)
            return
        amount = self.app["amount"]
        if rng.random() < 0.2:  # approved for less than asked
            less = (amount * Decimal(rng.uniform(0.6, 0.95)) / 10000).quantize(Decimal(1)) * 10000
            amount = max(terms.amount_min, less).quantize(CENT)
        rate = _rate(rng, firm.grade, terms)
        term = self.app["term_months"]
        self.app.update(approved_amount=amount, approved_rate=rate, approved_term_months=term)
        self.move(
            S.APPROVED,
            decided,
            Actor.BANK_API,
            ACTOR_ID,
            amount=str(amount),
            annual_rate=str(rate),
            term_months=term,
        )
        self._lend(product, amount, rate, term, decided)

    def _lend(
        self, product: _Product, amount: Decimal, rate: Decimal, term: int, decided: dt.datetime
    ) -> None:
        rng = self.rng
        loan_id = uuid7()
        approved_on = decided.astimezone(CHINA_TZ).date()
        state = _LoanState(amount, term)
        start = approved_on + dt.timedelta(days=rng.randrange(0, 6))
        fate = _fate(rng)
        plan = _plan(amount, rate, term, start, fate, self.today, rng)
        for seq, (day, kind, paid, interest, days_overdue) in enumerate(plan, start=1):
            if day > self.today:
                break
            state.apply(kind, day, paid, interest)
            recorded = min(max(_day_start(day, rng), self.at), self.now)
            self.rows.loan_events.append(
                {
                    "id": uuid7(),
                    "loan_id": loan_id,
                    "bank_id": product.bank_id,
                    "idempotency_key": f"{KEY_PREFIX}{loan_id}-{seq}",
                    "request_hash": f"{seq:064x}",
                    "kind": kind.value,
                    "occurred_on": day,
                    "amount": paid,
                    "interest": interest,
                    "days_overdue": days_overdue,
                    "note": None,
                    "reported_by": ACTOR_ID,
                    "created_at": recorded,
                    "updated_at": recorded,
                }
            )
            to = _MOVES.get(kind)
            if to is not None and to is not self.status:
                detail = {"event": kind.value, "occurred_on": day.isoformat()}
                self.move(to, recorded, Actor.BANK_API, ACTOR_ID, **detail)
        self.rows.loans.append(
            {
                "id": loan_id,
                "application_id": self.app["id"],
                "bank_id": product.bank_id,
                "enterprise_id": self.app["enterprise_id"],
                "product_id": product.id,
                "amount": amount,
                "annual_rate": rate,
                "term_months": term,
                "unsecured": product.terms.guarantee == Guarantee.NONE,
                "approved_on": approved_on,
                "disbursed_amount": state.disbursed_amount,
                "disbursed_on": state.disbursed_on,
                "maturity_on": state.maturity_on,
                "principal_repaid": state.principal_repaid,
                "interest_paid": state.interest_paid,
                "overdue_since": state.overdue_since,
                "overdue_amount": state.overdue_amount,
                "defaulted_on": state.defaulted_on,
                "loss_amount": state.loss_amount,
                "settled_on": state.settled_on,
                "product_type": self.app["product_type"],
                "industry_section": self.app["industry_section"],
                "district_code": self.app["district_code"],
                "grade": self.app["grade"],
                "first_time": False,
                "created_at": decided,
                "updated_at": self.at,
            }
        )


def _amount(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    """Log-uniform in the product's range, in round figures (ten thousands, or thousands)."""
    drawn = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = Decimal(10000) if high >= 200000 else Decimal(1000)
    rounded = (Decimal(drawn) / step).quantize(Decimal(1)) * step
    return min(max(rounded, low), high).quantize(CENT)


def _term(rng: random.Random, low: int, high: int) -> int:
    usual = [t for t in (3, 6, 12, 18, 24, 36, 48, 60) if low <= t <= high]
    return rng.choice(usual) if usual else rng.randint(low, high)


def _eligible(grade: str, terms: ProductIn) -> bool:
    floor = terms.eligibility.min_grade
    return floor is None or GRADES.index(grade) <= GRADES.index(floor)


def _rate(rng: random.Random, grade: str, terms: ProductIn) -> Decimal:
    """The product's rate for the grade when it states one, else a place between its floor and
    ceiling by the grade (a little spread)."""
    stated = terms.rates_by_grade.get(Grade(grade))
    if stated is not None:
        rate = stated
    else:
        place = (GRADES.index(grade) + rng.uniform(-0.5, 0.5)) / (len(GRADES) - 1)
        rate = terms.rate_floor + (terms.rate_ceiling - terms.rate_floor) * Decimal(place)
    return min(max(rate, terms.rate_floor), terms.rate_ceiling).quantize(Decimal("0.0001"))


def _fate(rng: random.Random) -> str:
    draw = rng.random()
    for fate, share in _FATES:
        if draw < share:
            return fate
        draw -= share
    return "performing"


Planned = tuple[dt.date, LoanEventKind, Decimal | None, Decimal | None, int | None]


def _plan(
    amount: Decimal,
    rate: Decimal,
    term: int,
    start: dt.date,
    fate: str,
    today: dt.date,
    rng: random.Random,
) -> list[Planned]:
    """Every event of the loan by its fate, in order (the caller keeps those up to today)."""
    schedule = instalments(amount, term)
    dues = [add_months_to_day(start, month) for month in range(1, term + 1)]
    trouble: int | None = None
    if fate == "late":  # the latest instalment due 15 days or more ago: unpaid now
        late = [n for n, due in enumerate(dues) if due + dt.timedelta(days=15) <= today]
        trouble = late[-1] if late and dues[-1] + dt.timedelta(days=20) >= today else None
    elif fate in ("default", "cured"):
        trouble = rng.randrange(term)
    events: list[Planned] = [(start, K.DISBURSED, amount, None, None)]
    outstanding = amount
    missed: tuple[Decimal, Decimal] | None = None
    last = start
    for n, (due, principal) in enumerate(zip(dues, schedule, strict=True)):
        interest = (outstanding * rate / 12).quantize(CENT)
        if n == trouble:
            owed = min(principal + interest, outstanding)  # arrears ≤ the principal still out
            events.append((due + dt.timedelta(days=15), K.OVERDUE, owed, None, 15))
            if fate == "cured":
                missed = (principal, interest)
                continue
            if fate == "default":
                grown = min(owed + (schedule[n + 1] + interest if n + 1 < term else 0), outstanding)
                events.append((due + dt.timedelta(days=45), K.OVERDUE, grown, None, 45))
                events.append((due + dt.timedelta(days=90), K.DEFAULT, outstanding, None, None))
            return events  # late: nothing paid since (the caller stops at today)
        paid, paid_interest = principal, interest
        if missed is not None:
            paid, paid_interest = paid + missed[0], paid_interest + missed[1]
            missed = None
        events.append((due, K.REPAYMENT, paid, paid_interest, None))
        outstanding -= paid
        last = due
    if missed is not None:  # the last instalment was the one missed: paid a month late
        last = add_months_to_day(start, term + 1)
        events.append((last, K.REPAYMENT, missed[0], missed[1], None))
    events.append((last, K.SETTLED, None, None, None))
    return events
