"""What an SME could borrow from a product, and at what rate: estimates, not offers.

**Estimated limit** (per SME and product):

1. *Revenue basis*, when tax is authorised and the trailing-12-month invoiced sales are above
   zero: ``revenue × LIMIT_SHARE[grade]`` — 30 % of a year's sales for AAA down to 2 % for C
   (``LIMIT_SHARE``; a working-capital loan of a few months of sales for the best risks, a small
   fraction for the worst).
2. *Fallback*, without revenue (tax not authorised, or no sales): ``product maximum ×
   FALLBACK_SHARE[grade]`` — half the maximum for AAA down to 5 % for C: without the figures
   a bank lends cautiously, and authorising tax data is the way to a revenue-based limit.
3. An SME without a score counts as the worst grade (``C``) for both shares.
4. The amount is rounded **down** to whole 10,000 yuan (万元), or to 1,000 yuan under 100,000,
   and capped at the product's maximum (the maximum itself when the share reaches it).
5. Under the product's minimum (or zero), the product is **not offered**: ``offered`` is false
   and no limit is shown.

**Rate range** for the SME's grade (annual, as fractions):

* the product's ``rates_by_grade`` rate for that grade, when the bank states one (low = high);
* otherwise an interpolation between the floor and the ceiling: the span is cut into one band
  per grade, best grade at the floor, ``band k = [floor + k/8·span, floor + (k+1)/8·span]`` for
  grade rank ``k`` (AAA = 0 … C = 7), each end rounded to 0.01 % and kept within floor..ceiling;
* without a score, the whole floor..ceiling range.

Everything is computed over a table of SMEs × the catalogue with numpy (one row for the one-SME
view), like eligibility; :func:`estimate_one` turns one row into Decimals for the API.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import msgspec
import numpy as np
from numpy.typing import NDArray

from xinyidai.domain.matching.engine import Catalogue
from xinyidai.domain.matching.facts import FactTable
from xinyidai.domain.products.schemas import GRADES

F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]

LIMIT_SHARE: dict[str, float] = {
    "AAA": 0.30, "AA": 0.25, "A": 0.20, "BBB": 0.15, "BB": 0.10, "B": 0.07, "CCC": 0.04, "C": 0.02,
}  # fmt: skip
"""Share of trailing-12-month invoiced sales lent, by grade."""
FALLBACK_SHARE: dict[str, float] = {
    "AAA": 0.50, "AA": 0.40, "A": 0.30, "BBB": 0.25, "BB": 0.20, "B": 0.15, "CCC": 0.10, "C": 0.05,
}  # fmt: skip
"""Share of the product's maximum lent without revenue figures, by grade."""
UNGRADED = GRADES[-1]  # an SME without a score counts as the worst grade
ROUND_LARGE = 10_000.0  # 万元
ROUND_SMALL = 1_000.0  # under LARGE_FROM
LARGE_FROM = 100_000.0
RATE_STEP = 4  # decimal places of an interpolated rate (0.01 %)

_LIMIT_BY_RANK = np.array([LIMIT_SHARE[g] for g in GRADES] + [LIMIT_SHARE[UNGRADED]])
_FALLBACK_BY_RANK = np.array([FALLBACK_SHARE[g] for g in GRADES] + [FALLBACK_SHARE[UNGRADED]])


class LimitBasis(StrEnum):
    REVENUE = "revenue"  # a share of trailing-12-month invoiced sales
    PRODUCT_MAXIMUM = "product_maximum"  # the fallback: a share of the product's maximum


class RateBasis(StrEnum):
    GRADE_RATE = "grade_rate"  # the product's own rate for the grade
    INTERPOLATED = "interpolated"  # the grade's band between floor and ceiling
    FULL_RANGE = "full_range"  # no score: floor to ceiling


@dataclass(frozen=True, slots=True)
class Estimates:
    """Arrays of shape (SMEs, products)."""

    limit: F64  # yuan; NaN where not offered
    offered: BOOL
    revenue_based: BOOL
    rate_low: F64
    rate_high: F64
    grade_rate: BOOL  # the product's own rate for the grade
    graded: BOOL  # (SMEs,) whether the SME has a grade


class Estimate(msgspec.Struct, frozen=True, gc=False):
    """One SME's estimate for one product."""

    offered: bool
    limit: Decimal | None
    limit_basis: LimitBasis
    rate_low: Decimal
    rate_high: Decimal
    rate_basis: RateBasis


