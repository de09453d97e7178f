"""Bench row ``sync``: a full sync of the demo city from the sandbox provider.

Ours: ``sync_demo_city`` — OAuth, one call per (SME, family), validation, insert with
provenance, a profile snapshot per SME — in records per second. Baseline, in the same run:
the same calls made with bare httpx (one token, same concurrency), parsing the JSON and doing
nothing else: what fetching alone costs. Both talk to the same sandbox server process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Log, console
from bench.public_import import ImportRow, Throughput
from bench.scenarios import SyncScenario
from bench.scratch import scratch_database
from bench.servers import Context
from xinyidai.enums import Family
from xinyidai.settings import Env, Settings

CONCURRENCY = 8


async def _seed(settings: Settings) -> list[tuple[str, list[str], str]]:
    """Seed the demo city; return (uscc, families, authorization reference) per SME."""
    from sqlalchemy import select

    from xinyidai.domain.demo.seed import seed_demo
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.models import DataAuthorization, Enterprise

    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        async with session_factory(engine)() as session:
            await seed_demo(session, None, settings)
            await session.commit()
            rows = await session.execute(
                select(
                    Enterprise.uscc, DataAuthorization.families, DataAuthorization.reference
                ).join(DataAuthorization, DataAuthorization.enterprise_id == Enterprise.id)
            )
            return [(u, list(f), r) for u, f, r in rows]
    finally:
        await engine.dispose()


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

        async def one(uscc: str, family: str, reference: str) -> None:
            nonlocal months
            async with semaphore:
                response = await client.get(
                    f"/v1/enterprises/{uscc}/series/{family}",
                    params={"from": first, "to": last},
                    headers={
                        "Authorization": f"Bearer {token}",
                        "X-Authorization-Reference": reference,
                    },
                )
                months += len(response.json()["items"])

        await asyncio.gather(*(one(*w) for w in work))
        return months


def measure_sync(admin_database_url: str, workdir: Path, log: Log = print) -> dict[str, Any]:
    """Run both sides once, in a scratch database; return rates and counts."""
    with scratch_database(admin_database_url, "xyd_bench_sync") as database_url:
        return _measure(database_url, workdir, log)


def _measure(database_url: str, workdir: Path, log: Log) -> dict[str, Any]:
    from xinyidai.domain.demo.seed import sync_demo_city
    from xinyidai.domain.profiles.snapshots import window
    from xinyidai.sandbox.process import sandbox_provider

    settings = Settings(
        env=Env.DEVELOPMENT,
        database_url=database_url,
        redis_url="redis://127.0.0.1:1/0",
        data_dir=workdir,
    )
    log("sync: seeding the demo city")
    authorized = asyncio.run(_seed(settings))
    import datetime as dt
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    first, last = window(dt.date.today())
    work = [(u, f, r) for u, families, r in authorized for f in families]
    with sandbox_provider(
        port,
        seed=settings.simulation_seed,
        client_id=settings.provider_client_id,
        client_secret=settings.provider_client_secret,
    ) as url:
        log(f"sync: raw fetch of {len(work)} series")
        started = time.perf_counter()
        raw_months = asyncio.run(
            _raw_fetch(
                url,
                settings.provider_client_id,
                settings.provider_client_secret,
                work,
                f"{first:%Y-%m}",
                f"{last:%Y-%m}",
            )
        )
        raw_seconds = time.perf_counter() - started
        log("sync: platform sync of the demo city")
        started = time.perf_counter()
        result = asyncio.run(
            sync_demo_city(dataclasses.replace(settings, provider_url=url), concurrency=CONCURRENCY)
        )
        ours_seconds = time.perf_counter() - started
    return {
        "enterprises": result["enterprises"],
        "series": len(work),
        "ours": {
            "records": result["records"],
            "seconds": round(ours_seconds, 2),
            "records_per_s": round(result["records"] / ours_seconds, 1),
        },
        "raw": {
            "records": raw_months,
            "seconds": round(raw_seconds, 2),
            "records_per_s": round(raw_months / raw_seconds, 1),
        },
        "families": [f.value for f in Family],
    }


def run_sync_scenario(ctx: Context, scenario: SyncScenario, database_url: str) -> ImportRow:
    """The ``sync`` row: records/s of both sides, as a row of the results table."""
    console.print(f"[bold]{scenario.name}[/bold]: full sync of the demo city")
    result = measure_sync(database_url, ctx.workdir, log=lambda m: console.print(f"  {m}"))
    ours, raw = result["ours"], result["raw"]
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
