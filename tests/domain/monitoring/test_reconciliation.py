"""Every statistic reconciles with the records beneath it, to the cent: on a generated city
(thousands of applications and loans over two years, across banks, products, industries,
districts and grades, with rejections, overdue reports, cures, defaults and settlements, part
bulk-loaded and rebuilt, part driven through the real services with replayed loan events),
every figure of every metric × every group_by (none, each dimension, each pair, with filters)
equals a recomputation from the base tables in plain Python. The rollups kept incrementally
equal the rollups rebuilt from scratch, and replayed loan events leave them unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import select

from tests.conftest import World, login
from tests.domain.monitoring.city import (
    City,
    build,
    replay_all,
    rollup_count,
    rollups_differ,
    snapshot_rollups,
)
from tests.domain.monitoring.recompute import (
    LOAN_METRICS,
    SME_METRICS,
    Base,
    expected,
    load,
)
from tests.engines import SuiteEngines, with_database
from xinyidai.app import create_app
from xinyidai.dates import china_today
from xinyidai.domain.monitoring.rebuild import rebuild
from xinyidai.infra.db import create_engine, session_factory
from xinyidai.models import Bank, Role
from xinyidai.settings import Env, Settings

pytestmark = pytest.mark.slow  # a generated city, hundreds of statistics

DIMENSIONS = ("bank", "product_type", "industry", "district", "grade", "month")
GROUPS: list[list[str]] = [
    [],
    *([d] for d in DIMENSIONS),
    *(list(p) for p in combinations(DIMENSIONS, 2)),
]
SME_GROUPS = {
    "coverage": [[], ["industry"], ["district"], ["industry", "district"]],
}
SME_DEFAULT = [
    [],
    ["industry"],
    ["district"],
    ["month"],
    ["industry", "district"],
    ["district", "month"],
]


@dataclass
class Generated:
    city: City
    base: Base
    client: AsyncTestClient[Litestar]
    settings: Settings
    start: dt.date
    end: dt.date
    bank_ids: list[str]


@pytest.fixture(scope="module")
async def generated(engines: SuiteEngines) -> AsyncIterator[Generated]:
    name = await engines.fresh_database()
    redis = Redis.from_url(engines.redis_url)
    await redis.flushdb()
    settings = Settings(
        env=Env.TEST,
        database_url=with_database(engines.database_url, name),
        redis_url=engines.redis_url,
        worker_in_process=False,
    )
    engine = create_engine(settings, settings.database_url or "")
    try:
        async with session_factory(engine)() as session:
            city = await build(session, redis, settings)
            await World(session, redis, settings).user("office@example.com", Role.OFFICE)
            base = await load(session)
            bank_ids = [
                str(b) for b in await session.scalars(select(Bank.id).order_by(Bank.short_code))
            ]
        async with AsyncTestClient(
            app=create_app(settings), base_url="https://testserver.local"
        ) as client:
            await login(client, "office@example.com")
            yield Generated(
                city=city,
                base=base,
                client=client,
                settings=settings,
                start=china_today() - dt.timedelta(days=800),
                end=china_today() + dt.timedelta(days=7),
                bank_ids=bank_ids,
            )
    finally:
        await engine.dispose()
        await redis.aclose()
        await engines.drop_database(name)


async def _answer(
    g: Generated,
    metric: str,
    group: list[str],
    filters: dict[str, str],
    start: dt.date,
    end: dt.date,
) -> dict[str, Any]:
    params = {"metric": metric, "from": start.isoformat(), "to": end.isoformat(), **filters}
    if group:
        params["group_by"] = ",".join(group)
    response = await g.client.get("/api/v1/office/stats", params=params)
    assert response.status_code == 200, (metric, group, filters, response.text)
    body: dict[str, Any] = response.json()
    return body


async def _reconciles(
    g: Generated,
    metric: str,
    group: list[str],
    filters: dict[str, str],
    start: dt.date,
    end: dt.date,
) -> None:
    body = await _answer(g, metric, group, filters, start, end)
    rows, total = expected(g.base, metric, group, filters, start, end)
    got = {tuple(row["keys"][d] for d in group): row["values"] for row in body["rows"]}
    assert got == rows, (metric, group, filters)
    assert body["total"] == total, (metric, group, filters)
    keys = [c["key"] for c in body["columns"]]
    assert all(list(values) == keys for values in got.values())


def test_the_generated_city_is_big_and_varied_enough(generated: Generated) -> None:
    base = generated.base
    assert len(base.applications) >= 3000
    paid = [loan for loan in base.loans if loan["disbursed_on"]]
    assert len(paid) >= 1000
    assert sum(1 for loan in paid if loan["defaulted_on"]) >= 20
    assert sum(1 for loan in paid if loan["recovered_amount"]) >= 3  # recoveries after default
    assert sum(1 for loan in paid if loan["overdue_reports"]) >= 50
    assert len({loan["disbursed_on"].strftime("%Y-%m") for loan in paid}) >= 20
    for column in ("bank_id", "product_type", "industry_section", "district_code", "grade"):
        assert len({a[column] for a in base.applications}) >= 3, column
    assert generated.city.replays >= 20
    assert generated.city.driven_events >= 150


@pytest.mark.parametrize("metric", LOAN_METRICS)
async def test_every_loan_figure_by_every_grouping_equals_the_base_tables(
    generated: Generated, metric: str
) -> None:
    for group in GROUPS:
        await _reconciles(generated, metric, group, {}, generated.start, generated.end)


@pytest.mark.parametrize("metric", LOAN_METRICS)
async def test_filtered_figures_and_periods_that_cut_months_reconcile(
    generated: Generated, metric: str
) -> None:
    g = generated
    today = china_today()
    cut = (today - dt.timedelta(days=400), today - dt.timedelta(days=45))  # mid-month edges
    bank = g.bank_ids[0]
    cases: list[tuple[list[str], dict[str, str]]] = [
        (["month"], {"bank": bank}),  # one dimension's projection
        (["district"], {"bank": bank}),  # a pair's projection
        (["grade", "month"], {"bank": bank, "district": "440106"}),  # the full rows
        (["product_type", "industry"], {"grade": "BBB"}),  # three dimensions: the full rows
        ([], {"industry": "C", "product_type": "credit"}),
        (["bank"], {"grade": "ungraded"}),
    ]
    for group, filters in cases:
        await _reconciles(g, metric, group, filters, g.start, g.end)
        await _reconciles(g, metric, group, filters, *cut)


@pytest.mark.parametrize("metric", SME_METRICS)
async def test_every_sme_figure_equals_the_base_tables(generated: Generated, metric: str) -> None:
    g = generated
    today = china_today()
    for group in SME_GROUPS.get(metric, SME_DEFAULT):
        await _reconciles(g, metric, group, {}, g.start, g.end)
        await _reconciles(
            g, metric, group, {}, today - dt.timedelta(days=300), today - dt.timedelta(days=20)
        )
        await _reconciles(g, metric, group, {"district": "440106"}, g.start, g.end)


async def test_the_kpi_cards_are_the_month_against_last_month_and_last_year(
    generated: Generated,
) -> None:
    g = generated
    this = china_today().replace(day=1)
    previous = (this - dt.timedelta(days=1)).replace(day=1)
    last_year = this.replace(year=this.year - 1)
    response = await g.client.get("/api/v1/office/kpis")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["month"] == f"{this:%Y-%m}"
    cards = {c["key"]: c for c in body["cards"]}
    assert list(cards) == [
        "loans",
        "disbursed_amount",
        "approval_rate",
        "credit_loan_share",
        "first_time_borrowers",
        "average_rate",
        "response_time",
        "default_rate",
        "registered_smes",
    ]

    def month_end(first: dt.date) -> dt.date:
        return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    for slot, first in (
        ("value", this),
        ("previous_month", previous),
        ("same_month_last_year", last_year),
    ):
        span = (first, month_end(first))
        figure = {
            "loans": expected(g.base, "loans", [], {}, *span)[1]["loans"],
            "disbursed_amount": expected(g.base, "loans", [], {}, *span)[1]["disbursed_amount"],
            "approval_rate": expected(g.base, "approval_rate", [], {}, *span)[1]["approval_rate"],
            "credit_loan_share": expected(g.base, "credit_loan_share", [], {}, *span)[1][
                "unsecured_amount_share"
            ],
            "first_time_borrowers": expected(g.base, "first_time_borrowers", [], {}, *span)[1][
                "first_time_borrowers"
            ],
            "average_rate": expected(g.base, "average_rate", [], {}, *span)[1]["average_rate"],
            "response_time": expected(g.base, "response_time", [], {}, *span)[1]["median"],
            "default_rate": expected(g.base, "default_rate", [], {}, *span)[1][
                "default_amount_rate"
            ],
            "registered_smes": expected(g.base, "registered_smes", [], {}, *span)[1][
                "registered_total"
            ],
        }
        assert {k: c[slot] for k, c in cards.items()} == figure, slot
    assert cards["loans"]["value"] > 0 and cards["loans"]["previous_month"] > 0


async def test_rollups_kept_incrementally_equal_rollups_rebuilt_from_scratch(
    generated: Generated,
) -> None:
    engine = create_engine(generated.settings, generated.settings.database_url or "")
    try:
        async with session_factory(engine)() as session:
            assert await rollup_count(session) > 10_000
            await snapshot_rollups(session)
            await rebuild(session)
            assert await rollups_differ(session) == 0
            await session.rollback()
    finally:
        await engine.dispose()


async def test_replayed_loan_events_change_no_figure(generated: Generated) -> None:
    """Send every driven loan event again (same key, same body): each is a replay, and the
    rollups stay as they were."""
    engine = create_engine(generated.settings, generated.settings.database_url or "")
    try:
        async with session_factory(engine)() as session:
            await snapshot_rollups(session)
            replayed = await replay_all(session, generated.city)
            assert replayed >= 100
            assert await rollups_differ(session) == 0
            await session.rollback()
    finally:
        await engine.dispose()


async def test_as_of_and_columns_follow_the_contract(generated: Generated) -> None:
    body = await _answer(generated, "loans", ["bank", "month"], {}, generated.start, generated.end)
    assert body["metric"] == "loans" and body["group_by"] == ["bank", "month"]
    assert body["columns"] == [
        {"key": "loans", "label_zh": "放款笔数", "label_en": "Loans", "unit": "count"},
        {
            "key": "disbursed_amount",
            "label_zh": "放款金额（元）",
            "label_en": "Amount disbursed (yuan)",
            "unit": "yuan",
        },
    ]
    row = body["rows"][0]
    assert row["labels"]["bank"]["zh"].endswith("（演示）")
    assert row["labels"]["month"] == {"zh": row["keys"]["month"], "en": row["keys"]["month"]}
    assert dt.datetime.fromisoformat(body["as_of"]).tzinfo is not None
    by_district = await _answer(
        generated,
        "applications",
        [
            "district",
            "industry",
        ],
        {},
        generated.start,
        generated.end,
    )
    labels = by_district["rows"][0]["labels"]
    assert labels["district"]["zh"].endswith("区") and labels["district"]["en"].isascii()
    assert labels["industry"]["zh"] != labels["industry"]["en"]
