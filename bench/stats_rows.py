"""Statistics rows of ``make bench`` (in process, against a database of its own):

* ``stats_kpis``: the office's KPI summary (``KpiService.summary``: nine cards, this month
  against the month before and the same month a year before), p95 ms over the calls.
* ``stats_grouped``: a grouped statistic (``StatsService.table``: loans and amount disbursed by
  bank × month over the last twelve months), p95 ms.

Target for both: p95 ≤ 100 ms over **1,000,000 loans**. Reference: the same figures computed
from the base tables (``loans``, ``applications``, ``enterprises``) by plain SQL, p95 ms; the row
reports the ratio (base / rollups) and checks the grouped figures agree.

The data: a database ``xyd_bench_stats`` migrated to head, then 10 banks, 20,000 SMEs and
1,200,000 applications (1,000,000 approved and paid out, the rest rejected) over three years with
skewed banks, product types, industries, districts and grades, 6 % of the loans reported
overdue and 2 % defaulted, written by COPY with foreign-key triggers off
(``session_replication_role = replica``: the applications point at no consent or product row,
which no statistic reads; check constraints still hold), then ``rebuild`` fills the rollups
(its time is reported). Seeded once per run, shared by both rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from decimal import Decimal
from typing import Any

import asyncpg
from uuid_utils.compat import uuid7

from bench.harness import console
from bench.scoring import ScoreRow
from bench.scratch import database_url as named_database
from bench.scratch import dsn
from xinyidai.dates import CHINA_TZ, china_today

LOANS = 1_000_000
REJECTED = 200_000
SMES = 20_000
BANKS = 10
DAYS = 3 * 365
CALLS = 60
BASE_CALLS = 8
TARGET_MS = 100.0
DATABASE = "xyd_bench_stats"
TYPES = (
    "credit",
    "tax_based",
    "utility_based",
    "first_loan",
    "renewal",
    "receivables",
    "ip_pledge",
)
SECTIONS = "CFGIMLEKHRAO"
DISTRICTS = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114",
             "440115", "440117", "440118")  # fmt: skip
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "C", None)
_SEEDED: dict[str, float] = {}


def _url(admin_url: str) -> str:
    return named_database(admin_url, DATABASE)


def _dsn(url: str) -> str:
    return dsn(url)


def _weighted(rng: random.Random, values: tuple[Any, ...], n: int) -> list[Any]:
    weights = [1 / (i + 1) for i in range(len(values))]  # Zipf-like: a few dominate
    return rng.choices(values, weights, k=n)


async def _seed(url: str) -> float:
    """Write the bench city and rebuild its rollups; the rebuild's seconds."""
    rng = random.Random(2026)
    conn = await asyncpg.connect(_dsn(url))
    try:
        now = dt.datetime.now(dt.UTC)
        today = china_today()
        banks = [uuid7() for _ in range(BANKS)]
        await conn.copy_records_to_table(
            "banks",
            columns=["id", "name", "short_code", "created_at", "updated_at"],
            records=[(b, f"基准银行{i}", f"BENCH_{i}", now, now) for i, b in enumerate(banks)],
        )
        smes = []
        records = []
        for n in range(SMES):
            sme = (uuid7(), rng.choice(SECTIONS), rng.choice(DISTRICTS))
            smes.append(sme)
            verified = now - dt.timedelta(days=rng.uniform(0, DAYS)) if n % 3 else None
            records.append((sme[0], f"91440000{n:010d}", "active", f"基准企业{n}", "张伟", b"x",
                            "440***********0000", Decimal("1000000"), dt.date(2015, 1, 1), sme[1],
                            "39", sme[2], verified, now, now))  # fmt: skip
        await conn.copy_records_to_table(
            "enterprises",
            columns=[
                "id",
                "uscc",
                "status",
                "name",
                "legal_rep_name",
                "legal_rep_id_cipher",
                "legal_rep_id_masked",
                "registered_capital",
                "founded_on",
                "industry_section",
                "industry_division",
                "district_code",
                "verified_at",
                "created_at",
                "updated_at",
            ],
            records=records,
        )
        await conn.execute("SET session_replication_role = replica")
        apps, loans, events = [], [], []
        nil = uuid7()
        bank_of = _weighted(rng, tuple(banks), LOANS + REJECTED)
        type_of = _weighted(rng, TYPES, LOANS + REJECTED)
        grade_of = _weighted(rng, GRADES[3:] + GRADES[:3], LOANS + REJECTED)
        for n in range(LOANS + REJECTED):
            sme = smes[rng.randrange(SMES)]
            submitted = now - dt.timedelta(days=rng.uniform(3, DAYS), seconds=rng.randrange(86400))
            decided = submitted + dt.timedelta(hours=rng.uniform(2, 120))
            worked = Decimal(rng.randrange(10, 500)) / 100
            amount = Decimal(rng.randrange(50, 3000)) * 1000
            approved = n < LOANS
            rate = Decimal(rng.randrange(30000, 80000)) / 1_000_000
            app_id = uuid7()
            apps.append((app_id, sme[0], bank_of[n], nil, nil, f"bench-{n}", "x",
                         "disbursed" if approved else "rejected", amount, 12, "working_capital",
                         True, "{}", grade_of[n], decided, submitted, submitted, decided,
                         amount if approved else None, rate if approved else None,
                         12 if approved else None, None if approved else "debt_capacity",
                         type_of[n], sme[1], sme[2], 5, submitted + dt.timedelta(days=7),
                         worked))  # fmt: skip
            if not approved:
                continue
            approved_on = decided.astimezone(CHINA_TZ).date()
            paid_on = min(today, approved_on + dt.timedelta(days=rng.randrange(0, 5)))
            defaulted = rng.random() < 0.02
            loan_id = uuid7()
            loans.append((loan_id, app_id, bank_of[n], sme[0], amount, rate, 12,
                          type_of[n] == "credit" or rng.random() < 0.3, approved_on, amount,
                          paid_on, Decimal(0), Decimal(0), type_of[n], sme[1], sme[2],
                          grade_of[n], rng.random() < 0.2, paid_on if defaulted else None,
                          amount / 2 if defaulted else None, decided, decided))  # fmt: skip
            if defaulted or rng.random() < 0.04:
                events.append((uuid7(), loan_id, bank_of[n], f"bench-od-{n}", "x", "overdue",
                               paid_on, amount / 10, 30, decided, decided))  # fmt: skip
        console.print(f"  made {len(apps):,} applications, {len(loans):,} loans")
        await conn.copy_records_to_table(
            "applications",
            columns=[
                "id",
                "enterprise_id",
                "bank_id",
                "consent_id",
                "product_version_id",
                "idempotency_key",
                "request_hash",
                "status",
                "amount",
                "term_months",
                "purpose",
                "eligible",
                "eligibility",
                "grade",
                "status_at",
                "created_at",
                "updated_at",
                "decided_at",
                "approved_amount",
                "approved_rate",
                "approved_term_months",
                "reject_reason",
                "product_type",
                "industry_section",
                "district_code",
                "response_days",
                "respond_by",
                "response_working_days",
            ],
            records=apps,
        )
        del apps
        await conn.copy_records_to_table(
            "loans",
            columns=[
                "id",
                "application_id",
                "bank_id",
                "enterprise_id",
                "amount",
                "annual_rate",
                "term_months",
                "unsecured",
                "approved_on",
                "disbursed_amount",
                "disbursed_on",
                "principal_repaid",
                "interest_paid",
                "product_type",
                "industry_section",
                "district_code",
                "grade",
                "first_time",
                "defaulted_on",
                "loss_amount",
                "created_at",
                "updated_at",
            ],
            records=loans,
        )
        await conn.copy_records_to_table(
            "loan_events",
            columns=[
                "id",
                "loan_id",
                "bank_id",
                "idempotency_key",
                "request_hash",
                "kind",
                "occurred_on",
                "amount",
                "days_overdue",
                "created_at",
                "updated_at",
            ],
            records=events,
        )
        await conn.execute("SET session_replication_role = DEFAULT")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    from xinyidai.domain.monitoring.rebuild import rebuild

    engine, factory = _sessions(url)
    started = time.monotonic()
    async with factory() as session:
        rebuilt = await rebuild(session)
        await session.commit()
    await engine.dispose()
    seconds = time.monotonic() - started
    console.print(
        f"  rebuilt the rollups in {seconds:.1f} s ({rebuilt.daily_rows:,} daily rows, "
        f"{rebuilt.response_rows:,} response rows)"
    )
    conn = await asyncpg.connect(_dsn(url))
    await conn.execute("ANALYZE stat_daily; ANALYZE stat_response")
    await conn.close()
    return seconds


