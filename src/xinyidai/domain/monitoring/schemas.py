"""The statistics' API contract (``CONTRACT-17``): the query, the table every statistic answers
with (what exports write too), and the KPI cards."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.monitoring.dimensions import Dimension
from xinyidai.domain.monitoring.metrics import Metric, Unit

Value = int | str | None


class StatQuery(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One statistic: a metric, grouped by at most two dimensions, over the days ``from`` to
    ``to`` (China calendar, both included), optionally filtered by one value per dimension."""

    metric: Metric
    group_by: Annotated[list[Dimension], Meta(max_length=2)] = msgspec.field(default_factory=list)
    from_: dt.date | None = msgspec.field(default=None, name="from")
    to: dt.date | None = None
    bank: UUID | None = None
    product_type: Annotated[str, Meta(max_length=32)] | None = None
    industry: Annotated[str, Meta(max_length=1)] | None = None
    district: Annotated[str, Meta(max_length=6)] | None = None
    grade: Annotated[str, Meta(max_length=8)] | None = None


class ColumnOut(msgspec.Struct, kw_only=True):
    key: str
    label_zh: str
    label_en: str
    unit: Unit


class Label(msgspec.Struct, kw_only=True):
    zh: str
    en: str


class StatRow(msgspec.Struct, kw_only=True):
    keys: dict[str, str]
    labels: dict[str, Label]
    values: dict[str, Value]


class StatTable(msgspec.Struct, kw_only=True):
    """A statistic's answer: one row per group (sorted by its keys) and the total over all of
    them. Values by unit: ``count`` an integer; ``yuan`` a decimal string with 2 places;
    ``ratio`` and ``annual_rate`` a fraction as a decimal string with 6 places;
    ``working_days`` a decimal string with 2 places; null where there is no denominator."""

    metric: Metric
    group_by: list[Dimension]
    from_: dt.date = msgspec.field(name="from")
    to: dt.date
    as_of: dt.datetime
    columns: list[ColumnOut]
    rows: list[StatRow]
    total: dict[str, Value]


class KpiCard(msgspec.Struct, kw_only=True):
    key: str
    label_zh: str
    label_en: str
    unit: Unit
    value: Value
    previous_month: Value
    same_month_last_year: Value


class Kpis(msgspec.Struct, kw_only=True):
    """This month's key figures against last month's and the same month's last year."""

    month: str
    as_of: dt.datetime
    cards: list[KpiCard]
