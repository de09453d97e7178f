"""Post-loan warnings (贷后预警): what changed about an enterprise after a bank lent to it.

After new data lands for an enterprise (a new profile snapshot, scored or not: the job
``score_snapshot`` queues ``check_loan_warnings`` for its enterprise, one queued check per
enterprise at a time) and daily as the backstop, :func:`check_enterprise` looks at each **live
loan** of the enterprise (its application is disbursed or repaying) whose bank holds a **live
consent** on the enterprise, and warns the bank about:

* a negative public record (a visible one of ``NEGATIVE_TYPES``) the platform first saw on or
  after the disbursement day (or after the bank reported the disbursement, if that was
  earlier: see :class:`_Watch`): public records are public, so any live consent covers them;
* a month after the disbursement date with tax arrears: only if a live consent covers ``tax``;
* a month after the disbursement date with social-insurance arrears: only if a live consent
  covers ``social_insurance``;
* a grade two or more steps below the grade at disbursement (the latest score on or before the
  disbursement day, else the grade the application was submitted with), or below the grade the
  last grade warning reported: only if a live consent covers ``score``. Steps are counted on
  the platform's risk grades (``products.schemas.GRADES``: AAA … C), the scale the model bundle
  grades scores on.

Each warning is a :class:`LoanWarning` whose ``change_key`` (``record:<id>``, ``tax:<YYYY-MM>``,
``si:<YYYY-MM>``, ``grade:<from>-<to>:<score id>``) is unique per loan, inserted with ON
CONFLICT DO NOTHING: a change warns once however often it is checked. Each new warning is told
to the bank as a signed ``loan.warning`` webhook (``domain/webhooks``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import msgspec
import structlog
from msgspec import Meta
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from uuid_utils.compat import uuid7

from xinyidai.dates import CHINA_TZ, utc_now
from xinyidai.domain.accounts.guards import require_bank_user
from xinyidai.domain.applications.vocabulary import LIVE_LOAN, LoanEventKind, WarningKind
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.products.schemas import GRADES
from xinyidai.domain.webhooks import WebhookEvent, Webhooks
from xinyidai.enums import NEGATIVE_TYPES, VISIBLE_STATUSES, Family, RecordType
from xinyidai.infra.db import enqueue_after_commit
from xinyidai.infra.errors import NotFound
from xinyidai.models import (
    Application,
    CreditScore,
    Enterprise,
    Loan,
    LoanEvent,
    LoanWarning,
    ProfileSnapshot,
    PublicRecord,
    SocialInsuranceMonthly,
    TaxMonthly,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.infra.db import Enqueue

log = structlog.get_logger(__name__)

JOB = "check_loan_warnings"
JOB_TIMEOUT = 300
SCORE = "score"  # the consent family that shares the SME's score and grade
DROP_STEPS = 2
"""A grade drop warns from this many steps down ``GRADES`` (BBB → B, say)."""

_RECORD_LABELS: dict[str, tuple[str, str]] = {
    RecordType.ADMIN_PENALTY: ("行政处罚", "an administrative penalty"),
    RecordType.SERIOUS_DISHONESTY: (
        "列入严重失信主体名单",
        "listing as a seriously dishonest entity",
    ),
    RecordType.DISHONEST_DEBTOR: ("列入失信被执行人名单", "listing as a dishonest judgment debtor"),
    RecordType.ABNORMAL_OPERATION: ("列入经营异常名录", "listing for abnormal operation"),
}


# --- queueing the check -------------------------------------------------------------------------
def job_key(enterprise_id: UUID) -> str:
    """The SAQ key of an enterprise's check: a second enqueue while one is queued is dropped."""
    return f"warnings:{enterprise_id}"


def queue_check(session: AsyncSession, enterprise_id: UUID) -> bool:
    """Check the enterprise's live loans for warnings once ``session`` commits (one queued
    check per enterprise; the daily backstop catches what is not queued)."""
    return enqueue_after_commit(
        session,
        JOB,
        enterprise_id=str(enterprise_id),
        key=job_key(enterprise_id),
        timeout=JOB_TIMEOUT,
    )


