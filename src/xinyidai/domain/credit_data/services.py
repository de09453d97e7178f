"""An SME's credit data, for the SME and the credit office: public records with disputes (异议)
and repair (信用修复), the monthly series of authorized families, sync runs, and the office's
uploads of public-credit files.

The jobs behind them live beside: the sync (``sync.py``), the upload's import
(``office_imports.py``) and the daily expiry of records (``records.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec
import structlog
from msgspec import UNSET
from sqlalchemy import func, select

from xinyidai.dates import china_today, month_index, utc_now
from xinyidai.domain.accounts.guards import (
    require_office,
    require_own_enterprise,
    require_readable_enterprise,
)
from xinyidai.domain.credit_data.office_imports import enqueue_import, upload_path
from xinyidai.domain.credit_data.schemas import (
    DisputeCreate,
    DisputeOut,
    DisputeResolve,
    ImportOut,
    RecordOut,
    RejectedRow,
    RepairRequest,
    SeriesMonth,
    SeriesOut,
    SyncRunOut,
)
from xinyidai.domain.credit_data.sync import queue_sync
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.profiles.access import AccessLog
from xinyidai.enums import (
    NEGATIVE_TYPES,
    VISIBLE_STATUSES,
    Family,
    RecordStatus,
    RecordType,
    Severity,
)
from xinyidai.infra.bounds import check_date, parse_month
from xinyidai.infra.db import after_commit
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    SERIES_MODELS,
    CreditImport,
    Dispute,
    DisputeStatus,
    Enterprise,
    ImportStatus,
    PublicRecord,
    SyncRun,
    SyncStatus,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.infra.db import Enqueue

log = structlog.get_logger(__name__)
FIRST_DECISION = dt.date(1949, 1, 1)  # no public credit decision is older
DISPUTE_DAYS = 20  # 征信业管理条例 Art.25
MAX_SERIES_MONTHS = 120  # one read of a series covers at most ten years
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]+")


def record_out(r: PublicRecord) -> RecordOut:
    """The API's view of a public record."""
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


