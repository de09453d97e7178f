"""Bench rows ``sync`` and ``sync_2w``: a full sync of the demo city from the sandbox provider.

Ours: ``sync_demo_city`` (OAuth, one call per SME and family, an SME's families at once under
the connector's bound ``PROVIDER_CONCURRENCY`` = 8, the baseline's concurrency; up to
``SYNC_CONCURRENCY`` SMEs at once; validation; one insert per family with provenance; a profile
snapshot per SME), in records per second. ``sync_2w`` spreads the same runs over 2 worker
processes (each with its own connector, bound and pool, as two job workers would have), timed
from a start signal once both are set up. Baseline, in the same run: the same calls made with
bare httpx (one token, 8 at once), parsing the JSON and nothing else: what fetching alone
costs. Both talk to the same sandbox server process. Each side's CPU seconds (client and
sandbox) are printed; ``BENCH_SYNC_PROFILE=<file>`` writes a cProfile of the one-process sync.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import Log, console
from bench.public_import import ImportRow, Throughput
from bench.scenarios import SyncScenario
from bench.scratch import scratch_database
from bench.servers import Context, free_port
from xinyidai.cli.common import identity_or_sandbox, in_session, provider_or_sandbox
from xinyidai.enums import Family
from xinyidai.settings import Env, Settings

CONCURRENCY = 8
T = TypeVar("T")


def _seed(settings: Settings) -> None:
    """Seed the demo city in the scratch database."""
    from xinyidai.domain.demo.seed import seed_demo

    async def work(session: AsyncSession, _: object) -> None:
        await seed_demo(session, None, settings)

    in_session(settings, work)


def _verify_and_authorize(settings: Settings) -> None:
    """What ``xinyidai run`` does next: the demo SMEs verify their claims at the identity
    service, then grant their authorizations."""
    from xinyidai.domain.demo.seed import authorize_demo_city, verify_demo_city

    async def work(session: AsyncSession, _: object) -> None:
        await authorize_demo_city(session)

    asyncio.run(verify_demo_city(settings))
    in_session(settings, work)


def _series_with_receipts(settings: Settings) -> list[tuple[str, str, str]]:
    """(USCC, family, signed receipt) for every authorized series: what the bare fetch asks for,
    with the receipt the provider requires, signed as the platform's sync signs it."""
    from sqlalchemy import select

    from xinyidai.domain.consents import receipts
    from xinyidai.infra.signing import Signer
    from xinyidai.models import DataAuthorization, Enterprise

    assert settings.provider_url
    signer = Signer.from_settings(settings)
    audience = settings.provider_audience or settings.provider_url

    async def work(session: AsyncSession, _: object) -> list[tuple[str, str, str]]:
        rows = await session.execute(
            select(Enterprise, DataAuthorization).join(
                DataAuthorization, DataAuthorization.enterprise_id == Enterprise.id
            )
        )
        series = []
        for enterprise, auth in rows.tuples():
            book = receipts.ReceiptBook(signer, receipts.data_subject(enterprise), audience)
            receipt = book.receipt(auth)
            series += [(enterprise.uscc, family, receipt) for family in auth.families]
        return series

    return in_session(settings, work)


async def _raw_fetch(
    url: str, client_id: str, secret: str, work: list[tuple[str, str, str]], first: str, last: str
) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        token = (
            await client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
        ).json()["access_token"]
        semaphore = asyncio.Semaphore(CONCURRENCY)
        months = 0

        async def one(uscc: str, family: str, receipt: str) -> None:
            nonlocal months
            async with semaphore:
                response = await client.get(
                    f"/v1/enterprises/{uscc}/series/{family}",
                    params={"from": first, "to": last},
                    headers={
                        "Authorization": f"Bearer {token}",
                        "X-Authorization-Receipt": receipt,
                    },
                )
                response.raise_for_status()
                months += len(response.json()["items"])

        await asyncio.gather(*(one(*w) for w in work))
        return months


