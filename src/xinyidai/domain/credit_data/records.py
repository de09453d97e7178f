"""Public records as the SME and the office see them; disputes (异议), repair and expiry."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal
from uuid import UUID

import msgspec
import structlog
from msgspec import UNSET, Meta, UnsetType
from sqlalchemy import delete, select, update

from xinyidai.dates import china_today
from xinyidai.domain.accounts.guards import (
    require_office,
    require_own_enterprise,
    require_readable_enterprise,
)
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.enums import NEGATIVE_TYPES, VISIBLE_STATUSES, RecordStatus, RecordType, Severity
from xinyidai.infra.bounds import check_date
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import Dispute, DisputeStatus, Enterprise, PublicRecord

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)
FIRST_DECISION = dt.date(1949, 1, 1)  # no public credit decision is older
DISPUTE_DAYS = 20  # 征信业管理条例 Art.25
RETENTION_YEARS = 5  # negative records are kept no longer than this after the conduct

Statement = Annotated[str, Meta(min_length=5, max_length=2000)]


class RecordOut(msgspec.Struct, kw_only=True):
    id: UUID
    record_type: RecordType
    severity: Severity | None
    grade: str | None
    document_no: str
    decision_date: dt.date
    publish_until: dt.date | None
    authority: str
    description: str
    status: RecordStatus
    negative: bool
    source: str
    provider_ref: str
    fetched_at: dt.datetime


class DisputeCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    record_id: UUID
    reason: Statement


class Correction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    description: Annotated[str, Meta(min_length=1, max_length=4000)] | UnsetType = UNSET
    severity: Severity | UnsetType = UNSET
    decision_date: dt.date | UnsetType = UNSET
    publish_until: dt.date | UnsetType = UNSET
    authority: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET


class DisputeResolve(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    outcome: Literal["corrected", "withdrawn", "upheld"]
    resolution: Statement
    correction: Correction | None = None


class RepairRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Statement


class DisputeOut(msgspec.Struct, kw_only=True):
    id: UUID
    record_id: UUID
    enterprise_id: UUID
    reason: str
    raised_at: dt.datetime
    due_on: dt.date
    overdue: bool
    status: DisputeStatus
    resolution: str | None
    resolved_at: dt.datetime | None


def record_out(r: PublicRecord) -> RecordOut:
    return RecordOut(
        id=r.id,
        record_type=RecordType(r.record_type),
        severity=Severity(r.severity) if r.severity else None,
        grade=r.grade,
        document_no=r.document_no,
        decision_date=r.decision_date,
        publish_until=r.publish_until,
        authority=r.authority,
        description=r.description,
        status=RecordStatus(r.status),
        negative=r.record_type in NEGATIVE_TYPES,
        source=r.source,
        provider_ref=r.provider_ref,
        fetched_at=r.fetched_at,
    )


def dispute_out(d: Dispute, today: dt.date) -> DisputeOut:
    return DisputeOut(
        id=d.id,
        record_id=d.record_id,
        enterprise_id=d.enterprise_id,
        reason=d.reason,
        raised_at=d.created_at,
        due_on=d.due_on,
        overdue=d.status == DisputeStatus.OPEN and d.due_on < today,
        status=DisputeStatus(d.status),
        resolution=d.resolution,
        resolved_at=d.resolved_at,
    )


class RecordService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.access = AccessLog(session)

    async def _enterprise(self, enterprise_id: UUID, principal: Principal) -> Enterprise:
        require_readable_enterprise(principal, enterprise_id)
        enterprise = await self.session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound("no such enterprise")
        return enterprise

    async def list_for(
        self, enterprise_id: UUID, principal: Principal, *, include_history: bool
    ) -> list[RecordOut]:
        enterprise = await self._enterprise(enterprise_id, principal)
        stmt = select(PublicRecord).where(PublicRecord.uscc == enterprise.uscc)
        if not include_history:
            stmt = stmt.where(PublicRecord.status.in_([s.value for s in VISIBLE_STATUSES]))
        rows = (
            await self.session.scalars(
                stmt.order_by(PublicRecord.decision_date.desc(), PublicRecord.document_no)
            )
        ).all()
        await self.access.record(
            enterprise_id, principal, resource="public_records", detail=f"{len(rows)} records"
        )
        return [record_out(r) for r in rows]

    # --- disputes -------------------------------------------------------------------------------
    async def dispute(
        self,
        enterprise_id: UUID,
        data: DisputeCreate,
        principal: Principal,
        today: dt.date | None = None,
    ) -> DisputeOut:
        require_own_enterprise(principal, enterprise_id)
        today = today or dt.date.today()
        enterprise = await self._enterprise(enterprise_id, principal)
        record = await self.session.scalar(
            select(PublicRecord)
            .where(PublicRecord.id == data.record_id, PublicRecord.uscc == enterprise.uscc)
            .with_for_update()
        )
        if record is None:
            raise NotFound("no such record about this enterprise")
        if record.status == RecordStatus.DISPUTED:
            raise Conflict("this record is already under dispute")
        if record.status != RecordStatus.ACTIVE:
            raise Conflict(f"a {record.status} record is no longer shown and cannot be disputed")
        now = dt.datetime.now(dt.UTC)
        record.status, record.status_changed_at = RecordStatus.DISPUTED, now
        dispute = Dispute(
            record_id=record.id,
            enterprise_id=enterprise_id,
            raised_by=principal.user_id,
            reason=clean_text("reason", data.reason, min_length=5, kind="text"),
            due_on=today + dt.timedelta(days=DISPUTE_DAYS),
        )
        self.session.add(dispute)
        await self.session.flush()
        await snapshots.rebuild(self.session, enterprise_id, "record_disputed")
        log.info("record_disputed", record_id=str(record.id), dispute_id=str(dispute.id))
        return dispute_out(dispute, today)

    async def disputes_of(self, enterprise_id: UUID, principal: Principal) -> list[DisputeOut]:
        require_own_enterprise(principal, enterprise_id)
        rows = await self.session.scalars(
            select(Dispute)
            .where(Dispute.enterprise_id == enterprise_id)
            .order_by(Dispute.created_at.desc())
        )
        today = dt.date.today()
        return [dispute_out(d, today) for d in rows]

    async def dispute_queue(
        self,
        principal: Principal,
        *,
        status: DisputeStatus | None,
        overdue_only: bool,
        today: dt.date | None = None,
    ) -> list[DisputeOut]:
        """The office's queue, soonest due first."""
        require_office(principal)
        today = today or dt.date.today()
        stmt = select(Dispute)
        if status is not None:
            stmt = stmt.where(Dispute.status == status)
        if overdue_only:
            stmt = stmt.where(Dispute.status == DisputeStatus.OPEN, Dispute.due_on < today)
        rows = await self.session.scalars(stmt.order_by(Dispute.due_on, Dispute.created_at))
        return [dispute_out(d, today) for d in rows]

    async def resolve(
        self, dispute_id: UUID, data: DisputeResolve, principal: Principal
    ) -> DisputeOut:
        require_office(principal)
        dispute = await self.session.scalar(
            select(Dispute).where(Dispute.id == dispute_id).with_for_update()
        )
        if dispute is None:
            raise NotFound("no such dispute")
        if dispute.status != DisputeStatus.OPEN:
            raise Conflict("this dispute is already resolved")
        record = await self.session.scalar(
            select(PublicRecord).where(PublicRecord.id == dispute.record_id).with_for_update()
        )
        assert record is not None
        now = dt.datetime.now(dt.UTC)
        if data.outcome == "corrected":
            if data.correction is None:
                raise InvalidInput.field(
                    "correction", "a correction needs the corrected fields", "correction_missing"
                )
            changes = {
                k: v for k, v in msgspec.structs.asdict(data.correction).items() if v is not UNSET
            }
            if not changes:
                raise InvalidInput.field(
                    "correction", "the correction changes nothing", "correction_empty"
                )
            if "decision_date" in changes:
                check_date(
                    "correction.decision_date",
                    changes["decision_date"],
                    earliest=FIRST_DECISION,
                    latest=china_today(),
                )
            if "publish_until" in changes:
                check_date("correction.publish_until", changes["publish_until"])
            for field, value in changes.items():
                setattr(
                    record,
                    field,
                    clean_text(f"correction.{field}", value, kind="text")
                    if isinstance(value, str)
                    else value,
                )
            if record.publish_until and record.publish_until < record.decision_date:
                raise InvalidInput.field(
                    "correction", "publish_until is before decision_date", "date_order"
                )
            record.status = RecordStatus.ACTIVE
        elif data.outcome == "withdrawn":
            record.status = RecordStatus.WITHDRAWN
        else:
            record.status = RecordStatus.ACTIVE  # upheld: the flag goes, both statements stay
        record.status_changed_at = now
        record.status_note = f"dispute {data.outcome}"
        dispute.status = DisputeStatus(data.outcome)
        dispute.resolution = clean_text("resolution", data.resolution, min_length=5, kind="text")
        dispute.correction = (
            {
                k: str(v)
                for k, v in msgspec.structs.asdict(data.correction).items()
                if v is not UNSET
            }
            if data.correction
            else None
        )
        dispute.resolved_by, dispute.resolved_at = principal.user_id, now
        await self.session.flush()
        await snapshots.rebuild(self.session, dispute.enterprise_id, f"dispute_{data.outcome}")
        log.info("dispute_resolved", dispute_id=str(dispute_id), outcome=data.outcome)
        return dispute_out(dispute, now.date())

    # --- repair ---------------------------------------------------------------------------------
    async def repair(self, record_id: UUID, data: RepairRequest, principal: Principal) -> RecordOut:
        require_office(principal)
        record = await self.session.scalar(
            select(PublicRecord).where(PublicRecord.id == record_id).with_for_update()
        )
        if record is None:
            raise NotFound("no such record")
        if record.status not in VISIBLE_STATUSES:
            raise Conflict(f"the record is already {record.status}")
        record.status = RecordStatus.REPAIRED
        record.status_changed_at = dt.datetime.now(dt.UTC)
        record.status_note = clean_text("note", data.note, min_length=5, kind="text")
        await self.session.flush()
        await snapshots.rebuild_for_usccs(self.session, [record.uscc], "record_repaired")
        log.info("record_repaired", record_id=str(record_id))
        return record_out(record)


