"""Statistics for the credit office, read from the rollups (``rollups.py``) and, for the SMEs'
side (registrations, coverage, needs), from indexed counts of their base tables (``smes.py``).

``StatsService(session).table(query)`` is the one entry point (the API, exports and service
levels call it). Percentiles are nearest rank over values held to 0.01 working day: the
smallest value v such that at least p of the values are ≤ v (PostgreSQL's
``percentile_disc``); the rollups' histogram has one bucket per hundredth, so the answer is
exact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from xinyidai.dates import add_months, add_months_to_day, china_today, month_start, utc_now
from xinyidai.domain.enterprises.codes import SECTION_BY_CODE
from xinyidai.domain.monitoring import smes
from xinyidai.domain.monitoring.dimensions import COLUMNS, Dimension, projection_for
from xinyidai.domain.monitoring.labels import GRADES, PRODUCT_TYPES, label
from xinyidai.domain.monitoring.metrics import (
    RESPONSE_COLUMNS,
    ROLLUP_COLUMNS,
    Metric,
    Sums,
    Value,
    basis,
    columns,
    dimensions,
)
from xinyidai.domain.monitoring.rollups import MEASURES
from xinyidai.domain.monitoring.schemas import ColumnOut, Label, StatQuery, StatRow, StatTable
from xinyidai.infra.bounds import check_date
from xinyidai.infra.errors import FieldError, InvalidInput
from xinyidai.models import Bank, StatDaily, StatResponse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql import ColumnElement

D = Dimension
MAX_YEARS = 10
DEFAULT_MONTHS = 12
_DISTRICT = re.compile(r"[0-9]{6}")
GroupKey = tuple[str, ...]
_DAILY = StatDaily.__table__
_RESPONSE = StatResponse.__table__


def parse_group_by(text: str | None) -> list[Dimension]:
    """``bank,month`` as dimensions: at most two, known, not repeated (else 422)."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    known = {d.value for d in Dimension}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput.field(
            "group_by",
            f"unknown dimension {unknown[0]!r}: one of {', '.join(sorted(known))}",
            "unknown_dimension",
        )
    if len(set(names)) != len(names):
        raise InvalidInput.field("group_by", "a dimension named twice", "repeated_dimension")
    if len(names) > 2:
        raise InvalidInput.field("group_by", "at most two dimensions", "too_many_dimensions")
    return [Dimension(n) for n in names]


def percentile(histogram: Counter[int], percent: int) -> str | None:
    """Nearest rank: the smallest bucket whose cumulative count reaches ``percent``% of all;
    as working days (2 places)."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen * 100 >= percent * total:
            return str(Decimal(bucket).scaleb(-2))
    raise AssertionError("unreachable")  # pragma: no cover


def checked_period(query: StatQuery) -> tuple[dt.date, dt.date]:
    end = check_date("to", query.to) if query.to is not None else china_today()
    start = (
        check_date("from", query.from_)
        if query.from_ is not None
        else add_months(month_start(end), 1 - DEFAULT_MONTHS)
    )
    if end < start:
        raise InvalidInput.field("to", "`to` is before `from`", "date_order")
    if end >= add_months_to_day(start, 12 * MAX_YEARS):
        raise InvalidInput.field(
            "to", f"a statistic spans at most {MAX_YEARS} years", "span_too_long"
        )
    return start, end


def checked_filters(query: StatQuery) -> dict[Dimension, Any]:
    """The filters given, each checked against its dimension's values (else 422)."""
    given: dict[Dimension, Any] = {
        d: v
        for d, v in (
            (D.BANK, query.bank),
            (D.PRODUCT_TYPE, query.product_type),
            (D.INDUSTRY, query.industry),
            (D.DISTRICT, query.district),
            (D.GRADE, query.grade),
        )
        if v is not None
    }
    checks = {
        D.PRODUCT_TYPE: lambda v: v in PRODUCT_TYPES,
        D.INDUSTRY: lambda v: v in SECTION_BY_CODE,
        D.DISTRICT: lambda v: _DISTRICT.fullmatch(v) is not None,
        D.GRADE: lambda v: v in GRADES,
    }
    errors = [
        FieldError(field=d.value, message=f"no such {d.value}: {v!r}", code="unknown_value")
        for d, v in given.items()
        if d in checks and not checks[d](v)
    ]
    if errors:
        raise InvalidInput("a filter names no known value", errors=errors)
    return given


def check_dimensions(metric: Metric, group: list[Dimension], filters: dict[Dimension, Any]) -> None:
    allowed = dimensions(metric)
    for field, named in (("group_by", group), ("filter", list(filters))):
        for dimension in named:
            if dimension not in allowed:
                raise InvalidInput.field(
                    field if field == "group_by" else dimension.value,
                    f"{metric.value} cannot be grouped or filtered by {dimension.value}",
                    "metric_dimension",
                )


def _where(
    table: Any, mask: int, start: dt.date, end: dt.date, filters: dict[Dimension, Any]
) -> list[ColumnElement[bool]]:
    where = [table.c.dims == mask, table.c.day.between(start, end)]
    where += [table.c[COLUMNS[d]] == v for d, v in filters.items()]
    return where


