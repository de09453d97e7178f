"""The sync job: fetching an SME's authorized families from the data provider and storing them.

A sync run is a row (``sync_runs``) and a SAQ job. The job fetches, for every family with a
live authorization, the last 36 complete months, presenting a receipt the platform signs for
that authorization (``domain/consents/receipts.py``: one per authorization and run, issued
again if the run outlasts it); an enterprise that ``receipts.data_subject`` refuses is never
fetched. Families without a live authorization are never requested. Authorizations are checked
again after the fetch, so a revocation that lands while the provider answers still keeps that
family's data out.

An SME's families are fetched at once (the connector bounds how many calls are at the provider,
``PROVIDER_CONCURRENCY``); many SMEs are synced at once by :func:`execute_syncs` under
``SYNC_CONCURRENCY``. What was fetched is written in one transaction: one statement per family
(``INSERT … SELECT … FROM unnest(…)`` of the family's months, each row with its provenance and
``ON CONFLICT DO NOTHING``, so re-running a sync for periods already held changes nothing), then
the profile snapshot, rebuilt once, and the run's outcome. A failure anywhere in it leaves none
of it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.dialects import postgresql

from xinyidai.dates import utc_now
from xinyidai.domain.consents import receipts
from xinyidai.domain.consents.services import AuthorizationService
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.providers.base import VALUE_COLUMNS
from xinyidai.enums import Family
from xinyidai.infra.db import after_commit, unit_of_work
from xinyidai.infra.text import storable_text
from xinyidai.models import SERIES_MODELS, Enterprise, SyncRun, SyncStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.domain.providers.base import DataProvider, FetchResult
    from xinyidai.infra.db import Enqueue
    from xinyidai.infra.signing import Signer

log = structlog.get_logger(__name__)
MAX_ERROR = 4000  # characters of a run's error kept
STALE_AFTER = dt.timedelta(minutes=10)  # a queued run whose job never came


async def enqueue_sync(enqueue: Enqueue, run_id: str) -> None:
    """Queue the run's job (once: the key dedupes it while a job for it is incomplete)."""
    await enqueue("sync_enterprise", run_id=run_id, key=f"sync:{run_id}", timeout=600)


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
        await enqueue_sync(enqueue, run_id)

    after_commit(session, send)
    return run


async def queue_monthly_syncs(
    session: AsyncSession, enqueue: Enqueue, now: dt.datetime | None = None
) -> int:
    """A sync run for every enterprise with a live authorization (the monthly job), each
    queued once the transaction commits. Returns how many."""
    enterprise_ids = await AuthorizationService(session).authorized_enterprises(now or utc_now())
    for enterprise_id in enterprise_ids:
        await queue_sync(session, enqueue, enterprise_id, trigger="monthly")
    return len(enterprise_ids)


async def requeue_stale_syncs(
    sessions: async_sessionmaker[AsyncSession], enqueue: Enqueue, now: dt.datetime | None = None
) -> int:
    """Queue again the runs still ``queued`` after ten minutes: their job never reached the
    queue (Redis was down at the commit). Returns how many."""
    cutoff = (now or utc_now()) - STALE_AFTER
    async with unit_of_work(sessions) as session:
        stale = (
            await session.scalars(
                select(SyncRun.id).where(
                    SyncRun.status == SyncStatus.QUEUED, SyncRun.created_at < cutoff
                )
            )
        ).all()
    for run_id in stale:
        await enqueue_sync(enqueue, str(run_id))
    return len(stale)


_SCALARS = ("enterprise_id", "source", "fetched_at", "authorization_id")  # same on every row


@functools.cache
def _insert_statement(family: Family) -> TextClause:
    """The one statement that writes a family's fetched months: arrays of the per-row columns
    unnested into rows, the provenance every row shares bound once. Built once per family, so
    its SQL is compiled (and prepared by asyncpg) once, however many months it carries."""
    table = SERIES_MODELS[family].__table__
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    per_row = ["period", "provider_ref", *(c.name for c in VALUE_COLUMNS[family])]

    def sql_type(name: str) -> str:
        return str(table.c[name].type.compile(dialect=dialect))

    targets = ", ".join(f'"{name}"' for name in (*_SCALARS, *per_row))
    picked = ", ".join(
        [f"CAST(:{name} AS {sql_type(name)})" for name in _SCALARS]
        + [f'u."{name}"' for name in per_row]
    )
    arrays = ", ".join(f"CAST(:{name} AS {sql_type(name)}[])" for name in per_row)
    names = ", ".join(f'"{name}"' for name in per_row)
    statement = text(
        f'INSERT INTO "{table.name}" ({targets}) SELECT {picked} '  # noqa: S608 - names from the model
        f"FROM unnest({arrays}) AS u({names}) "
        "ON CONFLICT (enterprise_id, period) DO NOTHING RETURNING period"
    )
    # The shared values go through their columns' types (e.g. DateTimeUTC refuses naive times).
    return statement.bindparams(*(bindparam(name, type_=table.c[name].type) for name in _SCALARS))


async def store(
    session: AsyncSession,
    enterprise_id: UUID,
    family: Family,
    records: Sequence[Any],
    authorization_id: UUID,
    source: str,
    fetched_at: dt.datetime,
) -> int:
    """Insert fetched months, each with its provenance, in one statement; periods already held
    are left as they are. Returns rows added."""
    if not records:
        return 0
    params: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "source": source,
        "fetched_at": fetched_at,
        "authorization_id": authorization_id,
        "period": [r.period for r in records],
        "provider_ref": [r.provider_ref for r in records],
    }
    for column in VALUE_COLUMNS[family]:
        params[column.name] = [r.values[column.name] for r in records]
    result = await session.execute(_insert_statement(family), params)
    return len(result.all())