class CpuMeter:
    """CPU seconds (user + system) spent by this process (with its worker children) and by the
    sandbox provider process, between ``start()`` and ``stop()``: where a side's time went."""

    def __init__(self, sandbox_port: int) -> None:
        import psutil

        me = psutil.Process()
        self._me = me
        self._sandbox = next(
            (
                child
                for child in me.children(recursive=True)
                if "xinyidai.sandbox" in " ".join(child.cmdline())
                and str(sandbox_port) in " ".join(child.cmdline())
            ),
            None,
        )
        self._started: tuple[float, float] = (0.0, 0.0)

    def _now(self) -> tuple[float, float]:
        own = self._me.cpu_times()
        mine = own.user + own.system + own.children_user + own.children_system
        sandbox = self._sandbox.cpu_times() if self._sandbox is not None else None
        return mine, (sandbox.user + sandbox.system) if sandbox is not None else 0.0

    def start(self) -> None:
        self._started = self._now()

    def stop(self) -> dict[str, float]:
        mine, sandbox = self._now()
        return {
            "client_cpu_s": round(mine - self._started[0], 2),
            "sandbox_cpu_s": round(sandbox - self._started[1], 2),
        }


def _profiled(work: Callable[[], T]) -> T:
    """``work()``, under cProfile when ``BENCH_SYNC_PROFILE`` names a file for the stats."""
    target = os.environ.get("BENCH_SYNC_PROFILE", "").strip()
    if not target:
        return work()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(work)
    finally:
        profiler.dump_stats(target)


def _queue_runs(settings: Settings) -> list[UUID]:
    """A sync run for every demo SME with an authorization (what ``sync_demo_city`` queues)."""
    from sqlalchemy import select

    from xinyidai.domain.credit_data.sync import queue_sync
    from xinyidai.models import DataAuthorization

    async def no_queue(*_: object, **__: object) -> None:
        return None

    async def work(session: AsyncSession, _: object) -> list[UUID]:
        ids = (await session.scalars(select(DataAuthorization.enterprise_id).distinct())).all()
        return [(await queue_sync(session, no_queue, e, trigger="bench")).id for e in ids]

    return in_session(settings, work)


def _worker(settings: Settings, run_ids: list[UUID], ready: Any, go: Any, done: Any) -> None:
    """One sync worker process: its engine, connector and signer set up (not measured), then,
    at ``go``, its share of the runs, as the job path runs them; puts the records it added."""
    from xinyidai.domain.credit_data.sync import execute_syncs
    from xinyidai.domain.providers.http import HttpDataProvider
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.infra.logging import configure_logging
    from xinyidai.infra.signing import Signer

    configure_logging("WARNING")

    async def work() -> tuple[int, float]:
        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        provider = HttpDataProvider.from_settings(settings)
        try:
            ready.set()
            await asyncio.to_thread(go.wait)
            cpu = time.process_time()
            runs = await execute_syncs(
                session_factory(engine),
                provider,
                run_ids,
                signer=Signer.from_settings(settings),
                concurrency=settings.sync_concurrency,
            )
            added = sum(run.records_added for run in runs if run is not None)
            return added, time.process_time() - cpu
        finally:
            await provider.aclose()
            await engine.dispose()

    done.put(asyncio.run(work()))