def _group_columns(table: Any, group: list[Dimension]) -> list[Any]:
    return [
        (func.to_char(table.c.day, "YYYY-MM") if d is D.MONTH else table.c[COLUMNS[d]]).label(
            d.value
        )
        for d in group
    ]


class StatsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def table(self, query: StatQuery) -> StatTable:
        """The statistic ``query`` asks for (422 for a query that cannot be answered)."""
        start, end = checked_period(query)
        group = list(query.group_by)
        if len(set(group)) != len(group):
            raise InvalidInput.field("group_by", "a dimension named twice", "repeated_dimension")
        filters = checked_filters(query)
        check_dimensions(query.metric, group, filters)
        as_of = utc_now()
        metric = query.metric
        groups: dict[GroupKey, Any]
        total: Any
        if metric is Metric.RESPONSE_TIME:
            groups, total = await self._responses(group, filters, start, end)
        elif metric in ROLLUP_COLUMNS:
            groups, total = await self._sums(group, filters, start, end)
            if group:  # a group is a row of this metric when it counted what the metric counts
                groups = {k: v for k, v in groups.items() if v[basis(metric)]}
        else:
            groups, total = await smes.figures(self.session, metric, group, filters, start, end)
        banks = await self._bank_names(group, groups)
        rows = [
            StatRow(
                keys=dict(zip((d.value for d in group), key, strict=True)),
                labels={
                    d.value: _label(d, value, banks) for d, value in zip(group, key, strict=True)
                },
                values=self._values(metric, figures),
            )
            for key, figures in sorted(groups.items())
        ]
        return StatTable(
            metric=metric,
            group_by=group,
            from_=start,
            to=end,
            as_of=as_of,
            columns=[
                ColumnOut(key=c.key, label_zh=c.zh, label_en=c.en, unit=c.unit)
                for c in columns(metric)
            ],
            rows=rows,
            total=self._values(metric, total),
        )

    @staticmethod
    def _values(metric: Metric, figures: Any) -> dict[str, Value]:
        if metric is Metric.RESPONSE_TIME:
            histogram: Counter[int] = figures
            return {
                RESPONSE_COLUMNS[0].key: sum(histogram.values()),
                "median": percentile(histogram, 50),
                "p90": percentile(histogram, 90),
            }
        return {c.key: c.value(figures) for c in columns(metric)}

    async def _bank_names(
        self, group: list[Dimension], groups: dict[GroupKey, Any]
    ) -> dict[str, str]:
        if D.BANK not in group:
            return {}
        at = group.index(D.BANK)
        ids = {key[at] for key in groups}
        if not ids:
            return {}
        rows = await self.session.execute(select(Bank.id, Bank.name).where(Bank.id.in_(ids)))
        return {str(i): name for i, name in rows}

    async def _sums(
        self, group: list[Dimension], filters: dict[Dimension, Any], start: dt.date, end: dt.date
    ) -> tuple[dict[GroupKey, Sums], Sums]:
        groups = await self._sum_query(group, filters, start, end)
        total = _zero()
        for figures in groups.values():  # every figure is in exactly one group
            for m in MEASURES:
                total[m] += figures[m]
        if not group:
            return {(): total}, total
        return groups, total

    async def _sum_query(
        self, group: list[Dimension], filters: dict[Dimension, Any], start: dt.date, end: dt.date
    ) -> dict[GroupKey, Sums]:
        t = _DAILY
        mask = projection_for(set(group) | set(filters))
        keys = _group_columns(t, group)
        sums = [func.sum(t.c[m]).label(m) for m in MEASURES]
        statement = select(*keys, *sums).where(*_where(t, mask, start, end, filters))
        if keys:
            statement = statement.group_by(*keys)
        result: dict[GroupKey, Sums] = {}
        for row in await self.session.execute(statement):
            mapping = row._mapping
            if mapping[MEASURES[0]] is None:  # no rows at all
                continue
            key = tuple(str(mapping[d.value]) for d in group)
            result[key] = {m: mapping[m] for m in MEASURES}
        return result

    async def _responses(
        self, group: list[Dimension], filters: dict[Dimension, Any], start: dt.date, end: dt.date
    ) -> tuple[dict[GroupKey, Counter[int]], Counter[int]]:
        t = _RESPONSE
        mask = projection_for(set(group) | set(filters))
        keys = _group_columns(t, group)
        statement = (
            select(*keys, t.c.bucket, func.sum(t.c.decisions).label("n"))
            .where(*_where(t, mask, start, end, filters))
            .group_by(*keys, t.c.bucket)
        )
        groups: dict[GroupKey, Counter[int]] = {}
        total: Counter[int] = Counter()
        for row in await self.session.execute(statement):
            mapping = row._mapping
            key = tuple(str(mapping[d.value]) for d in group)
            n = int(mapping["n"])
            groups.setdefault(key, Counter())[mapping["bucket"]] += n
            total[mapping["bucket"]] += n
        if not group:
            groups = {(): total}
        return groups, total


def _label(dimension: Dimension, value: str, banks: dict[str, str]) -> Label:
    zh, en = label(dimension, value, banks)
    return Label(zh=zh, en=en)


def _zero() -> Sums:
    return {m: 0 for m in MEASURES}