async def execute_sync(
    sessions: async_sessionmaker[AsyncSession],
    provider: DataProvider,
    run_id: UUID,
    now: dt.datetime | None = None,
    *,
    signer: Signer,
) -> SyncRun | None:
    """The job body: fetch, store, rebuild the profile, and record the outcome on the run.

    ``signer`` signs the run's authorization receipts. ``now`` sets the window of months and
    which authorizations are live; receipts always carry the wall clock (the provider checks
    their times against its own)."""
    now = now or utc_now()
    async with unit_of_work(sessions) as session:
        run = await session.get(SyncRun, run_id)
        if run is None or run.status in (SyncStatus.DONE, SyncStatus.FAILED):
            return run
        run.status = SyncStatus.RUNNING
        enterprise_id = run.enterprise_id
        enterprise = await session.get(Enterprise, enterprise_id)
        assert enterprise is not None
        try:
            subject = receipts.data_subject(enterprise)
        except receipts.FetchRefused as refused:
            run.status, run.error = SyncStatus.FAILED, str(refused)[:4000]
            run.finished_at = utc_now()
            log.info("sync_refused", enterprise_id=str(enterprise_id), reason=str(refused))
            return run
        auths = await snapshots.live_authorizations(session, enterprise_id, now)

    first, last = snapshots.window(now.date())
    book = receipts.ReceiptBook(signer, subject, provider.audience)
    fetched, errors = await _fetch_families(
        provider, subject.uscc, auths, book, first, last, enterprise_id
    )

    async with unit_of_work(sessions) as session:  # commits, then queues the snapshot's score
        run = await session.get(SyncRun, run_id)
        assert run is not None
        still_live = await snapshots.live_authorizations(session, enterprise_id, utc_now())
        added = 0
        stored: list[str] = []
        for family, result in fetched.items():
            current = still_live.get(family)
            if current is None:  # revoked while the provider answered: keep nothing
                errors.append(f"{family.value}: authorization ended during the sync")
                continue
            added += await store(
                session, enterprise_id, family, result.records, auths[family].id, provider.name, now
            )
            stored.append(family.value)
            for rejected in result.rejected:
                errors.append(f"{family.value} {rejected.period or '?'}: {rejected.reason}")
        await snapshots.rebuild(session, enterprise_id, "sync", now)  # once, for every family
        run.families = stored
        run.records_added = added
        run.error = storable_text("; ".join(errors), limit=MAX_ERROR) or None
        run.status = SyncStatus.FAILED if auths and not stored else SyncStatus.DONE
        run.finished_at = utc_now()
    log.info(
        "sync_finished",
        enterprise_id=str(enterprise_id),
        families=stored,
        records_added=added,
        status=run.status,
    )
    return run


async def _fetch_families(
    provider: DataProvider,
    uscc: str,
    auths: dict[Family, Any],
    book: receipts.ReceiptBook,
    first: dt.date,
    last: dt.date,
    enterprise_id: UUID,
) -> tuple[dict[Family, FetchResult], list[str]]:
    """Every authorized family of one SME, fetched at once (the connector bounds the calls at
    the provider): what came back by family, in family order, and the errors of the rest."""
    from xinyidai.domain.providers.base import ProviderError

    errors: list[str] = []
    calls: dict[Family, asyncio.Task[FetchResult]] = {}
    for family, auth in sorted(auths.items()):
        try:
            receipt = book.receipt(auth)
        except ValueError as exc:  # it ended between the query and now
            errors.append(f"{family.value}: {exc}")
            continue
        calls[family] = asyncio.ensure_future(provider.fetch(uscc, family, first, last, receipt))
    # Every call ends before anything is raised: none is left running behind the run.
    outcomes = await asyncio.gather(*calls.values(), return_exceptions=True)
    fetched: dict[Family, FetchResult] = {}
    for family, outcome in zip(calls, outcomes, strict=True):
        if isinstance(outcome, ProviderError):
            errors.append(f"{family.value}: {outcome}")
            log.warning(
                "sync_family_failed",
                enterprise_id=str(enterprise_id),
                family=family.value,
                error=storable_text(outcome, limit=500),
            )
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            fetched[family] = outcome
    return fetched, errors


async def execute_syncs(
    sessions: async_sessionmaker[AsyncSession],
    provider: DataProvider,
    run_ids: Sequence[UUID],
    *,
    signer: Signer,
    concurrency: int,
    now: dt.datetime | None = None,
) -> list[SyncRun | None]:
    """Many runs, at most ``concurrency`` (``SYNC_CONCURRENCY``) of them at once, sharing one
    connector (so its bound on calls at the provider holds for all); their runs, in order."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots = asyncio.Semaphore(concurrency)

    async def one(run_id: UUID) -> SyncRun | None:
        async with slots:
            return await execute_sync(sessions, provider, run_id, now, signer=signer)

    return list(await asyncio.gather(*(one(run_id) for run_id in run_ids)))


async def record_sync_failure(
    sessions: async_sessionmaker[AsyncSession], run_id: UUID, error: object
) -> None:
    """Mark an unfinished run ``failed`` with ``error`` made storable, in its own transaction
    (a job that raised must not leave its run ``running`` for ever)."""
    async with unit_of_work(sessions) as session:
        run = await session.get(SyncRun, run_id)
        if run is not None and run.status not in (SyncStatus.DONE, SyncStatus.FAILED):
            run.status = SyncStatus.FAILED
            run.error = storable_text(error, limit=MAX_ERROR)
            run.finished_at = utc_now()
