"""Banks' service levels: what each bank committed to answer in, how fast it answered, and what
waits past its commitment now; for the credit office (every bank) and for each bank (its own).

Definitions (all from the snapshot columns written with each application, migration 0014):

* **Committed**: over the applications *submitted* in the period (China dates, both included),
  the median (nearest rank) and the range of ``response_days``, the working days the product
  version (or the needs-pool offer) promised when the SME applied.
* **Actual**: over the decisions *made* in the period (China date of ``decided_at``, the day the
  statistics' response-time rollup keys a decision by), the median and p90 of
  ``response_working_days`` by nearest rank (PostgreSQL ``percentile_disc``: the smallest value
  with at least that share of values at or below it), which the statistics compute from their
  0.01-day histogram and must match; a decision is *within* its commitment when
  ``decided_at <= respond_by``, *past* it otherwise.
* **Waiting past commitment** (now, whatever the period): undecided applications (submitted,
  delivered, under review; so never withdrawn ones) whose ``respond_by`` has passed.
* **Claims released unanswered**: a needs-pool claim whose offer the SME accepted (so the bank
  owed the SME an answer on the application the acceptance made) and whose application the bank
  left undecided past its ``respond_by`` until the SME gave up and withdrew it; counted in the
  period of the withdrawal. A claim that expired or was lost without the SME's acceptance is
  not the bank's doing and is not counted; one still waiting is counted in *waiting past
  commitment* instead (never in both).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import and_, func, literal_column, select

from xinyidai.dates import CHINA_TZ, china_today, utc_now, working_days_between
from xinyidai.domain.accounts.guards import require_bank_user, require_role
from xinyidai.domain.applications.vocabulary import NEEDS_OFFER, UNDECIDED, ApplicationStatus
from xinyidai.domain.monitoring.service_schemas import (
    Actual,
    BankLevel,
    Committed,
    OverdueApplication,
    OverduePage,
    OverdueProduct,
    OverdueSort,
    Period,
    ServiceLevels,
)
from xinyidai.infra.bounds import check_date
from xinyidai.infra.errors import InvalidInput
from xinyidai.models import Application, Bank, Enterprise, ProductVersion, Role

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

DEFAULT_DAYS = 90
"""Without ``from``, the period is the 90 days ending ``to`` (today by default)."""
MAX_SPAN_DAYS = 3_660
"""A period is at most about ten years long."""
EARLIEST = dt.date(2000, 1, 1)
CENTS = Decimal("0.01")
SHARE = Decimal("0.000001")
_WAITING = tuple(s.value for s in UNDECIDED)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NEEDS_OFFER_NAME = ("需求对接（抢单）", "Needs-pool offer")


def _day(field: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.field(field, f"{field} is a date, YYYY-MM-DD", "date_invalid") from None


def period_of(start: str | None, end: str | None, *, today: dt.date | None = None) -> Period:
    """The period asked for (``YYYY-MM-DD`` texts), checked: both days in the platform's
    calendar (2000 to a year from today), ``to`` not before ``from``, at most ten years; 422
    naming the field otherwise."""
    today = today or china_today()
    latest = today + dt.timedelta(days=366)
    last = check_date("to", _day("to", end) or today, earliest=EARLIEST, latest=latest)
    first = _day("from", start) or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    start_day = check_date("from", first, earliest=EARLIEST, latest=latest)
    return _checked(start_day, last)


def _checked(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise InvalidInput.field("to", "to must not be before from", "period_reversed")
    if (end - start).days + 1 > MAX_SPAN_DAYS:
        raise InvalidInput.field(
            "from", f"a period is at most {MAX_SPAN_DAYS} days long", "period_too_long"
        )
    return Period(from_=start, to=end)


def _instants(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as UTC instants: China midnight of ``from`` to China midnight after ``to``."""
    start = dt.datetime.combine(period.from_, dt.time(), CHINA_TZ)
    end = dt.datetime.combine(period.to + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _days(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENTS)


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(SHARE) if whole else None


@dataclass
class Histogram:
    """How many times each value occurs; percentiles by nearest rank, in exact arithmetic."""

    counts: dict[Decimal, int] = field(default_factory=dict)
    total: int = 0

    def add(self, value: Decimal, n: int) -> None:
        """Count ``value`` ``n`` more times."""
        self.counts[value] = self.counts.get(value, 0) + n
        self.total += n

    def rank(self, numerator: int, denominator: int) -> Decimal | None:
        """The smallest value with at least ``numerator/denominator`` of the values at or
        below it (None when empty): PostgreSQL's ``percentile_disc``."""
        if not self.total:
            return None
        needed = max(1, -(-self.total * numerator // denominator))
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen >= needed:
                return value
        raise AssertionError("unreachable: the counts add up to the total")

    def low(self) -> int | None:
        """The smallest value, as a whole number."""
        return int(min(self.counts)) if self.counts else None

    def high(self) -> int | None:
        """The largest value, as a whole number."""
        return int(max(self.counts)) if self.counts else None


@dataclass
class _Figures:
    """One bank's (or, with ``bank_id`` None, every bank's) raw figures."""

    submitted: int = 0
    committed_median: Any = None
    committed_min: int | None = None
    committed_max: int | None = None
    decisions: int = 0
    actual_median: Any = None
    actual_p90: Any = None
    within: int = 0
    waiting: int = 0
    oldest: dt.datetime | None = None
    released: int = 0

    def level(self, bank_id: UUID, name: str, code: str) -> BankLevel:
        committed = _days(self.committed_median)
        actual = _days(self.actual_median)
        return BankLevel(
            bank_id=bank_id,
            bank_name=name,
            bank_code=code,
            committed=Committed(
                applications=self.submitted,
                median_days=committed,
                min_days=self.committed_min,
                max_days=self.committed_max,
            ),
            actual=Actual(
                decisions=self.decisions,
                median_days=actual,
                p90_days=_days(self.actual_p90),
                within_commitment=self.within,
                past_commitment=self.decisions - self.within,
                share_within=_share(self.within, self.decisions),
            ),
            waiting_past_commitment=self.waiting,
            oldest_respond_by=self.oldest,
            claims_released_unanswered=self.released,
            behind=self.waiting > 0
            or (actual is not None and committed is not None and actual > committed),
        )


def _waiting_now(now: dt.datetime) -> ColumnElement[bool]:
    return and_(Application.status.in_(_WAITING), Application.respond_by < now)


class ServiceLevelService:
    """Service levels read straight from ``applications`` (its snapshot columns), one grouped
    statement per figure, each served by an index of migration 0017."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the office ---------------------------------------------------------------------------
    async def office(
        self, principal: Principal, start: str | None, end: str | None
    ) -> ServiceLevels:
        """Every bank's service levels in the period (banks without any activity included), and
        the figures of all banks together."""
        require_role(principal, Role.OFFICE)
        period = period_of(start, end)
        now = utc_now()
        figures = await self._figures(period, now, bank_id=None)
        banks = (await self.session.execute(select(Bank.id, Bank.name, Bank.short_code))).all()
        levels = [
            figures.get(bank_id, _Figures()).level(bank_id, name, code)
            for bank_id, name, code in banks
        ]
        levels.sort(key=lambda b: (not b.behind, b.bank_name, str(b.bank_id)))
        total = figures.get(None, _Figures()).level(UUID(int=0), "全部银行 / All banks", "ALL")
        return ServiceLevels(period=period, as_of=now, banks=levels, total=total)

    async def office_overdue(
        self,
        principal: Principal,
        *,
        bank_id: UUID | None,
        sort: OverdueSort,
        limit: int,
        offset: int,
    ) -> OverduePage:
        """Applications waiting past their commitment now, of every bank (or one)."""
        require_role(principal, Role.OFFICE)
        return await self._overdue(bank_id, sort=sort, limit=limit, offset=offset)

    # --- a bank -------------------------------------------------------------------------------
    async def of_bank(
        self, bank_id: UUID, principal: Principal, start: str | None, end: str | None
    ) -> ServiceLevels:
        """The bank's own service levels (its own users only; 403 to anyone else)."""
        require_bank_user(principal, bank_id, "read its service levels")
        period = period_of(start, end)
        now = utc_now()
        figures = await self._figures(period, now, bank_id=bank_id)
        bank = (
            await self.session.execute(select(Bank.name, Bank.short_code).where(Bank.id == bank_id))
        ).one()
        level = figures.get(bank_id, _Figures()).level(bank_id, bank.name, bank.short_code)
        return ServiceLevels(period=period, as_of=now, banks=[level])

    async def bank_overdue(
        self, bank_id: UUID, principal: Principal, *, sort: OverdueSort, limit: int, offset: int
    ) -> OverduePage:
        """The bank's own applications waiting past its commitment now."""
        require_bank_user(principal, bank_id, "read its service levels")
        return await self._overdue(bank_id, sort=sort, limit=limit, offset=offset)

    # --- the figures --------------------------------------------------------------------------
    async def _figures(
        self, period: Period, now: dt.datetime, *, bank_id: UUID | None
    ) -> dict[UUID | None, _Figures]:
        """Per bank, and (for the office, ``bank_id`` None) for all banks under key None."""
        start, end = _instants(period)
        scope = [Application.bank_id == bank_id] if bank_id is not None else []
        # One bank: its own row; every bank: a row per bank and the grand total.
        group = (
            [Application.bank_id]
            if bank_id is not None
            else [func.grouping_sets(Application.bank_id, literal_column("()"))]
        )
        out: dict[UUID | None, _Figures] = {}

        def at(key: UUID | None) -> _Figures:
            return out.setdefault(key, _Figures())

        # Histograms, not sorts: the count of each value (whole days committed, working days to
        # 0.01 answered) per bank, from which nearest-rank percentiles are read exactly (the
        # statistics' rollups hold the same 0.01-day histogram). A hash aggregate over an
        # index-only scan: no sort of the period's rows, which spilled to disk at city scale.
        committed = await self.session.execute(
            select(Application.bank_id, Application.response_days, func.count())
            .where(Application.created_at >= start, Application.created_at < end, *scope)
            .group_by(Application.bank_id, Application.response_days)
        )
        promised: dict[UUID | None, Histogram] = {}
        for key, days, n in committed:
            for bucket in (key, None):
                promised.setdefault(bucket, Histogram()).add(Decimal(days), int(n))
        decided = await self.session.execute(
            select(
                Application.bank_id,
                Application.response_working_days,
                func.count(),
                func.count().filter(Application.decided_at <= Application.respond_by),
            )
            .where(
                Application.decided_at >= start,
                Application.decided_at < end,
                Application.response_working_days.is_not(None),  # set with every decision
                *scope,
            )
            .group_by(Application.bank_id, Application.response_working_days)
        )
        answered: dict[UUID | None, Histogram] = {}
        for key, worked, n, within in decided:
            for bucket in (key, None):
                answered.setdefault(bucket, Histogram()).add(Decimal(str(worked)), int(n))
                at(bucket).within += int(within)
        for owner, histogram in promised.items():
            f = at(owner)
            f.submitted, f.committed_median = histogram.total, histogram.rank(1, 2)
            f.committed_min, f.committed_max = histogram.low(), histogram.high()
        for owner, histogram in answered.items():
            f = at(owner)
            f.decisions = histogram.total
            f.actual_median, f.actual_p90 = histogram.rank(1, 2), histogram.rank(9, 10)
        waiting = await self.session.execute(
            select(Application.bank_id, func.count(), func.min(Application.respond_by))
            .where(_waiting_now(now), *scope)
            .group_by(*group)
        )
        for key, n, oldest in waiting:
            f = at(key)
            f.waiting, f.oldest = int(n), oldest
        released = await self.session.execute(
            select(Application.bank_id, func.count())
            .where(
                Application.need_claim_id.is_not(None),
                Application.status == ApplicationStatus.WITHDRAWN.value,
                Application.decided_at.is_(None),
                Application.status_at > Application.respond_by,
                Application.status_at >= start,
                Application.status_at < end,
                *scope,
            )
            .group_by(*group)
        )
        for key, n in released:
            at(key).released = int(n)
        return out

    async def _overdue(
        self, bank_id: UUID | None, *, sort: OverdueSort, limit: int, offset: int
    ) -> OverduePage:
        now = utc_now()
        where = [_waiting_now(now)]
        if bank_id is not None:
            where.append(Application.bank_id == bank_id)
        total = await self.session.scalar(
            select(func.count()).select_from(Application).where(*where)
        )
        order = {
            OverdueSort.MOST_OVERDUE: (Application.respond_by.asc(), Application.id.asc()),
            OverdueSort.LEAST_OVERDUE: (Application.respond_by.desc(), Application.id.desc()),
            OverdueSort.NEWEST: (Application.created_at.desc(), Application.id.desc()),
        }[sort]
        rows = await self.session.execute(
            select(
                Application,
                Bank.name,
                Enterprise.name,
                ProductVersion.content["name_zh"].astext,
                ProductVersion.content["name_en"].astext,
            )
            .join(Bank, Bank.id == Application.bank_id)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .outerjoin(ProductVersion, ProductVersion.id == Application.product_version_id)
            .where(*where)
            .order_by(*order)
            .limit(limit)
            .offset(offset)
        )
        items = [
            _overdue_item(app, bank_name, enterprise_name, name_zh, name_en, now)
            for app, bank_name, enterprise_name, name_zh, name_en in rows.all()
        ]
        return OverduePage(as_of=now, items=items, total=total or 0, limit=limit, offset=offset)

    # --- for alerts ---------------------------------------------------------------------------
    async def banks_past_commitment(self) -> int:
        """How many banks have at least one application waiting past its commitment now."""
        count = await self.session.scalar(
            select(func.count(Application.bank_id.distinct())).where(_waiting_now(utc_now()))
        )
        return int(count or 0)


def _overdue_item(
    app: Application,
    bank_name: str,
    enterprise_name: str,
    name_zh: str | None,
    name_en: str | None,
    now: dt.datetime,
) -> OverdueApplication:
    offer = app.product_type == NEEDS_OFFER
    return OverdueApplication(
        application_id=app.id,
        status=ApplicationStatus(app.status),
        bank_id=app.bank_id,
        bank_name=bank_name,
        product=OverdueProduct(
            id=app.product_id,
            type=app.product_type,
            name_zh=NEEDS_OFFER_NAME[0] if offer else (name_zh or ""),
            name_en=NEEDS_OFFER_NAME[1] if offer else (name_en or ""),
        ),
        enterprise_id=app.enterprise_id,
        enterprise_name=enterprise_name,
        amount=app.amount,
        submitted_at=app.created_at,
        response_days=app.response_days,
        respond_by=app.respond_by,
        working_days_overdue=Decimal(str(working_days_between(app.respond_by, now))).quantize(
            CENTS
        ),
    )