async def expire_and_purge(session: AsyncSession, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: expire records past their publication period, purge negative records
    more than five years past their decision, and rebuild the profiles they touched."""
    today = today or dt.date.today()
    expired = (
        (
            await session.execute(
                update(PublicRecord)
                .where(
                    PublicRecord.status.in_([s.value for s in VISIBLE_STATUSES]),
                    PublicRecord.publish_until < today,
                )
                .values(
                    status=RecordStatus.EXPIRED,
                    status_changed_at=dt.datetime.now(dt.UTC),
                    status_note="publication period ended",
                )
                .returning(PublicRecord.uscc)
            )
        )
        .scalars()
        .all()
    )
    cutoff = (
        today.replace(year=today.year - RETENTION_YEARS)
        if not (today.month == 2 and today.day == 29)
        else dt.date(today.year - RETENTION_YEARS, 2, 28)
    )
    purged = (
        (
            await session.execute(
                delete(PublicRecord)
                .where(
                    PublicRecord.record_type.in_([t.value for t in NEGATIVE_TYPES]),
                    PublicRecord.decision_date < cutoff,
                )
                .returning(PublicRecord.uscc)
            )
        )
        .scalars()
        .all()
    )
    rebuilt = await snapshots.rebuild_for_usccs(session, [*expired, *purged], "records_expired")
    log.info("records_expired", expired=len(expired), purged=len(purged), rebuilt=rebuilt)
    return {"expired": len(expired), "purged": len(purged), "rebuilt": rebuilt}