def _sessions(url: str) -> Any:
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.settings import Env, Settings

    settings = Settings(
        env=Env.TEST,
        database_url=url,
        redis_url="redis://127.0.0.1:1/0",
        db_command_timeout=3600.0,  # the rebuild of a million loans takes a while
    )
    engine = create_engine(settings, url)
    return engine, session_factory(engine)


async def _prepare(database_url: str) -> tuple[str, float]:
    url = _url(database_url)
    if url in _SEEDED:
        return url, _SEEDED[url]
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    from xinyidai.infra import migrate

    await asyncio.to_thread(migrate.upgrade, url)
    console.print(f"  seeding {LOANS:,} loans into {DATABASE}")
    started = time.monotonic()
    _SEEDED[url] = await _seed(url)
    console.print(f"  seeded in {time.monotonic() - started:.0f} s")
    return url, _SEEDED[url]


_BASE_GROUPED = """
SELECT bank_id::text AS bank, to_char(disbursed_on, 'YYYY-MM') AS month, count(*) AS loans,
       sum(disbursed_amount) AS amount
FROM loans WHERE disbursed_on BETWEEN $1 AND $2 GROUP BY 1, 2
"""
_BASE_KPI = (
    """
    SELECT date_trunc('month', disbursed_on) AS m, count(*), sum(disbursed_amount),
           sum(disbursed_amount) FILTER (WHERE unsecured), count(*) FILTER (WHERE first_time),
           sum(annual_rate * disbursed_amount), sum(coalesce(loss_amount, 0))
    FROM loans WHERE disbursed_on BETWEEN $1 AND $2 OR disbursed_on BETWEEN $3 AND $4
       OR disbursed_on BETWEEN $5 AND $6 GROUP BY 1
    """,
    """
    SELECT date_trunc('month', decided_at AT TIME ZONE INTERVAL '+08:00') AS m, count(*),
           count(approved_amount),
           percentile_disc(0.5) WITHIN GROUP (ORDER BY response_working_days)
    FROM applications WHERE decided_at IS NOT NULL AND (
        (decided_at AT TIME ZONE INTERVAL '+08:00')::date BETWEEN $1 AND $2
        OR (decided_at AT TIME ZONE INTERVAL '+08:00')::date BETWEEN $3 AND $4
        OR (decided_at AT TIME ZONE INTERVAL '+08:00')::date BETWEEN $5 AND $6) GROUP BY 1
    """,
)


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