async def queue_check_for_snapshot(session: AsyncSession, snapshot_id: UUID) -> bool:
    """:func:`queue_check` for the enterprise of a new snapshot, if it has a live loan."""
    enterprise_id = await session.scalar(
        select(ProfileSnapshot.enterprise_id).where(ProfileSnapshot.id == snapshot_id)
    )
    if enterprise_id is None or not await _has_live_loan(session, enterprise_id):
        return False
    return queue_check(session, enterprise_id)


def _live_loans() -> Select[Loan, Application]:
    return (
        select(Loan, Application)
        .join(Application, Application.id == Loan.application_id)
        .where(Application.status.in_([s.value for s in LIVE_LOAN]), Loan.disbursed_on.is_not(None))
    )


async def _has_live_loan(session: AsyncSession, enterprise_id: UUID) -> bool:
    found = await session.scalar(
        select(Loan.id)
        .join(Application, Application.id == Loan.application_id)
        .where(
            Loan.enterprise_id == enterprise_id,
            Application.status.in_([s.value for s in LIVE_LOAN]),
        )
        .limit(1)
    )
    return found is not None


async def queue_all_checks(session: AsyncSession, enqueue: Enqueue) -> int:
    """The daily backstop: a check for every enterprise with a live loan, queued now (the
    session only reads). Returns how many."""
    enterprise_ids = list(
        await session.scalars(
            select(Loan.enterprise_id)
            .distinct()
            .join(Application, Application.id == Loan.application_id)
            .where(Application.status.in_([s.value for s in LIVE_LOAN]))
        )
    )
    for enterprise_id in enterprise_ids:
        await enqueue(
            JOB,
            enterprise_id=str(enterprise_id),
            key=job_key(enterprise_id),
            timeout=JOB_TIMEOUT,
        )
    return len(enterprise_ids)


# --- what changed -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """One warning to write, unless its key was written before for the loan."""

    kind: WarningKind
    key: str
    change: dict[str, Any]
    zh: str
    en: str

    def detail(self) -> dict[str, Any]:
        return {"change": self.change, "summary": {"zh-CN": self.zh, "en": self.en}}


def day_start(day: dt.date) -> dt.datetime:
    """The instant a China business day begins."""
    return dt.datetime.combine(day, dt.time(), CHINA_TZ)


