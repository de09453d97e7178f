"""Every background job, its schedule, and the worker context they share.

A job is a thin wrapper: its work is a function of the capability that owns it, and every
transaction it writes is a ``unit_of_work`` (committed, then its after-commit jobs queued)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from uuid import UUID

import structlog

from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.infra.text import storable_text
from xinyidai.settings import Settings

log = structlog.get_logger(__name__)


async def startup(ctx: dict[str, Any], settings: Settings) -> None:
    from xinyidai.domain.applications.relay import ApplicationRelay
    from xinyidai.domain.providers.http import HttpDataProvider
    from xinyidai.domain.webhooks.delivery import WebhookSender
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.infra.signing import Signer

    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    # Sessions made with the worker's queue: work written in a job (e.g. a new snapshot) can
    # queue its follow-up jobs after the commit.
    sessions = session_factory(engine, enqueue=ctx["worker"].queue.enqueue)
    signer = Signer.from_settings(settings)
    ctx.update(
        settings=settings,
        engine=engine,
        sessions=sessions,
        provider=None,
        signer=signer,  # signs the sync's authorization receipts and the webhooks
        webhooks=WebhookSender(settings, signer),
        relay=ApplicationRelay(settings, FieldCipher(settings.data_key_bytes)),  # issue 16
    )
    if settings.provider_url:
        ctx["provider"] = HttpDataProvider.from_settings(settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    provider = ctx.get("provider")
    if provider is not None:
        await provider.aclose()
    webhooks = ctx.get("webhooks")
    if webhooks is not None:
        await webhooks.aclose()
    relay = ctx.get("relay")
    if relay is not None:
        await relay.aclose()
    engine = ctx.get("engine")
    if engine is not None:
        await engine.dispose()


async def sync_enterprise(ctx: dict[str, Any], *, run_id: str) -> dict[str, Any]:
    from xinyidai.domain.credit_data.sync import execute_sync, record_sync_failure

    provider = ctx.get("provider")
    if provider is None:
        await record_sync_failure(ctx["sessions"], UUID(run_id), "no data provider is configured")
        return {"status": "failed"}
    try:
        run = await execute_sync(ctx["sessions"], provider, UUID(run_id), signer=ctx["signer"])
    except Exception as exc:
        # The run ends recorded; if even that fails, the job raises and SAQ keeps its error.
        error = storable_text(f"{type(exc).__name__}: {exc}", limit=500)
        log.error("sync_failed", run_id=run_id, error=error, exc_info=exc)
        await record_sync_failure(ctx["sessions"], UUID(run_id), error)
        return {"status": "failed"}
    return {"status": run.status if run else "missing", "added": run.records_added if run else 0}


async def sync_all(ctx: dict[str, Any]) -> dict[str, int]:
    """Monthly: a sync run for every SME with a live authorization."""
    from xinyidai.domain.credit_data.sync import queue_monthly_syncs

    async with unit_of_work(ctx["sessions"]) as session:
        queued = await queue_monthly_syncs(session, ctx["worker"].queue.enqueue)
    return {"queued": queued}


async def expire_records(ctx: dict[str, Any]) -> dict[str, int]:
    """Daily: records past their publication period expire, old negative ones are purged."""
    from xinyidai.domain.credit_data.records import expire_and_purge

    async with unit_of_work(ctx["sessions"]) as session:
        return await expire_and_purge(session)


async def run_import(ctx: dict[str, Any], *, import_id: str) -> dict[str, Any]:
    from xinyidai.domain.credit_data.office_imports import execute_import

    settings: Settings = ctx["settings"]
    return await execute_import(ctx["sessions"], UUID(import_id), Path(settings.data_dir))


async def sweep_stale(ctx: dict[str, Any]) -> dict[str, int]:
    """Re-enqueue sync runs whose job never reached the queue (e.g. Redis was down at commit),
    and imports whose job never ran or stopped before recording an outcome."""
    from xinyidai.domain.credit_data.office_imports import sweep_imports
    from xinyidai.domain.credit_data.sync import requeue_stale_syncs

    enqueue = ctx["worker"].queue.enqueue
    requeued = await requeue_stale_syncs(ctx["sessions"], enqueue)
    settings: Settings = ctx["settings"]
    imports = await sweep_imports(ctx["sessions"], enqueue, Path(settings.data_dir))
    return {"requeued": requeued, **imports}


async def score_snapshot(ctx: dict[str, Any], *, snapshot_id: str) -> dict[str, Any]:
    """Score a new snapshot with the active model (queued after the commit that built it)."""
    from xinyidai.domain.applications.warnings import queue_check_for_snapshot
    from xinyidai.domain.notifications.qualify import queue_check
    from xinyidai.domain.scoring.services import score_snapshot as score

    async with unit_of_work(ctx["sessions"]) as session:
        stored = await score(session, UUID(snapshot_id))
        queue_check(session)  # a new snapshot (scored or not) may meet a product's rule now
        await queue_check_for_snapshot(session, UUID(snapshot_id))  # post-loan warnings
    if stored is None:
        return {"status": "skipped"}
    return {"status": "scored", "model_version": stored.model_version, "grade": stored.grade}


async def score_all(ctx: dict[str, Any]) -> dict[str, Any]:
    """Nightly: the latest snapshot of every enterprise that the active model has not scored
    (a new activation, snapshots built where no queue was at hand, enqueues that failed)."""
    from xinyidai.domain.notifications.qualify import JOB
    from xinyidai.domain.scoring.services import score_all as batch

    report = await batch(ctx["sessions"])
    if report.scored:
        await ctx["worker"].queue.enqueue(JOB, key=JOB, timeout=1800)
    return {"model_version": report.model_version, "scored": report.scored}


async def find_new_qualifiers(ctx: dict[str, Any]) -> dict[str, Any]:
    """Tell SMEs that now qualify for a product (queued after scores, snapshots and product
    changes commit; every 15 minutes by cron as the backstop)."""
    from xinyidai.domain.notifications.qualify import find_new_qualifiers as check

    async with unit_of_work(ctx["sessions"]) as session:
        told = await check(session)
    return {"told": told}


async def chain_audit(ctx: dict[str, Any]) -> dict[str, Any]:
    """Link the committed audit entries into the hash chain (queued after each append's
    commit; every minute by cron as the backstop). Returns at once if another chainer runs."""
    from xinyidai.domain.audit.chainer import chain_pending

    return dataclasses.asdict(await chain_pending(ctx["engine"]))


async def notify_expired_consents(ctx: dict[str, Any]) -> dict[str, int]:
    """Hourly: banks hear of their consents that expired in the last two days (each once)."""
    import datetime as dt

    from xinyidai.domain.consents.bank_consents import BankConsentService
    from xinyidai.infra.db import unit_of_work

    async with unit_of_work(ctx["sessions"]) as session:
        told = await BankConsentService(session).notify_expired(within=dt.timedelta(days=2))
    return {"told": told}


async def deliver_webhook(ctx: dict[str, Any], *, delivery_id: str) -> dict[str, Any]:
    """One attempt at a bank webhook (queued after the commit that wrote the delivery, and
    again after each failed attempt, at its backoff)."""
    status = await ctx["webhooks"].deliver(ctx["sessions"], UUID(delivery_id))
    return {"status": status.value if status is not None else "not_due"}


async def sweep_webhooks(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: queue again the webhook deliveries whose job was lost."""
    from xinyidai.domain.webhooks.delivery import sweep_deliveries

    return await sweep_deliveries(ctx["sessions"], ctx["settings"])