def _sync_in_workers(settings: Settings, workers: int) -> tuple[int, int, float, float]:
    """The demo city's runs spread over ``workers`` processes: (records added, SMEs, seconds
    from the start signal to the last worker's end, the workers' CPU seconds in that time)."""
    import multiprocessing

    run_ids = _queue_runs(settings)
    context = multiprocessing.get_context("spawn")
    go, done = context.Event(), context.Queue()
    readies = [context.Event() for _ in range(workers)]
    processes = [
        context.Process(target=_worker, args=(settings, run_ids[n::workers], readies[n], go, done))
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        for ready in readies:
            if not ready.wait(120):
                raise RuntimeError("a sync worker did not start")
        started = time.perf_counter()
        go.set()
        outcomes = [done.get(timeout=600) for _ in processes]
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    added = sum(records for records, _ in outcomes)
    return added, len(run_ids), seconds, sum(cpu for _, cpu in outcomes)


def measure_sync(
    admin_database_url: str, redis_url: str, workdir: Path, log: Log = print, workers: int = 1
) -> dict[str, Any]:
    """Run both sides once, in a scratch database; return rates and counts."""
    with scratch_database(admin_database_url, "xyd_bench_sync") as database_url:
        return _measure(database_url, redis_url, workdir, log, workers)


def _measure(
    database_url: str, redis_url: str, workdir: Path, log: Log, workers: int
) -> dict[str, Any]:
    from xinyidai.dates import china_today
    from xinyidai.domain.demo.seed import sync_demo_city
    from xinyidai.domain.profiles.snapshots import window
    from xinyidai.infra.logging import configure_logging

    base = Settings(
        env=Env.DEVELOPMENT,
        database_url=database_url,
        redis_url=redis_url,
        data_dir=workdir,
        sandbox_port=free_port(),
        identity_sandbox_port=free_port(),
    )
    configure_logging("WARNING")  # the sync logs a line per SME; the bench prints its own
    log("sync: seeding the demo city")
    _seed(base)
    first, last = window(china_today())
    with provider_or_sandbox(base) as with_provider, identity_or_sandbox(with_provider) as settings:
        log("sync: verifying and authorizing the demo SMEs")
        _verify_and_authorize(settings)
        work = _series_with_receipts(settings)
        assert settings.provider_url
        log(f"sync: raw fetch of {len(work)} series")
        meter = CpuMeter(base.sandbox_port)
        meter.start()
        started = time.perf_counter()
        raw_months = asyncio.run(
            _raw_fetch(
                settings.provider_url,
                settings.provider_client_id,
                settings.provider_client_secret,
                work,
                f"{first:%Y-%m}",
                f"{last:%Y-%m}",
            )
        )
        raw_seconds = time.perf_counter() - started
        raw_cpu = meter.stop()
        if workers == 1:
            log("sync: platform sync of the demo city")
            meter.start()
            started = time.perf_counter()
            result = _profiled(lambda: asyncio.run(sync_demo_city(settings)))
            ours_seconds = time.perf_counter() - started
        else:
            log(f"sync: platform sync of the demo city in {workers} worker processes")
            meter.start()
            added, enterprises, ours_seconds, workers_cpu = _sync_in_workers(settings, workers)
            result = {"enterprises": enterprises, "records": added}
        ours_cpu = meter.stop()
        if workers > 1:  # the workers' own CPU while syncing (not their start-up)
            ours_cpu["client_cpu_s"] = round(workers_cpu, 2)
    return {
        "enterprises": result["enterprises"],
        "series": len(work),
        "ours": {
            "records": result["records"],
            "seconds": round(ours_seconds, 2),
            "records_per_s": round(result["records"] / ours_seconds, 1),
            **ours_cpu,
        },
        "raw": {
            "records": raw_months,
            "seconds": round(raw_seconds, 2),
            "records_per_s": round(raw_months / raw_seconds, 1),
            **raw_cpu,
        },
        "families": [f.value for f in Family],
    }


def run_sync_scenario(ctx: Context, scenario: SyncScenario, database_url: str) -> ImportRow:
    """The ``sync`` row: records/s of both sides, as a row of the results table."""
    console.print(f"[bold]{scenario.name}[/bold]: full sync of the demo city")
    result = measure_sync(
        database_url,
        ctx.env["REDIS_URL"],
        ctx.workdir,
        log=lambda m: console.print(f"  {m}"),
        workers=scenario.workers,
    )
    ours, raw = result["ours"], result["raw"]
    for side, numbers in (("platform", ours), ("bare httpx", raw)):
        console.print(
            f"  {side}: {numbers['seconds']} s, CPU: client {numbers['client_cpu_s']} s, "
            f"sandbox {numbers['sandbox_cpu_s']} s"
        )
    return ImportRow(
        scenario=scenario,
        app=Throughput(ours["records"], ours["seconds"]),
        baseline=Throughput(raw["records"], raw["seconds"]),
        info={},
        counts={
            "accepted": ours["records"],
            "enterprises": result["enterprises"],
            "series": result["series"],
        },
    )