def _yuan(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _month(period: dt.date) -> str:
    return period.strftime("%Y-%m")


def record_change(record: PublicRecord) -> Change:
    zh_type, en_type = _RECORD_LABELS.get(record.record_type, (record.record_type, "a record"))
    decided = record.decision_date.isoformat()
    return Change(
        kind=WarningKind.PUBLIC_RECORD,
        key=f"record:{record.id}",
        change={
            "record_id": str(record.id),
            "record_type": str(record.record_type),
            "severity": record.severity,
            "document_no": record.document_no,
            "decision_date": decided,
            "authority": record.authority,
            "first_seen_at": record.created_at.isoformat(),
        },
        zh=f"新增负面公共信用记录：{zh_type}（{record.authority}，{record.document_no}，"
        f"决定日期{decided}）。",
        en=f"A new negative public credit record: {en_type} by {record.authority} "
        f"({record.document_no}, decided {decided}).",
    )


def arrears_change(family: Family, period: dt.date, arrears: Decimal) -> Change:
    month, yuan = _month(period), _yuan(arrears)
    if family is Family.TAX:
        kind, prefix, zh_what, en_what = WarningKind.TAX_ARREARS, "tax", "欠缴税款", "tax"
    else:
        kind, prefix = WarningKind.SOCIAL_INSURANCE_ARREARS, "si"
        zh_what, en_what = "欠缴社会保险费", "social-insurance contributions"
    return Change(
        kind=kind,
        key=f"{prefix}:{month}",
        change={"family": family.value, "period": month, "arrears": yuan},
        zh=f"{month}月{zh_what}{yuan}元。",
        en=f"{month}: {yuan} yuan of {en_what} in arrears.",
    )


def grade_steps(before: str, after: str) -> int | None:
    """How many steps ``after`` lies below ``before`` (negative: above); None for a grade
    outside the scale."""
    if before not in GRADES or after not in GRADES:
        return None
    return GRADES.index(after) - GRADES.index(before)


def grade_change(before: str, score: CreditScore) -> Change | None:
    """A warning if ``score``'s grade is at least two steps below ``before``."""
    steps = grade_steps(before, score.grade)
    if steps is None or steps < DROP_STEPS:
        return None
    return Change(
        kind=WarningKind.GRADE_DROP,
        key=f"grade:{before}-{score.grade}:{score.id}",
        change={
            "from": before,
            "to": score.grade,
            "steps": steps,
            "score_id": str(score.id),
            "model_version": score.model_version,
            "scored_at": score.created_at.isoformat(),
        },
        zh=f"信用等级由{before}级下降至{score.grade}级（下降{steps}档）。",
        en=f"The credit grade fell from {before} to {score.grade} ({steps} steps).",
    )


@dataclass(frozen=True, slots=True)
class _Watch:
    """A live loan under a live consent: what its bank may hear of, and since when.

    ``disbursed_on`` is the bank's business date; the platform's own records (when it first
    saw a public record, when it scored) are compared with instants: the start of that day,
    or the moment the bank reported the disbursement if that came first (a bank's clock may
    run ahead of the platform's, as the sandbox bank's demo clock does)."""

    loan: Loan
    application: Application
    families: frozenset[str]
    disbursed_on: dt.date
    seen_from: dt.datetime  # records first seen from here on are news
    graded_by: dt.datetime  # the latest score before this is the grade at disbursement


async def _watches(session: AsyncSession, enterprise_id: UUID, now: dt.datetime) -> list[_Watch]:
    loans = (await session.execute(_live_loans().where(Loan.enterprise_id == enterprise_id))).all()
    if not loans:
        return []
    reported: dict[UUID, dt.datetime] = {
        loan_id: at
        for loan_id, at in await session.execute(
            select(LoanEvent.loan_id, func.min(LoanEvent.created_at))
            .where(
                LoanEvent.loan_id.in_([loan.id for loan, _ in loans]),
                LoanEvent.kind == LoanEventKind.DISBURSED.value,
            )
            .group_by(LoanEvent.loan_id)
        )
    }
    consents = BankConsentService(session)
    watches = []
    for loan, application in loans:
        live = await consents.live_for(loan.bank_id, enterprise_id, now)
        if not live or loan.disbursed_on is None:
            continue
        start = day_start(loan.disbursed_on)
        end = day_start(loan.disbursed_on + dt.timedelta(days=1))
        at = reported.get(loan.id)
        watches.append(
            _Watch(
                loan=loan,
                application=application,
                families=frozenset(f for c in live for f in c.families),
                disbursed_on=loan.disbursed_on,
                seen_from=start if at is None else min(start, at),
                graded_by=end if at is None else min(end, at),
            )
        )
    return watches


@dataclass(slots=True)
class _Facts:
    """What the enterprise's data says since the earliest disbursement among its live loans."""

    records: Sequence[PublicRecord]
    tax: Sequence[tuple[dt.date, Decimal]]
    social_insurance: Sequence[tuple[dt.date, Decimal]]
    scores: Sequence[CreditScore]  # oldest first


async def _facts(
    session: AsyncSession, enterprise: Enterprise, watches: Sequence[_Watch]
) -> _Facts:
    seen_from = min(w.seen_from for w in watches)
    since = min(w.disbursed_on for w in watches)
    records = await session.scalars(
        select(PublicRecord)
        .where(
            PublicRecord.uscc == enterprise.uscc,
            PublicRecord.record_type.in_([t.value for t in NEGATIVE_TYPES]),
            PublicRecord.status.in_([s.value for s in VISIBLE_STATUSES]),
            PublicRecord.created_at >= seen_from,
        )
        .order_by(PublicRecord.created_at, PublicRecord.id)
    )

    async def arrears(model: Any) -> list[tuple[dt.date, Decimal]]:
        rows = await session.execute(
            select(model.period, model.arrears)
            .where(model.enterprise_id == enterprise.id, model.arrears > 0, model.period > since)
            .order_by(model.period)
        )
        return [(period, amount) for period, amount in rows]

    scores = await session.scalars(
        select(CreditScore)
        .where(CreditScore.enterprise_id == enterprise.id)
        .order_by(CreditScore.created_at, CreditScore.id)
    )
    return _Facts(
        records=list(records),
        tax=await arrears(TaxMonthly),
        social_insurance=await arrears(SocialInsuranceMonthly),
        scores=list(scores),
    )


async def _baseline_grade(
    session: AsyncSession, watch: _Watch, scores: Sequence[CreditScore]
) -> str | None:
    """The grade a drop is measured from: the one the loan's last grade warning reported,
    else the grade at disbursement (the latest score by the end of the disbursement day,
    else the application's grade at submission)."""
    last = await session.scalar(
        select(LoanWarning.detail)
        .where(
            LoanWarning.loan_id == watch.loan.id,
            LoanWarning.kind == WarningKind.GRADE_DROP.value,
        )
        .order_by(LoanWarning.created_at.desc(), LoanWarning.id.desc())
        .limit(1)
    )
    if last is not None:
        reported = last.get("change", {}).get("to")
        if isinstance(reported, str):
            return reported
    before = [s for s in scores if s.created_at < watch.graded_by]
    return before[-1].grade if before else watch.application.grade


async def _changes(session: AsyncSession, watch: _Watch, facts: _Facts) -> list[Change]:
    disbursed, families = watch.disbursed_on, watch.families
    changes = [record_change(r) for r in facts.records if r.created_at >= watch.seen_from]
    if Family.TAX.value in families:
        changes += [arrears_change(Family.TAX, p, a) for p, a in facts.tax if p > disbursed]
    if Family.SOCIAL_INSURANCE.value in families:
        changes += [
            arrears_change(Family.SOCIAL_INSURANCE, p, a)
            for p, a in facts.social_insurance
            if p > disbursed
        ]
    if SCORE in families and facts.scores:
        before = await _baseline_grade(session, watch, facts.scores)
        drop = grade_change(before, facts.scores[-1]) if before is not None else None
        if drop is not None:
            changes.append(drop)
    return changes


# --- writing and telling ------------------------------------------------------------------------
async def _write(
    session: AsyncSession,
    loan: Loan,
    application: Application,
    enterprise: Enterprise,
    changes: Sequence[Change],
    now: dt.datetime,
) -> list[LoanWarning]:
    """The warnings among ``changes`` not written before, each told to the bank."""
    known = set(
        await session.scalars(select(LoanWarning.change_key).where(LoanWarning.loan_id == loan.id))
    )
    written: list[LoanWarning] = []
    for change in changes:
        if change.key in known:
            continue
        known.add(change.key)
        warning_id: UUID | None = await session.scalar(
            insert(LoanWarning)
            .values(
                id=uuid7(),
                loan_id=loan.id,
                bank_id=loan.bank_id,
                enterprise_id=enterprise.id,
                kind=change.kind.value,
                change_key=change.key,
                detail=change.detail(),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(constraint="uq_loan_warnings_loan_change")
            .returning(LoanWarning.id)
        )
        if warning_id is None:  # a concurrent check wrote it first, and told the bank
            continue
        warning = await session.get(LoanWarning, warning_id)
        assert warning is not None
        await Webhooks(session).emit(
            loan.bank_id,
            WebhookEvent.LOAN_WARNING,
            webhook_data(warning, application.id, enterprise.uscc),
            event_id=f"{WebhookEvent.LOAN_WARNING.value}:{warning.id}",
        )
        log.info(
            "loan_warning",
            warning_id=str(warning.id),
            loan_id=str(loan.id),
            bank_id=str(loan.bank_id),
            kind=change.kind.value,
            change_key=change.key,
        )
        written.append(warning)
    return written


def webhook_data(warning: LoanWarning, application_id: UUID, uscc: str) -> dict[str, Any]:
    """The ``data`` of a ``loan.warning`` webhook."""
    return {
        "warning_id": str(warning.id),
        "loan_id": str(warning.loan_id),
        "application_id": str(application_id),
        "uscc": uscc,
        "kind": str(warning.kind),
        "change": warning.detail.get("change", {}),
        "summary": warning.detail.get("summary", {}),
    }


async def check_enterprise(
    session: AsyncSession, enterprise_id: UUID, *, now: dt.datetime | None = None
) -> list[LoanWarning]:
    """Warn each lending bank about what changed since its loan was disbursed (within the
    caller's transaction; flushed, never committed). Returns the new warnings."""
    now = now or utc_now()
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        return []
    watches = await _watches(session, enterprise_id, now)
    if not watches:
        return []
    facts = await _facts(session, enterprise, watches)
    written: list[LoanWarning] = []
    for watch in watches:
        changes = await _changes(session, watch, facts)
        written += await _write(session, watch.loan, watch.application, enterprise, changes, now)
    return written


# --- the bank's list ----------------------------------------------------------------------------
class WarningOut(msgspec.Struct, kw_only=True):
    id: UUID
    loan_id: UUID
    application_id: UUID
    enterprise_id: UUID
    enterprise_name: str
    uscc: str
    kind: WarningKind
    change_key: Annotated[
        str, Meta(description="What changed, unique per loan: record:<id>, tax:<YYYY-MM>, …")
    ]
    change: dict[str, Any]
    summary: Annotated[dict[str, str], Meta(description="One sentence in zh-CN and in en")]
    created_at: dt.datetime
    read_at: dt.datetime | None


class WarningPage(msgspec.Struct, kw_only=True):
    items: list[WarningOut]
    unread: Annotated[int, Meta(description="The bank's unread warnings in all")]
    next_cursor: Annotated[
        str | None, Meta(description="Pass as `cursor` for older ones; null on the last page")
    ]


def _out(warning: LoanWarning, application_id: UUID, name: str, uscc: str) -> WarningOut:
    return WarningOut(
        id=warning.id,
        loan_id=warning.loan_id,
        application_id=application_id,
        enterprise_id=warning.enterprise_id,
        enterprise_name=name,
        uscc=uscc,
        kind=WarningKind(warning.kind),
        change_key=warning.change_key,
        change=warning.detail.get("change", {}),
        summary=warning.detail.get("summary", {}),
        created_at=warning.created_at,
        read_at=warning.read_at,
    )


def _listed() -> Select[LoanWarning, UUID, str, str]:
    return (
        select(LoanWarning, Loan.application_id, Enterprise.name, Enterprise.uscc)
        .join(Loan, Loan.id == LoanWarning.loan_id)
        .join(Enterprise, Enterprise.id == LoanWarning.enterprise_id)
    )


class LoanWarnings:
    """A bank's post-loan warnings, for its own users."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        bank_id: UUID,
        principal: Principal,
        *,
        limit: int = 20,
        cursor: UUID | None = None,
        unread_only: bool = False,
        loan_id: UUID | None = None,
    ) -> WarningPage:
        """The bank's warnings, newest first, ``limit`` at a time (``next_cursor`` for the
        next page); only unread ones, or one loan's, on request."""
        require_bank_user(principal, bank_id, "read its post-loan warnings")
        query = _listed().where(LoanWarning.bank_id == bank_id)
        if cursor is not None:
            query = query.where(LoanWarning.id < cursor)
        if unread_only:
            query = query.where(LoanWarning.read_at.is_(None))
        if loan_id is not None:
            query = query.where(LoanWarning.loan_id == loan_id)
        rows = (
            await self.session.execute(query.order_by(LoanWarning.id.desc()).limit(limit + 1))
        ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        unread = await self.session.scalar(
            select(func.count())
            .select_from(LoanWarning)
            .where(LoanWarning.bank_id == bank_id, LoanWarning.read_at.is_(None))
        )
        return WarningPage(
            items=[_out(*row) for row in rows],
            unread=unread or 0,
            next_cursor=str(rows[-1][0].id) if more else None,
        )

    async def mark_read(self, bank_id: UUID, warning_id: UUID, principal: Principal) -> WarningOut:
        """Mark one of the bank's warnings read (again: no change); another bank's is not
        found."""
        require_bank_user(principal, bank_id, "read its post-loan warnings")
        row = (
            await self.session.execute(
                _listed().where(LoanWarning.id == warning_id, LoanWarning.bank_id == bank_id)
            )
        ).first()
        if row is None:
            raise NotFound("no such warning")
        warning = row[0]
        if warning.read_at is None:
            warning.read_at = utc_now()
            await self.session.flush()
        return _out(warning, row[1], row[2], row[3])