async def expire_needs(ctx: dict[str, Any]) -> dict[str, int]:
    """Every 15 minutes: needs past their deadline and claims past their committed response
    time expire (the rules hold at read time anyway; this records them)."""
    from xinyidai.domain.needs.services import NeedService

    async with unit_of_work(ctx["sessions"]) as session:
        return await NeedService(session).expire()


# --- the application relay (issue 16) ---------------------------------------------------------
async def deliver_application(ctx: dict[str, Any], *, delivery_id: str) -> dict[str, Any]:
    """One attempt at delivering an application to its bank's intake (queued after the commit
    that wrote or reopened the delivery, and again after each failed attempt, at its backoff)."""
    status = await ctx["relay"].deliver(ctx["sessions"], UUID(delivery_id))
    return {"status": status.value if status is not None else "not_due"}


async def sweep_application_deliveries(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: queue again the application deliveries whose job was lost."""
    from xinyidai.domain.applications.relay import sweep_deliveries

    return await sweep_deliveries(ctx["sessions"], ctx["settings"])


RELAY_FUNCTIONS = [deliver_application, sweep_application_deliveries]
RELAY_CRON_JOBS = [(sweep_application_deliveries, "* * * * *")]
# --- end of the application relay ---------------------------------------------------------------


# --- post-loan warnings (issue 16) ---------------------------------------------------------------
async def check_loan_warnings(ctx: dict[str, Any], *, enterprise_id: str) -> dict[str, int]:
    """Warn the banks lending to an enterprise about what changed since their loans were
    disbursed (queued after each new snapshot of an enterprise with a live loan is scored)."""
    from xinyidai.domain.applications.warnings import check_enterprise

    async with unit_of_work(ctx["sessions"]) as session:
        warned = await check_enterprise(session, UUID(enterprise_id))
    return {"warned": len(warned)}


async def check_all_loan_warnings(ctx: dict[str, Any]) -> dict[str, int]:
    """Daily: a warning check for every enterprise with a live loan (the backstop)."""
    from xinyidai.domain.applications.warnings import queue_all_checks

    async with ctx["sessions"]() as session:
        queued = await queue_all_checks(session, ctx["worker"].queue.enqueue)
    return {"queued": queued}


WARNING_FUNCTIONS = [check_loan_warnings, check_all_loan_warnings]
WARNING_CRON_JOBS = [(check_all_loan_warnings, "40 2 * * *")]  # daily, after the nightly scores
# --- end of post-loan warnings -------------------------------------------------------------------


# --- the credit office's exports (issue 17) -------------------------------------------------------
async def run_export(ctx: dict[str, Any], *, export_id: str) -> dict[str, Any]:
    """Write one office export's file (queued after the commit that asked for it)."""
    from xinyidai.domain.monitoring.export_jobs import execute_export

    return await execute_export(ctx["sessions"], UUID(export_id))


async def sweep_exports(ctx: dict[str, Any]) -> dict[str, int]:
    """Every 10 minutes: exports whose job never came are queued again, those whose job died
    are failed, and those past ``EXPORT_RETENTION_DAYS`` are deleted with their files."""
    from xinyidai.domain.monitoring.export_jobs import sweep_exports as sweep

    settings: Settings = ctx["settings"]
    return await sweep(ctx["sessions"], ctx["worker"].queue.enqueue, settings.export_retention_days)


EXPORT_FUNCTIONS = [run_export, sweep_exports]
EXPORT_CRON_JOBS = [(sweep_exports, "*/10 * * * *")]
# --- end of the credit office's exports ----------------------------------------------------------


FUNCTIONS = [
    sync_enterprise,
    sync_all,
    expire_records,
    run_import,
    sweep_stale,
    score_snapshot,
    score_all,
    chain_audit,
    find_new_qualifiers,
    deliver_webhook,
    sweep_webhooks,
    notify_expired_consents,
    expire_needs,
    *RELAY_FUNCTIONS,
    *WARNING_FUNCTIONS,
    *EXPORT_FUNCTIONS,
]
CRON_JOBS = [
    (sync_all, "0 3 1 * *"),  # 03:00 on the 1st: last month's figures
    (expire_records, "10 0 * * *"),  # daily, just after midnight
    (sweep_stale, "*/10 * * * *"),
    (score_all, "30 1 * * *"),  # nightly, after the expiry job's rebuilds
    (chain_audit, "* * * * *"),  # the backstop: appends queue a run after their commit
    (sweep_webhooks, "* * * * *"),
    (notify_expired_consents, "5 * * * *"),  # hourly: consent.expired webhooks
    (find_new_qualifiers, "*/15 * * * *"),  # the backstop of "you now qualify"
    (expire_needs, "*/15 * * * *"),  # needs past their deadline, claims past their time
    *RELAY_CRON_JOBS,
    *WARNING_CRON_JOBS,
    *EXPORT_CRON_JOBS,
]
