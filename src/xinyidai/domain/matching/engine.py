"""The eligibility engine: every product's rule over a :class:`FactTable`, in numpy.

There is one implementation. A :class:`Catalogue` compiles the products' rules once into
columns (one array per criterion, one entry per product, a sentinel where a product states no
such criterion); :func:`evaluate` compares each fact column (one entry per SME) with each rule
column by broadcasting and records the unmet criteria of every (SME, product) pair as a bit set
(bit ``n`` is ``CRITERIA[n]``). The one-SME view evaluates a table of one row; the batch job a
table of 100,000, in blocks of rows so the temporaries stay small.

A criterion whose fact is unknown is unmet (revenue when tax is not authorised, a grade before
the first score …); :mod:`xinyidai.domain.matching.explain` says which, and what would change it.
Besides the product's ``eligibility``, ``districts_served`` is a criterion too: a bank that
serves some districts only does not lend elsewhere.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

from xinyidai.domain.enterprises.codes import section_of_division
from xinyidai.domain.matching.facts import (
    EXCLUSIONS,
    FAMILIES,
    FLAGS,
    GRADE_RANK,
    INDUSTRY_KEYS,
    INDUSTRY_SECTION_BASE,
    INDUSTRY_UNKNOWN,
    SECTIONS,
    TAX_GRADE_RANK,
    FactTable,
    _bits,
)
from xinyidai.domain.products.schemas import (
    CountRange,
    IndustryMode,
    IndustryRule,
    MoneyRange,
    ProductIn,
)

_T = TypeVar("_T", bound=np.generic)
U16 = NDArray[np.uint16]
BOOL = NDArray[np.bool_]


class Criterion(StrEnum):
    """The criteria, in bit order (the names are the eligibility rule's fields)."""

    MIN_GRADE = "min_grade"
    MAX_PD = "max_pd"
    INDUSTRIES = "industries"
    DISTRICTS = "districts"
    DISTRICTS_SERVED = "districts_served"
    MIN_YEARS_OPERATING = "min_years_operating"
    MIN_TAX_GRADE = "min_tax_grade"
    REQUIRED_FAMILIES = "required_families"
    MIN_TAX_MONTHS = "min_tax_months"
    REVENUE = "revenue"
    HEADCOUNT = "headcount"
    MAX_ARREARS_MONTHS = "max_arrears_months"
    MAX_PENALTIES_12M = "max_penalties_12m"
    EXCLUSIONS = "exclusions"
    FLAGS = "flags"


CRITERIA: tuple[Criterion, ...] = tuple(Criterion)
BIT = {c: np.uint16(1 << i) for i, c in enumerate(CRITERIA)}
NO_RANK = np.int8(127)  # a rank threshold no grade exceeds
NO_MIN_I16 = np.iinfo(np.int16).min
NO_MAX_I16 = np.iinfo(np.int16).max
BLOCK_CELLS = 1 << 20  # SME rows per block: about this many (SME, product) cells


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One product version as matching reads it."""

    id: UUID
    version_id: UUID
    product: ProductIn


def _district_table(
    rules: Sequence[list[str] | None],
) -> tuple[NDArray[np.int32], BOOL]:
    """(sorted codes named by any rule, allowed[code index or 'other', product]); a product
    without a rule allows every code and the unknown one ('other' is the last row)."""
    codes = np.array(sorted({int(c) for rule in rules if rule for c in rule}), dtype=np.int32)
    allowed = np.ones((len(codes) + 1, len(rules)), dtype=np.bool_)
    for j, rule in enumerate(rules):
        if rule:
            allowed[:, j] = False
            allowed[np.searchsorted(codes, [int(c) for c in rule]), j] = True
    return codes, allowed


def _industry_column(product: ProductIn) -> BOOL:
    """allowed[industry key] for one product."""
    rule = product.eligibility.industries
    allowed = np.ones(INDUSTRY_KEYS, dtype=np.bool_)
    if rule is None:
        return allowed
    named = np.zeros(INDUSTRY_KEYS, dtype=np.bool_)  # keys the rule's codes cover
    for code in rule.codes:
        if code.isdigit():
            named[int(code)] = True
        else:
            named[INDUSTRY_SECTION_BASE + SECTIONS.index(code)] = True
            for division in range(1, INDUSTRY_SECTION_BASE):
                if _section_of(division) == code:
                    named[division] = True
    allowed = named if rule.mode == IndustryMode.INCLUDE else ~named
    # A section without a division is within an exclusion only if the whole section is named,
    # and within an inclusion only then too; an unknown industry meets no industry rule.
    allowed[INDUSTRY_UNKNOWN] = False
    return allowed


_SECTION_OF: dict[int, str | None] = {}


def _section_of(division: int) -> str | None:
    if division not in _SECTION_OF:
        try:
            _SECTION_OF[division] = section_of_division(f"{division:02d}")
        except ValueError:
            _SECTION_OF[division] = None
    return _SECTION_OF[division]


class Catalogue:
    """Products compiled into rule columns (one entry per product, in the given order).

    Compile once per set of product versions and keep it: compiling 1,000 products takes
    milliseconds, evaluating one SME against them well under one."""

    def __init__(self, items: Sequence[CatalogueItem]) -> None:
        self.items = tuple(items)
        rules = [item.product.eligibility for item in self.items]
        p = len(rules)

        self.min_grade = _col(
            [GRADE_RANK[r.min_grade] if r.min_grade else NO_RANK for r in rules], np.int8, p
        )
        self.max_pd = _col([np.nan if r.max_pd is None else r.max_pd for r in rules], np.float64, p)
        industry = np.ones((INDUSTRY_KEYS, p), dtype=np.bool_)
        for j, item in enumerate(self.items):
            industry[:, j] = _industry_column(item.product)
        self.industry_allowed = industry
        self.district_codes, self.district_allowed = _district_table([r.districts for r in rules])
        self.served_codes, self.served_allowed = _district_table(
            [item.product.districts_served or None for item in self.items]
        )
        self.min_years = _col(
            [np.nan if r.min_years_operating is None else r.min_years_operating for r in rules],
            np.float64,
            p,
        )
        self.min_tax_grade = _col(
            [TAX_GRADE_RANK[r.min_tax_grade] if r.min_tax_grade else NO_RANK for r in rules],
            np.int8,
            p,
        )
        self.required_families = _col(
            [_bits(r.required_families or (), FAMILIES) for r in rules], np.uint8, p
        )
        self.min_tax_months = _col(
            [NO_MIN_I16 if r.min_tax_months is None else r.min_tax_months for r in rules],
            np.int16,
            p,
        )
        self.revenue_min, self.revenue_max, self.has_revenue = _range(
            [(r.revenue.min, r.revenue.max) if r.revenue else (None, None) for r in rules]
        )
        self.headcount_min, self.headcount_max, self.has_headcount = _range(
            [(r.headcount.min, r.headcount.max) if r.headcount else (None, None) for r in rules]
        )
        self.max_arrears = _col(
            [NO_MAX_I16 if r.max_arrears_months is None else r.max_arrears_months for r in rules],
            np.int16,
            p,
        )
        self.max_penalties = _col(
            [NO_MAX_I16 if r.max_penalties_12m is None else r.max_penalties_12m for r in rules],
            np.int16,
            p,
        )
        self.exclusions = _col([_bits(r.exclusions, EXCLUSIONS) for r in rules], np.uint8, p)
        self.flags = _col([_bits(r.flags, FLAGS) for r in rules], np.uint8, p)
        # What pricing reads (pricing.py): amounts, rates, the rate of each grade (NaN: none).
        products = [item.product for item in self.items]
        self.amount_min = np.array([float(x.amount_min) for x in products], dtype=np.float64)
        self.amount_max = np.array([float(x.amount_max) for x in products], dtype=np.float64)
        self.rate_floor = np.array([float(x.rate_floor) for x in products], dtype=np.float64)
        self.rate_ceiling = np.array([float(x.rate_ceiling) for x in products], dtype=np.float64)
        self.rates_by_grade = np.full((len(GRADE_RANK), p), np.nan)
        for j, x in enumerate(products):
            for grade, rate in x.rates_by_grade.items():
                self.rates_by_grade[GRADE_RANK[grade], j] = float(rate)
        self.response_days = np.array([x.response_days for x in products], dtype=np.int16)
        # What each product's sentences read of it, per criterion (explain.Explainer's keys).
        self.requirements = tuple(
            {c: _requirement(item.product, c) for c in CRITERIA} for item in self.items
        )
        # Which criteria any product states: the others are skipped.
        self.used = {
            Criterion.MIN_GRADE: bool((self.min_grade != NO_RANK).any()),
            Criterion.MAX_PD: bool((~np.isnan(self.max_pd)).any()),
            Criterion.INDUSTRIES: any(r.industries is not None for r in rules),
            Criterion.DISTRICTS: bool(len(self.district_codes)),
            Criterion.DISTRICTS_SERVED: bool(len(self.served_codes)),
            Criterion.MIN_YEARS_OPERATING: bool((~np.isnan(self.min_years)).any()),
            Criterion.MIN_TAX_GRADE: bool((self.min_tax_grade != NO_RANK).any()),
            Criterion.REQUIRED_FAMILIES: bool(self.required_families.any()),
            Criterion.MIN_TAX_MONTHS: bool((self.min_tax_months != NO_MIN_I16).any()),
            Criterion.REVENUE: bool(self.has_revenue.any()),
            Criterion.HEADCOUNT: bool(self.has_headcount.any()),
            Criterion.MAX_ARREARS_MONTHS: bool((self.max_arrears != NO_MAX_I16).any()),
            Criterion.MAX_PENALTIES_12M: bool((self.max_penalties != NO_MAX_I16).any()),
            Criterion.EXCLUSIONS: bool(self.exclusions.any()),
            Criterion.FLAGS: bool(self.flags.any()),
        }

    def __len__(self) -> int:
        return len(self.items)


def _requirement(product: ProductIn, criterion: Criterion) -> object:
    """A hashable form of what ``criterion`` requires of ``product``."""
    if criterion is Criterion.DISTRICTS_SERVED:
        return tuple(product.districts_served)
    value = getattr(product.eligibility, criterion.value)
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, IndustryRule):
        return (value.mode, tuple(value.codes))
    if isinstance(value, MoneyRange | CountRange):
        return (value.min, value.max)
    return value


def _col(values: Sequence[object], dtype: type[_T], size: int) -> NDArray[_T]:
    """A rule column of ``size`` entries."""
    out: NDArray[_T] = np.array(values, dtype=dtype).reshape(size)
    return out


def _range(
    bounds: list[tuple[object, object]],
) -> tuple[NDArray[np.float64], NDArray[np.float64], BOOL]:
    low = np.array([-np.inf if lo is None else float(lo) for lo, _ in bounds], dtype=np.float64)  # type: ignore[arg-type]
    high = np.array([np.inf if hi is None else float(hi) for _, hi in bounds], dtype=np.float64)  # type: ignore[arg-type]
    has = np.array([lo is not None or hi is not None for lo, hi in bounds], dtype=np.bool_)
    return low.reshape(len(bounds)), high.reshape(len(bounds)), has.reshape(len(bounds))


@dataclass(frozen=True, slots=True)
class Results:
    """The unmet criteria of every (SME, product) pair: ``unmet[i, j]`` is a bit set over
    ``CRITERIA`` (0: SME ``i`` is eligible for product ``j``)."""

    unmet: U16

    @property
    def eligible(self) -> BOOL:
        """eligible[i, j]."""
        out: BOOL = self.unmet == 0
        return out

    def criteria(self, row: int, product: int) -> list[Criterion]:
        """The unmet criteria of one pair, in ``CRITERIA`` order."""
        return list(criteria_of(int(self.unmet[row, product])))

    def unmet_counts(self) -> NDArray[np.uint8]:
        """The number of unmet criteria of every pair."""
        counts = np.zeros(self.unmet.shape, dtype=np.uint8)
        for i in range(len(CRITERIA)):
            counts += ((self.unmet >> i) & 1).astype(np.uint8)
        return counts


@functools.lru_cache(maxsize=4096)
def criteria_of(bits: int) -> tuple[Criterion, ...]:
    """The criteria of a bit set, in ``CRITERIA`` order."""
    return tuple(c for i, c in enumerate(CRITERIA) if bits >> i & 1)


def _mark(out: U16, criterion: Criterion, fail: BOOL) -> None:
    # fail × bit, then OR: an order of magnitude faster than ``bitwise_or(..., where=fail)``.
    np.bitwise_or(out, np.multiply(fail, BIT[criterion], dtype=np.uint16), out=out)


def _lookup(codes: NDArray[np.int32], values: NDArray[np.int32]) -> NDArray[np.intp]:
    """Each value's row in a district table: its code's index, or the last row ('other')."""
    if not len(codes):
        return np.zeros(values.shape, dtype=np.intp)
    at = np.searchsorted(codes, values)
    at = np.minimum(at, len(codes) - 1)
    return np.where(codes[at] == values, at, len(codes))


def _with_missing(fail: BOOL, missing: BOOL, has: BOOL) -> BOOL:
    if missing.any():
        fail |= missing[:, None] & has[None, :]
    return fail


def _evaluate_block(t: FactTable, c: Catalogue, out: U16) -> None:  # noqa: C901
    """Mark ``out`` (rows of ``t`` × products of ``c``) with every unmet criterion."""
    used = c.used
    if used[Criterion.MIN_GRADE]:
        fail = t.grade[:, None] > c.min_grade[None, :]
        _mark(out, Criterion.MIN_GRADE, _with_missing(fail, t.grade < 0, c.min_grade != NO_RANK))
    if used[Criterion.MAX_PD]:
        fail = t.pd[:, None] > c.max_pd[None, :]
        _mark(out, Criterion.MAX_PD, _with_missing(fail, np.isnan(t.pd), ~np.isnan(c.max_pd)))
    if used[Criterion.INDUSTRIES]:
        _mark(out, Criterion.INDUSTRIES, ~c.industry_allowed[t.industry])
    if used[Criterion.DISTRICTS]:
        rows = _lookup(c.district_codes, t.district)
        _mark(out, Criterion.DISTRICTS, ~c.district_allowed[rows])
    if used[Criterion.DISTRICTS_SERVED]:
        rows = _lookup(c.served_codes, t.district)
        _mark(out, Criterion.DISTRICTS_SERVED, ~c.served_allowed[rows])
    if used[Criterion.MIN_YEARS_OPERATING]:
        fail = t.years[:, None] < c.min_years[None, :]
        has = ~np.isnan(c.min_years)
        _mark(out, Criterion.MIN_YEARS_OPERATING, _with_missing(fail, np.isnan(t.years), has))
    if used[Criterion.MIN_TAX_GRADE]:
        fail = t.tax_grade[:, None] > c.min_tax_grade[None, :]
        has = c.min_tax_grade != NO_RANK
        _mark(out, Criterion.MIN_TAX_GRADE, _with_missing(fail, t.tax_grade < 0, has))
    if used[Criterion.REQUIRED_FAMILIES]:
        need = c.required_families[None, :]
        _mark(out, Criterion.REQUIRED_FAMILIES, (t.families[:, None] & need) != need)
    if used[Criterion.MIN_TAX_MONTHS]:
        # Unauthorised tax is -1 months: under every stated minimum (≥ 1), over the sentinel.
        _mark(out, Criterion.MIN_TAX_MONTHS, t.tax_months[:, None] < c.min_tax_months[None, :])
    if used[Criterion.REVENUE]:
        _between(out, Criterion.REVENUE, t.revenue, c.revenue_min, c.revenue_max, c.has_revenue)
    if used[Criterion.HEADCOUNT]:
        _between(
            out, Criterion.HEADCOUNT, t.headcount, c.headcount_min, c.headcount_max, c.has_headcount
        )
    if used[Criterion.MAX_ARREARS_MONTHS]:
        fail = t.arrears[:, None] > c.max_arrears[None, :]
        has = c.max_arrears != NO_MAX_I16
        _mark(out, Criterion.MAX_ARREARS_MONTHS, _with_missing(fail, t.arrears < 0, has))
    if used[Criterion.MAX_PENALTIES_12M]:
        _mark(out, Criterion.MAX_PENALTIES_12M, t.penalties[:, None] > c.max_penalties[None, :])
    if used[Criterion.EXCLUSIONS]:
        _mark(out, Criterion.EXCLUSIONS, (t.exclusions[:, None] & c.exclusions[None, :]) != 0)
    if used[Criterion.FLAGS]:
        need = c.flags[None, :]
        _mark(out, Criterion.FLAGS, (t.flags[:, None] & need) != need)


def _between(
    out: U16,
    criterion: Criterion,
    values: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    has: BOOL,
) -> None:
    column = values[:, None]
    fail = (column < low[None, :]) | (column > high[None, :])
    _mark(out, criterion, _with_missing(fail, np.isnan(values), has))


def _block_rows(products: int) -> int:
    return max(1, BLOCK_CELLS // max(products, 1))


def evaluate(table: FactTable, catalogue: Catalogue | Sequence[CatalogueItem]) -> Results:
    """The unmet criteria of every SME in ``table`` for every product of ``catalogue``."""
    c = catalogue if isinstance(catalogue, Catalogue) else Catalogue(catalogue)
    n, p = len(table), len(c)
    out = np.zeros((n, p), dtype=np.uint16)
    step = _block_rows(p)
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = table if (start == 0 and stop == n) else table.take(slice(start, stop))
        _evaluate_block(block, c, out[start:stop])
    return Results(out)


def evaluate_blocks(
    table: FactTable, catalogue: Catalogue, rows: int = 10_000
) -> Iterator[tuple[int, Results]]:
    """:func:`evaluate` in blocks of ``rows`` SMEs: (first row, results of the block), for a
    job that acts on each block and need not hold every pair at once."""
    for start in range(0, len(table), rows):
        yield start, evaluate(table.take(slice(start, start + rows)), catalogue)