def estimate(table: FactTable, catalogue: Catalogue) -> Estimates:
    """Limits and rate ranges of every SME in ``table`` for every product (module docstring)."""
    c = catalogue
    amount_min, amount_max, by_grade = c.amount_min, c.amount_max, c.rates_by_grade
    floor, ceiling = c.rate_floor, c.rate_ceiling
    graded = table.grade >= 0
    rank = np.where(graded, table.grade, len(GRADES)).astype(np.intp)  # ungraded: last entry
    revenue = table.revenue
    revenue_based = ~np.isnan(revenue) & (np.nan_to_num(revenue) > 0)
    by_revenue = (np.nan_to_num(revenue) * _LIMIT_BY_RANK[rank])[:, None]
    by_maximum = _FALLBACK_BY_RANK[rank][:, None] * amount_max[None, :]
    base = np.where(revenue_based[:, None], by_revenue, by_maximum)
    unit = np.where(base >= LARGE_FROM, ROUND_LARGE, ROUND_SMALL)
    rounded = np.floor(base / unit) * unit
    limit = np.where(base >= amount_max[None, :], amount_max[None, :], rounded)
    offered = (limit >= amount_min[None, :]) & (limit > 0)
    limit = np.where(offered, limit, np.nan)

    span = (ceiling - floor)[None, :]
    k = np.where(graded, table.grade, 0).astype(np.float64)[:, None]
    low = np.clip(np.round(floor[None, :] + k / len(GRADES) * span, RATE_STEP), floor, ceiling)
    high = np.clip(
        np.round(floor[None, :] + (k + 1) / len(GRADES) * span, RATE_STEP), floor, ceiling
    )
    own = by_grade[np.where(graded, table.grade, 0)]  # (SMEs, products)
    grade_rate = graded[:, None] & ~np.isnan(own)
    low = np.where(grade_rate, own, low)
    high = np.where(grade_rate, own, high)
    low = np.where(graded[:, None], low, floor[None, :])
    high = np.where(graded[:, None], high, ceiling[None, :])
    return Estimates(
        limit=limit,
        offered=offered,
        revenue_based=np.broadcast_to(revenue_based[:, None], limit.shape),
        rate_low=low,
        rate_high=high,
        grade_rate=grade_rate,
        graded=graded,
    )


@functools.lru_cache(maxsize=4096)
def _rate(value: float) -> Decimal:
    return Decimal(f"{value:.6f}").normalize()


@functools.lru_cache(maxsize=4096)
def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def estimate_one(estimates: Estimates, row: int, product: int) -> Estimate:
    """One pair of :func:`estimate`'s result, in Decimals (yuan, annual rate fractions)."""
    offered = bool(estimates.offered[row, product])
    limit = estimates.limit[row, product]
    if estimates.grade_rate[row, product]:
        basis = RateBasis.GRADE_RATE
    elif estimates.graded[row]:
        basis = RateBasis.INTERPOLATED
    else:
        basis = RateBasis.FULL_RANGE
    return Estimate(
        offered=offered,
        limit=_money(float(limit)) if offered else None,
        limit_basis=LimitBasis.REVENUE
        if estimates.revenue_based[row, product]
        else LimitBasis.PRODUCT_MAXIMUM,
        rate_low=_rate(float(estimates.rate_low[row, product])),
        rate_high=_rate(float(estimates.rate_high[row, product])),
        rate_basis=basis,
    )


def estimate_row(estimates: Estimates, row: int) -> list[Estimate]:
    """:func:`estimate_one` of every product for SME ``row`` (the same values, read at once;
    products with the same figures share one :class:`Estimate`)."""
    graded = bool(estimates.graded[row])
    columns = zip(
        estimates.offered[row].tolist(),
        estimates.limit[row].tolist(),
        estimates.revenue_based[row].tolist(),
        estimates.rate_low[row].tolist(),
        estimates.rate_high[row].tolist(),
        estimates.grade_rate[row].tolist(),
        strict=True,
    )
    made: dict[tuple[bool, float, bool, float, float, bool], Estimate] = {}
    out = []
    for key in columns:
        found = made.get(key)
        if found is None:
            offered, limit, revenue, low, high, own = key
            basis = (
                RateBasis.GRADE_RATE
                if own
                else RateBasis.INTERPOLATED
                if graded
                else RateBasis.FULL_RANGE
            )
            found = made[key] = Estimate(
                offered=offered,
                limit=_money(limit) if offered else None,
                limit_basis=LimitBasis.REVENUE if revenue else LimitBasis.PRODUCT_MAXIMUM,
                rate_low=_rate(low),
                rate_high=_rate(high),
                rate_basis=basis,
            )
        out.append(found)
    return out