async def _measure(name: str, database_url: str) -> ScoreRow:
    from xinyidai.dates import add_months, month_start
    from xinyidai.domain.monitoring.dimensions import Dimension
    from xinyidai.domain.monitoring.kpis import KpiService
    from xinyidai.domain.monitoring.metrics import Metric
    from xinyidai.domain.monitoring.schemas import StatQuery
    from xinyidai.domain.monitoring.stats import StatsService

    url, rebuild_seconds = await _prepare(database_url)
    engine, factory = _sessions(url)
    today = china_today()
    start = add_months(month_start(today), -11)
    query = StatQuery(
        metric=Metric.LOANS, group_by=[Dimension.BANK, Dimension.MONTH], from_=start, to=today
    )
    samples: list[float] = []
    answer: Any = None
    try:
        for call in range(CALLS + 5):
            async with factory() as session:
                began = time.perf_counter()
                if name == "stats_kpis":
                    answer = await KpiService(session).summary(None)
                else:
                    answer = await StatsService(session).table(query)
                if call >= 5:
                    samples.append((time.perf_counter() - began) * 1000)
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(_dsn(url))
    base: list[float] = []
    agree = True
    try:
        for _ in range(BASE_CALLS):
            began = time.perf_counter()
            if name == "stats_kpis":
                this = month_start(today)
                spans: list[dt.date] = []
                for first in (this, add_months(this, -1), add_months(this, -12)):
                    spans += [first, add_months(first, 1) - dt.timedelta(days=1)]
                for statement in _BASE_KPI:
                    await conn.fetch(statement, *spans)
                await conn.fetchval(
                    "SELECT count(*) FROM enterprises WHERE verified_at IS NOT NULL"
                )
            else:
                rows = await conn.fetch(_BASE_GROUPED, start, today)
                got = {(r.keys["bank"], r.keys["month"]): r.values["loans"] for r in answer.rows}
                agree = agree and got == {(r["bank"], r["month"]): r["loans"] for r in rows}
            base.append((time.perf_counter() - began) * 1000)
    finally:
        await conn.close()
    p95, base_p95 = _p95(samples), _p95(base)
    console.print(
        f"  p95 {p95:.1f} ms from the rollups; the base tables {base_p95:.0f} ms "
        f"(× {base_p95 / p95:.0f})"
    )
    return ScoreRow(
        name=name,
        value=round(p95, 2),
        unit="ms",
        target=TARGET_MS if agree else 0.0,
        higher_is_better=False,
        reference=("base tables p95 ms", round(base_p95, 1)),
        details={
            "loans": LOANS,
            "p50_ms": round(statistics.median(samples), 2),
            "base_p95_ms": round(base_p95, 1),
            "ratio_base_over_rollups": round(base_p95 / p95, 1),
            "rebuild_seconds": round(rebuild_seconds, 1),
            "figures_agree": agree,
        },
    )


def run_stats_scenario(name: str, database_url: str) -> ScoreRow:
    console.print(f"[bold]{name}[/bold]")
    return asyncio.run(_measure(name, database_url))
