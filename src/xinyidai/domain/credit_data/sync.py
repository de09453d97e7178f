"""Fetching an SME's authorised families from the data provider (a job), and its records.

A sync run is a row (``sync_runs``) and a SAQ job. The job fetches, for every family with a
live authorisation, the last 36 complete months, presenting a receipt the platform signs for
that authorisation (``domain/consents/receipts.py``: one per authorisation and run, issued
again if the run outlasts it); an enterprise that ``receipts.data_subject`` refuses is never
fetched. Rows are inserted with their provenance and ``ON CONFLICT DO NOTHING``, so re-running
a sync for periods already held changes nothing. Families without a live authorisation are never
requested. Authorisations are checked again after the fetch, so a revocation that lands while
the provider answers still keeps that family's data out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from xinyidai.domain.accounts.guards import require_own_enterprise
from xinyidai.domain.consents import receipts
from xinyidai.domain.profiles import snapshots
from xinyidai.enums import Family
from xinyidai.infra.db import after_commit, commit
from xinyidai.infra.errors import NotFound
from xinyidai.infra.text import storable_text
from xinyidai.models import SERIES_MODELS, Enterprise, SyncRun, SyncStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.domain.providers.base import DataProvider
    from xinyidai.infra.signing import Signer

log = structlog.get_logger(__name__)
Enqueue = Callable[..., Awaitable[Any]]
MAX_ERROR = 4000  # characters of a run's error kept


class SyncRunOut(msgspec.Struct, kw_only=True):
    job_id: UUID
    status: SyncStatus
    trigger: str
    families: list[str]
    records_added: int
    error: str | None
    requested_at: dt.datetime
    finished_at: dt.datetime | None


def to_out(run: SyncRun) -> SyncRunOut:
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


async def queue_sync(
    session: AsyncSession,
    enqueue: Enqueue,
    enterprise_id: UUID,
    *,
    trigger: str,
    requested_by: UUID | None = None,
) -> SyncRun:
    """Record a sync run and enqueue its job once the transaction commits."""
    run = SyncRun(
        enterprise_id=enterprise_id,
        trigger=trigger,
        requested_by=requested_by,
        status=SyncStatus.QUEUED,
        families=[],
    )
    session.add(run)
    await session.flush()
    run_id = str(run.id)

    async def send() -> None:
        await enqueue("sync_enterprise", run_id=run_id, key=f"sync:{run_id}", timeout=600)

    after_commit(session, send)
    return run


class SyncService:
    def __init__(self, session: AsyncSession, enqueue: Enqueue) -> None:
        self.session = session
        self.enqueue = enqueue

    async def request(self, enterprise_id: UUID, principal: Principal) -> SyncRunOut:
        require_own_enterprise(principal, enterprise_id)
        run = await queue_sync(
            self.session,
            self.enqueue,
            enterprise_id,
            trigger="manual",
            requested_by=principal.user_id,
        )
        return to_out(run)

    async def status(self, enterprise_id: UUID, job_id: UUID, principal: Principal) -> SyncRunOut:
        require_own_enterprise(principal, enterprise_id)
        run = await self.session.scalar(
            select(SyncRun).where(SyncRun.id == job_id, SyncRun.enterprise_id == enterprise_id)
        )
        if run is None:
            raise NotFound("no such sync job")
        return to_out(run)


async def store(
    session: AsyncSession,
    enterprise_id: UUID,
    family: Family,
    records: list[Any],
    authorization_id: UUID,
    source: str,
    fetched_at: dt.datetime,
) -> int:
    """Insert fetched months; periods already held are left as they are. Returns rows added."""
    if not records:
        return 0
    table = SERIES_MODELS[family].__table__
    rows = [
        {
            "enterprise_id": enterprise_id,
            "period": r.period,
            "source": source,
            "provider_ref": r.provider_ref,
            "fetched_at": fetched_at,
            "authorization_id": authorization_id,
            **r.values,
        }
        for r in records
    ]
    added = 0
    for start in range(0, len(rows), 500):
        result = await session.execute(
            insert(table)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["enterprise_id", "period"])
            .returning(table.c.period)
        )
        added += len(result.all())
    return added


async def execute_sync(
    sessions: async_sessionmaker[AsyncSession],
    provider: DataProvider,
    run_id: UUID,
    now: dt.datetime | None = None,
    *,
    signer: Signer,
) -> SyncRun | None:
    """The job body: fetch, store, rebuild the profile, and record the outcome on the run.

    ``signer`` signs the run's authorisation receipts. ``now`` sets the window of months and
    which authorisations are live; receipts always carry the wall clock (the provider checks
    their times against its own)."""
    from xinyidai.domain.providers.base import ProviderError

    now = now or dt.datetime.now(dt.UTC)
    async with sessions() as session:
        run = await session.get(SyncRun, run_id)
        if run is None or run.status in (SyncStatus.DONE, SyncStatus.FAILED):
            return run
        run.status = SyncStatus.RUNNING
        await session.commit()
        enterprise = await session.get(Enterprise, run.enterprise_id)
        assert enterprise is not None
        enterprise_id = enterprise.id
        try:
            subject = receipts.data_subject(enterprise)
        except receipts.FetchRefused as refused:
            run.status, run.error = SyncStatus.FAILED, str(refused)[:4000]
            run.finished_at = dt.datetime.now(dt.UTC)
            await session.commit()
            log.info("sync_refused", enterprise_id=str(enterprise_id), reason=str(refused))
            return run
        auths = await snapshots.live_authorisations(session, enterprise_id, now)
        await session.commit()

    first, last = snapshots.window(now.date())
    book = receipts.ReceiptBook(signer, subject, provider.audience)
    fetched: dict[Family, Any] = {}
    errors: list[str] = []
    for family, auth in sorted(auths.items()):
        try:
            receipt = book.receipt(auth)
        except ValueError as exc:  # it ended between the query and now
            errors.append(f"{family.value}: {exc}")
            continue
        try:
            fetched[family] = await provider.fetch(subject.uscc, family, first, last, receipt)
        except ProviderError as exc:
            errors.append(f"{family.value}: {exc}")
            log.warning(
                "sync_family_failed",
                enterprise_id=str(enterprise_id),
                family=family.value,
                error=storable_text(exc, limit=500),
            )

    async with sessions() as session:
        run = await session.get(SyncRun, run_id)
        assert run is not None
        still_live = await snapshots.live_authorisations(
            session, enterprise_id, dt.datetime.now(dt.UTC)
        )
        added = 0
        stored: list[str] = []
        for family, result in fetched.items():
            current = still_live.get(family)
            if current is None:  # revoked while the provider answered: keep nothing
                errors.append(f"{family.value}: authorisation ended during the sync")
                continue
            added += await store(
                session, enterprise_id, family, result.records, auths[family].id, provider.name, now
            )
            stored.append(family.value)
            for rejected in result.rejected:
                errors.append(f"{family.value} {rejected.period or '?'}: {rejected.reason}")
        await snapshots.rebuild(session, enterprise_id, "sync", now)
        run.families = stored
        run.records_added = added
        run.error = storable_text("; ".join(errors), limit=MAX_ERROR) or None
        run.status = SyncStatus.FAILED if auths and not stored else SyncStatus.DONE
        run.finished_at = dt.datetime.now(dt.UTC)
        await commit(session)  # and queue what the new snapshot needs (its score)
        log.info(
            "sync_finished",
            enterprise_id=str(enterprise_id),
            families=stored,
            records_added=added,
            status=run.status,
        )
        return run


async def record_sync_failure(
    sessions: async_sessionmaker[AsyncSession], run_id: UUID, error: object
) -> None:
    """Mark an unfinished run ``failed`` with ``error`` made storable, in its own transaction
    (a job that raised must not leave its run ``running`` for ever)."""
    async with sessions() as session:
        run = await session.get(SyncRun, run_id)
        if run is not None and run.status not in (SyncStatus.DONE, SyncStatus.FAILED):
            run.status = SyncStatus.FAILED
            run.error = storable_text(error, limit=MAX_ERROR)
            run.finished_at = dt.datetime.now(dt.UTC)
            await session.commit()