def dispute_out(d: Dispute, today: dt.date, enterprise: Enterprise | None = None) -> DisputeOut:
    """The API's view of a dispute; overdue against ``today``; naming the enterprise when
    given (the office's queue)."""
    return DisputeOut(
        enterprise_name=enterprise.name if enterprise is not None else None,
        enterprise_uscc=enterprise.uscc if enterprise is not None else None,
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


def sync_run_out(run: SyncRun) -> SyncRunOut:
    """The API's view of a sync run."""
    return SyncRunOut(
        job_id=run.id,
        status=SyncStatus(run.status),
        trigger=run.trigger,
        families=list(run.families or []),
        records_added=run.records_added,
        error=run.error,
        requested_at=run.created_at,
        finished_at=run.finished_at,
    )


def import_out(row: CreditImport) -> ImportOut:
    """The API's view of an import and its report."""
    return ImportOut(
        id=row.id,
        filename=row.filename,
        status=ImportStatus(row.status),
        accepted=row.accepted,
        updated=row.updated,
        unchanged=row.unchanged,
        rejected_count=row.rejected_count,
        rejected=[RejectedRow(row=r["row"], reason=r["reason"]) for r in row.rejected or []],
        error=row.error,
        submitted_at=row.created_at,
        finished_at=row.finished_at,
    )


async def _readable_enterprise(
    session: AsyncSession, enterprise_id: UUID, principal: Principal
) -> Enterprise:
    """The enterprise if ``principal`` may read its data; else NotFound."""
    require_readable_enterprise(principal, enterprise_id)
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("no such enterprise")
    return enterprise


class RecordService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.access = AccessLog(session)

    async def list_for(
        self, enterprise_id: UUID, principal: Principal, *, include_history: bool
    ) -> list[RecordOut]:
        """The public records about an enterprise (the office's read is logged)."""
        enterprise = await _readable_enterprise(self.session, enterprise_id, principal)
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
        """The SME disputes one of its records: it is flagged until the office answers."""
        require_own_enterprise(principal, enterprise_id)
        today = today or china_today()
        enterprise = await _readable_enterprise(self.session, enterprise_id, principal)
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
        record.status, record.status_changed_at = RecordStatus.DISPUTED, utc_now()
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
        """The SME's own disputes, newest first."""
        require_own_enterprise(principal, enterprise_id)
        rows = await self.session.scalars(
            select(Dispute)
            .where(Dispute.enterprise_id == enterprise_id)
            .order_by(Dispute.created_at.desc())
        )
        today = china_today()
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
        today = today or china_today()
        stmt = select(Dispute, Enterprise).join(Enterprise, Enterprise.id == Dispute.enterprise_id)
        if status is not None:
            stmt = stmt.where(Dispute.status == status)
        if overdue_only:
            stmt = stmt.where(Dispute.status == DisputeStatus.OPEN, Dispute.due_on < today)
        rows = await self.session.execute(stmt.order_by(Dispute.due_on, Dispute.created_at))
        return [dispute_out(d, today, enterprise) for d, enterprise in rows.tuples()]

    async def resolve(
        self, dispute_id: UUID, data: DisputeResolve, principal: Principal
    ) -> DisputeOut:
        """The office answers a dispute: the record corrected, withdrawn, or upheld."""
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
        now = utc_now()
        if data.outcome == "corrected":
            _correct(record, data)
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
        return dispute_out(dispute, china_today())

    # --- repair ---------------------------------------------------------------------------------
    async def repair(self, record_id: UUID, data: RepairRequest, principal: Principal) -> RecordOut:
        """The office marks a record repaired: it is no longer shown."""
        require_office(principal)
        record = await self.session.scalar(
            select(PublicRecord).where(PublicRecord.id == record_id).with_for_update()
        )
        if record is None:
            raise NotFound("no such record")
        if record.status not in VISIBLE_STATUSES:
            raise Conflict(f"the record is already {record.status}")
        record.status = RecordStatus.REPAIRED
        record.status_changed_at = utc_now()
        record.status_note = clean_text("note", data.note, min_length=5, kind="text")
        await self.session.flush()
        await snapshots.rebuild_for_usccs(self.session, [record.uscc], "record_repaired")
        log.info("record_repaired", record_id=str(record_id))
        return record_out(record)


async def overdue_dispute_count(session: AsyncSession, today: dt.date | None = None) -> int:
    """Open disputes past their 20-day answer limit (the office's alerts; the same rule as the
    queue's ``overdue``)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Dispute)
        .where(Dispute.status == DisputeStatus.OPEN, Dispute.due_on < (today or china_today()))
    )
    return int(count or 0)


def _correct(record: PublicRecord, data: DisputeResolve) -> None:
    """Apply a dispute's correction to the record, checked like an imported one."""
    if data.correction is None:
        raise InvalidInput.field(
            "correction", "a correction needs the corrected fields", "correction_missing"
        )
    changes = {k: v for k, v in msgspec.structs.asdict(data.correction).items() if v is not UNSET}
    if not changes:
        raise InvalidInput.field("correction", "the correction changes nothing", "correction_empty")
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


class SeriesService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def read(
        self,
        enterprise_id: UUID,
        family: Family,
        principal: Principal,
        first_text: str | None,
        last_text: str | None,
        today: dt.date | None = None,
    ) -> SeriesOut:
        """One family's stored months (by default the profile's window; the office's read is
        logged)."""
        await _readable_enterprise(self.session, enterprise_id, principal)
        default_first, default_last = snapshots.window(today or china_today())
        first = parse_month("from", first_text) if first_text is not None else default_first
        last = parse_month("to", last_text) if last_text is not None else default_last
        if not 0 <= month_index(last) - month_index(first) < MAX_SERIES_MONTHS:
            raise InvalidInput.field(
                "from", "the range is reversed or longer than 10 years", "range_invalid"
            )
        table = SERIES_MODELS[family].__table__
        rows = (
            (
                await self.session.execute(
                    select(table)
                    .where(
                        table.c.enterprise_id == enterprise_id, table.c.period.between(first, last)
                    )
                    .order_by(table.c.period)
                )
            )
            .mappings()
            .all()
        )
        columns = snapshots.value_columns(family)
        await AccessLog(self.session).record(
            enterprise_id,
            principal,
            resource=f"series:{family.value}",
            detail=f"{first:%Y-%m}..{last:%Y-%m}, {len(rows)} months",
        )
        return SeriesOut(
            family=family,
            first=f"{first:%Y-%m}",
            last=f"{last:%Y-%m}",
            months=[
                SeriesMonth(
                    period=f"{r['period']:%Y-%m}",
                    values={c: (str(r[c]) if not isinstance(r[c], int) else r[c]) for c in columns},
                    source=r["source"],
                    provider_ref=r["provider_ref"],
                    fetched_at=r["fetched_at"],
                    authorization_id=r["authorization_id"],
                )
                for r in rows
            ],
        )


class SyncService:
    def __init__(self, session: AsyncSession, enqueue: Enqueue) -> None:
        self.session = session
        self.enqueue = enqueue

    async def request(self, enterprise_id: UUID, principal: Principal) -> SyncRunOut:
        """The SME asks for a sync now: a run is recorded and its job queued at the commit."""
        require_own_enterprise(principal, enterprise_id)
        run = await queue_sync(
            self.session,
            self.enqueue,
            enterprise_id,
            trigger="manual",
            requested_by=principal.user_id,
        )
        return sync_run_out(run)

    async def status(self, enterprise_id: UUID, job_id: UUID, principal: Principal) -> SyncRunOut:
        """One sync run of the SME's."""
        require_own_enterprise(principal, enterprise_id)
        run = await self.session.scalar(
            select(SyncRun).where(SyncRun.id == job_id, SyncRun.enterprise_id == enterprise_id)
        )
        if run is None:
            raise NotFound("no such sync job")
        return sync_run_out(run)


class OfficeImportService:
    def __init__(self, session: AsyncSession, enqueue: Enqueue, data_dir: Path) -> None:
        self.session = session
        self.enqueue = enqueue
        self.data_dir = data_dir

    async def submit(self, filename: str, content: bytes, principal: Principal) -> ImportOut:
        """Store an uploaded file and queue its import once the transaction commits."""
        require_office(principal)
        name = _SAFE_NAME.sub("_", Path(filename or "upload.csv").name)[:200] or "upload.csv"
        if not content.strip():
            raise InvalidInput.field("file", "the file is empty", "file_empty")
        if not name.lower().endswith((".csv", ".jsonl", ".json", ".ndjson", ".txt")):
            raise InvalidInput.field("file", "upload a .csv or .jsonl file", "file_type")
        row = CreditImport(
            filename=name, submitted_by=principal.user_id, status=ImportStatus.QUEUED, rejected=[]
        )
        self.session.add(row)
        await self.session.flush()
        path = upload_path(self.data_dir, row.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        import_id = str(row.id)

        async def send() -> None:
            await enqueue_import(self.enqueue, import_id)

        after_commit(self.session, send)
        log.info("import_submitted", import_id=import_id, bytes=len(content))
        return import_out(row)

    async def status(self, import_id: UUID, principal: Principal) -> ImportOut:
        """State and report of one import."""
        require_office(principal)
        row = await self.session.get(CreditImport, import_id)
        if row is None:
            raise NotFound("no such import")
        return import_out(row)
