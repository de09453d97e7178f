"""The KPI summary: a month's key figures against the month before and the same month a year
before, from the rollups' total projection (three statements whatever the volume)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, text

from xinyidai.dates import add_months, china_month, utc_now
from xinyidai.domain.monitoring.metrics import (
    ROLLUP_COLUMNS,
    Column,
    Metric,
    Sums,
    Unit,
    Value,
)
from xinyidai.domain.monitoring.rollups import MEASURES
from xinyidai.domain.monitoring.schemas import KpiCard, Kpis
from xinyidai.domain.monitoring.smes import instant
from xinyidai.domain.monitoring.stats import percentile
from xinyidai.infra.bounds import parse_month
from xinyidai.models import StatDaily, StatResponse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _column(metric: Metric, key: str) -> Column:
    return next(c for c in ROLLUP_COLUMNS[metric] if c.key == key)


# (card key, the column giving its value)
_ROLLUP_CARDS: tuple[tuple[str, Column], ...] = (
    ("loans", _column(Metric.LOANS, "loans")),
    ("disbursed_amount", _column(Metric.LOANS, "disbursed_amount")),
    ("approval_rate", _column(Metric.APPROVAL_RATE, "approval_rate")),
    ("credit_loan_share", _column(Metric.CREDIT_LOAN_SHARE, "unsecured_amount_share")),
    ("first_time_borrowers", _column(Metric.FIRST_TIME_BORROWERS, "first_time_borrowers")),
    ("average_rate", _column(Metric.AVERAGE_RATE, "average_rate")),
)
_DEFAULT = _column(Metric.DEFAULT_RATE, "default_amount_rate")


def _next(month: dt.date) -> dt.date:
    return add_months(month, 1)


class KpiService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def summary(self, month: str | None) -> Kpis:
        """The cards of ``month`` (YYYY-MM; default this China month)."""
        this = parse_month("month", month) if month is not None else china_month()
        months = [this, add_months(this, -1), add_months(this, -12)]
        as_of = utc_now()
        sums = await self._sums(months)
        histograms = await self._histograms(months)
        registered = await self._registered(months)
        cards: list[KpiCard] = []

        def card(key: str, zh: str, en: str, unit: Unit, values: list[Value]) -> None:
            cards.append(
                KpiCard(
                    key=key,
                    label_zh=zh,
                    label_en=en,
                    unit=unit,
                    value=values[0],
                    previous_month=values[1],
                    same_month_last_year=values[2],
                )
            )

        for key, column in _ROLLUP_CARDS:
            card(key, column.zh, column.en, column.unit, [column.value(sums[m]) for m in months])
        card(
            "response_time",
            "响应时间中位数（工作日）",
            "Median response (working days)",
            Unit.WORKING_DAYS,
            [percentile(histograms[m], 50) for m in months],
        )
        card(
            "default_rate",
            "不良率（金额，按放款月）",
            "Default rate (amount, by disbursement month)",
            Unit.RATIO,
            [_DEFAULT.value(sums[m]) for m in months],
        )
        card(
            "registered_smes",
            "累计注册企业数",
            "SMEs registered (total)",
            Unit.COUNT,
            [registered[m] for m in months],
        )
        return Kpis(month=f"{this:%Y-%m}", as_of=as_of, cards=cards)

    async def _sums(self, months: list[dt.date]) -> dict[dt.date, Sums]:
        t = StatDaily.__table__
        month = func.date_trunc("month", t.c.day).label("month")
        statement = (
            select(month, *(func.sum(t.c[m]).label(m) for m in MEASURES))
            .where(
                t.c.dims == 0,
                or_(*(t.c.day.between(m, _next(m) - dt.timedelta(days=1)) for m in months)),
            )
            .group_by(month)
        )
        found = {
            row.month.date(): {m: row._mapping[m] for m in MEASURES}
            for row in await self.session.execute(statement)
        }
        return {m: found.get(m) or dict.fromkeys(MEASURES, 0) for m in months}

    async def _histograms(self, months: list[dt.date]) -> dict[dt.date, Counter[int]]:
        t = StatResponse.__table__
        month = func.date_trunc("month", t.c.day).label("month")
        statement = (
            select(month, t.c.bucket, func.sum(t.c.decisions).label("n"))
            .where(
                t.c.dims == 0,
                or_(*(t.c.day.between(m, _next(m) - dt.timedelta(days=1)) for m in months)),
            )
            .group_by(month, t.c.bucket)
        )
        histograms: dict[dt.date, Counter[int]] = {m: Counter() for m in months}
        for row in await self.session.execute(statement):
            histograms[row.month.date()][row.bucket] += int(row.n)
        return histograms

    async def _registered(self, months: list[dt.date]) -> dict[dt.date, int]:
        """SMEs registered (verified) by the end of each month."""
        counts = ", ".join(
            f"count(*) FILTER (WHERE verified_at < :end{i}) AS m{i}" for i in range(len(months))
        )
        params = {f"end{i}": instant(_next(m)) for i, m in enumerate(months)}
        row = (
            await self.session.execute(
                text(
                    f"SELECT {counts} FROM enterprises "  # noqa: S608 - constants
                    "WHERE verified_at IS NOT NULL AND verified_at < :latest"
                ),
                {**params, "latest": max(params.values())},
            )
        ).one()
        return {m: int(row[i]) for i, m in enumerate(months)}
