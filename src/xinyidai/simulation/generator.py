"""The simulated city's monthly figures: one seeded, pure, vectorised generator.

Every number the sandbox data provider serves, every monthly figure of the demo city and every
number the credit simulator (``xinyidai_ml.simulator``) trains on comes from here. The engine
evaluates many firms × many months at once with numpy; ``monthly_values(uscc, period, seed)``
and ``family_series`` are thin wrappers over the same engine (one firm, a few months), so the
sandbox and the simulator can never disagree.

Randomness
----------
Counter-based, no generator state: each firm has a 64-bit **firm key** (the first 8 bytes of
BLAKE2b over ``"<GENERATOR_VERSION>|<seed>|<USCC>"``, never Python's salted ``hash()``). Every
draw is ``splitmix64(mix(firm key ^ purpose constant) + month index · γ)`` with a fixed
*purpose id* per quantity (``purposes.GENERATOR_PURPOSES``); the top 53 bits give a uniform
in (0, 1) and ``scipy.special.ndtri`` turns it into a standard normal (all in
:mod:`xinyidai.simulation.randomness`; the traits in :mod:`xinyidai.simulation.traits`). So the
same inputs give the same values in any process and in any batch (a firm's figures do not
depend on which other firms or months are evaluated with it), and adding a purpose later does
not shift existing values.

The latent process
------------------
Each firm has fixed **traits** (:class:`FirmTraits`, a row of :class:`TraitArrays`): an
activity profile (manufacturing, trade, services, catering, construction), a size (expected
monthly VAT sales at the reference date ``REFERENCE``), annual growth, seasonality, volatility,
energy/water/gas intensities and prices, headcount, payment discipline, arrears propensity,
whether it has gas and a housing fund at all, its founding month and, for some firms, one
shock (month, depth, recovery time, permanent part).

Each month ``t`` the firm has a **latent state** (:class:`LatentState`, :func:`latent_state`)::

    level(t)  = size · exp(growth · clamp(years from REFERENCE, ±6))       trend
              · season(t) · cny(t)                                       calendar
              · macro(t) ^ macro_sensitivity                             city-wide shocks
              · shock(t) · ramp(t)                                       own shock, start-up ramp
    cycle(t)  = Σ_{k<24} φ^k · σ_c·√(1-φ²) · e(t-k),  e ~ N(0,1)          persistent AR(1)
    sales(t)  = level(t) · exp(cycle(t) + σ·ε(t) - σ²/2),  ε ~ N(0,1)       observed activity
    distress(t) = -cycle(t)/σ_c + 3 · (1 - shock(t))                     standardised stress

* ``season`` is a cosine with a firm-specific amplitude and peak month; ``cny`` removes a
  firm-specific share of activity for the days of the Chinese New Year closure (from ten days
  before to two weeks after the festival, by the real calendar), so January and/or February
  dip each year; ``macro`` carries the city-wide shocks of 2020 and late 2022.
* The AR(1) ``cycle`` is a truncated moving average of per-month innovations, so any month can
  be evaluated without iterating over the firm's history.
* The observed families are functions of that state plus their own small noise: tax paid is a
  firm-specific share of sales; invoice counts are sales over a typical invoice value;
  electricity is a base load plus a variable part proportional to sales (with a summer cooling
  bump); water follows headcount and sales; gas follows sales (with a winter bump) for firms
  that use it; headcount follows the trend more slowly than sales; social-insurance and housing
  fund contributions are headcount times per-head amounts that rise every July (the yearly
  adjustment of the contribution base).
* Payment behaviour comes from ``distress``: the chance of paying a utility bill late, or of
  running tax / social-insurance arrears, is the firm's propensity scaled up when the firm is
  below its own trend or hit by its shock. Most firms in most months pay on time and owe
  nothing.

The registry, the public records and the credit simulator add their own draws (names,
capital, records, authorizations, loans) through :func:`uniforms` / :func:`normals` with the
purpose ids of :mod:`xinyidai.simulation.purposes`, and read the latent state from
:class:`Panel`. Bump ``GENERATOR_VERSION`` whenever existing values are meant to change.

Money and volumes are quantised to cents with round-half-up on the float value (done once, in
numpy, for every path), then handed out as ``Decimal`` with two places; counts are ``int``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from xinyidai.dates import (
    add_months,
    month_index,
    month_start,
    period_of,
)
from xinyidai.enums import Family
from xinyidai.simulation.purposes import GENERATOR_PURPOSES as _PURPOSES
from xinyidai.simulation.randomness import F64, I64, normals, uniforms
from xinyidai.simulation.traits import (
    Bool,
    FirmTraits,
    TraitArrays,
    families_of,
    firm_traits,
    is_active,
)

REFERENCE = date(2024, 1, 1)
"""The month at which a firm's ``size`` is its expected monthly VAT sales."""

FAMILY_COLUMNS: dict[Family, tuple[str, ...]] = {
    Family.TAX: ("vat_sales", "tax_paid", "invoices_issued", "invoices_received", "arrears"),
    Family.ELECTRICITY: ("kwh", "amount", "days_late"),
    Family.WATER: ("cubic_metres", "amount", "days_late"),
    Family.GAS: ("cubic_metres", "amount", "days_late"),
    Family.SOCIAL_INSURANCE: ("insured_headcount", "contributions", "arrears"),
    Family.HOUSING_FUND: ("headcount", "contributions"),
}
"""The value columns of each family, in the order of the models in ``models/credit_data.py``."""

COUNT_COLUMNS = frozenset(
    {"invoices_issued", "invoices_received", "days_late", "insured_headcount", "headcount"}
)
"""Columns that are integer counts; every other column is money or a volume in cents."""

Value = Decimal | int
MonthValues = dict[Family, dict[str, Value]]

_CYCLE_LAGS = 24

# Chinese New Year (春节), first day of the first lunar month.
_CNY: dict[int, date] = {
    d.year: d
    for d in (
        date(2000, 2, 5),
        date(2001, 1, 24),
        date(2002, 2, 12),
        date(2003, 2, 1),
        date(2004, 1, 22),
        date(2005, 2, 9),
        date(2006, 1, 29),
        date(2007, 2, 18),
        date(2008, 2, 7),
        date(2009, 1, 26),
        date(2010, 2, 14),
        date(2011, 2, 3),
        date(2012, 1, 23),
        date(2013, 2, 10),
        date(2014, 1, 31),
        date(2015, 2, 19),
        date(2016, 2, 8),
        date(2017, 1, 28),
        date(2018, 2, 16),
        date(2019, 2, 5),
        date(2020, 1, 25),
        date(2021, 2, 12),
        date(2022, 2, 1),
        date(2023, 1, 22),
        date(2024, 2, 10),
        date(2025, 1, 29),
        date(2026, 2, 17),
        date(2027, 2, 6),
        date(2028, 1, 26),
        date(2029, 2, 13),
        date(2030, 2, 3),
        date(2031, 1, 23),
        date(2032, 2, 11),
        date(2033, 1, 31),
        date(2034, 2, 19),
        date(2035, 2, 8),
    )
}
_CNY_BEFORE = timedelta(days=10)  # workers leave, orders stop
_CNY_AFTER = timedelta(days=14)  # back after the Lantern Festival (元宵)

# City-wide activity factors (Guangzhou): the 2020 outbreak and the late-2022 closures.
_MACRO: dict[tuple[int, int], float] = {
    (2020, 1): 0.93,
    (2020, 2): 0.62,
    (2020, 3): 0.84,
    (2020, 4): 0.94,
    (2020, 5): 0.97,
    (2022, 4): 0.96,
    (2022, 10): 0.95,
    (2022, 11): 0.80,
    (2022, 12): 0.86,
    (2023, 1): 0.94,
}


# --- the panel: many firms × many months --------------------------------------------------------
def _cny_factor(index: int) -> float:
    """Share of a month's days inside the New Year closure, scaled (before the firm's depth)."""
    period = period_of(index)
    cny = _CNY.get(period.year, date(period.year, 2, 5))
    start, end = cny - _CNY_BEFORE, cny + _CNY_AFTER
    after = add_months(period, 1)
    overlap = (min(end, after) - max(start, period)).days
    if overlap <= 0:
        return 0.0
    return min(1.0, 1.5 * overlap / (after - period).days)


def _cents(x: F64) -> I64:
    """Round half up to whole cents (money and volumes are never negative)."""
    return np.floor(np.maximum(x, 0.0) * 100.0 + 0.5).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class Panel:
    """The latent state and the observed figures of many firms over consecutive months.

    Every matrix is firms × months. ``values[family][column]`` holds cents (money, volumes) or
    counts (``COUNT_COLUMNS``); entries where ``active`` is false (before the founding month)
    or the firm lacks the family (``has[family]``) are meaningless and never handed out."""

    traits: TraitArrays
    months: I64  # month indexes, consecutive
    active: Bool
    trend: F64
    level: F64
    cycle: F64
    noise: F64
    sales: F64
    shock_factor: F64
    distress: F64
    headcount: I64
    values: dict[Family, dict[str, I64]]
    has: dict[Family, Bool]

    @property
    def periods(self) -> list[date]:
        return [period_of(int(m)) for m in self.months]

    def column(self, family: Family, name: str) -> I64:
        return self.values[family][name]


def panel(traits: TraitArrays, first: date, last: date) -> Panel:
    """Evaluate the firms ``traits`` for every month from ``first`` to ``last`` at once."""
    m0, m1 = month_index(first), month_index(last)
    if m1 < m0:
        raise ValueError("last is before first")
    months = np.arange(m0, m1 + 1, dtype=np.int64)
    keys = traits.keys
    n = len(traits)

    def z(name: str, mm: I64 = months) -> F64:
        return normals(keys, _PURPOSES[name], mm)

    def u(name: str) -> F64:
        return uniforms(keys, _PURPOSES[name], months)

    col = np.newaxis
    calendar_month = (months % 12 + 1).astype(np.float64)
    years = np.clip((months - month_index(REFERENCE)) / 12.0, -6.0, 6.0)
    trend = traits.size[:, col] * np.exp(traits.growth[:, col] * years[col, :])
    season = 1 + traits.season_amplitude[:, col] * np.cos(
        2 * np.pi * (calendar_month[col, :] - traits.season_peak[:, col]) / 12
    )
    cny_share = np.array([_cny_factor(int(m)) for m in months])
    cny = 1.0 - traits.cny_depth[:, col] * cny_share[col, :]
    macro_values = np.array([_MACRO.get((int(m) // 12, int(m) % 12 + 1), 1.0) for m in months])
    macro = macro_values[col, :] ** traits.macro_sensitivity[:, col]
    elapsed = months[col, :] - traits.shock_month[:, col]
    hit = elapsed >= 0
    lasting = traits.shock_permanent[:, col] + (1 - traits.shock_permanent[:, col]) * np.exp(
        -np.maximum(elapsed, 0) / traits.shock_recovery[:, col]
    )
    shock = np.where(hit, 1.0 - traits.shock_depth[:, col] * lasting, 1.0)
    age = months[col, :] - traits.founded[:, col]
    active = age >= 0
    ramp = 0.35 + 0.65 * np.minimum(1.0, np.maximum(age, 0) / 12)
    level = trend * season * cny * macro * shock * ramp

    # AR(1) cycle as a truncated moving average of the innovations of the last 24 months.
    lagged = np.arange(m0 - _CYCLE_LAGS + 1, m1 + 1, dtype=np.int64)
    innovations = z("cycle", lagged)
    phi = traits.cycle_persistence[:, col]
    total = np.zeros((n, len(months)))
    weight = np.ones((n, 1))
    for k in range(_CYCLE_LAGS):
        start = _CYCLE_LAGS - 1 - k
        total += weight * innovations[:, start : start + len(months)]
        weight = weight * phi
    cycle = traits.cycle_sd[:, col] * np.sqrt(1 - phi * phi) * total
    sigma = traits.volatility[:, col]
    noise = sigma * z("noise")
    sales = np.clip(level * np.exp(cycle + noise - sigma * sigma / 2), 10e3, 25e6)
    distress = -cycle / traits.cycle_sd[:, col] + 3 * (1 - shock)
    stress = np.maximum(distress, 0.0)

    # Headcount follows the trend slowly, the cycle a little, and a shock by its square root.
    drift = (trend / traits.size[:, col]) ** traits.headcount_elasticity[:, col] * np.exp(
        0.5 * cycle
    )
    drift = np.where(shock < 1, drift * np.sqrt(shock), drift)
    turnover = np.rint(0.6 * z("turnover"))
    heads = np.maximum(1, np.rint(traits.headcount[:, col] * drift) + turnover).astype(np.int64)

    arrears_chance = np.minimum(0.9, traits.arrears_propensity[:, col] * (0.3 + 2 * stress))
    late_chance = np.minimum(0.95, (1 - traits.payment_discipline[:, col]) * (0.4 + stress))

    def days_late(late: str, days: str) -> I64:
        is_late = u(late) < late_chance
        return np.where(is_late, 1 + np.floor(29 * u(days) ** 2), 0).astype(np.int64)

    # Tax.
    tax = sales * traits.tax_burden[:, col] * np.exp(0.15 * z("tax_noise"))
    tax = np.where(u("tax_credit") < 0.08, tax * 0.3, tax)  # a month of heavy input-VAT credits
    issued = np.maximum(
        1, np.rint(sales / traits.invoice_value[:, col] * np.exp(0.1 * z("tax_issued")))
    )
    received = np.maximum(
        0, np.rint(issued * traits.purchase_ratio[:, col] * np.exp(0.2 * z("tax_received")))
    )
    tax_arrears = np.where(
        u("tax_arrears") < arrears_chance, tax * (0.3 + 1.7 * u("tax_arrears_amount")), 0.0
    )
    # Electricity: base load follows the trend, the rest follows sales; summer cooling.
    activity = traits.base_load[:, col] * trend + (1 - traits.base_load[:, col]) * sales
    summer = (
        1
        + np.where((calendar_month >= 6) & (calendar_month <= 9), 1.0, 0.0)[col, :]
        * traits.cooling[:, col]
    )
    kwh = activity / 1000 * traits.kwh_per_k[:, col] * summer * np.exp(0.05 * z("power_noise"))
    power_amount = kwh * traits.electricity_price[:, col] * np.exp(0.02 * z("power_price"))
    # Water: people and production.
    water = (1.5 * heads + sales / 1000 * traits.water_per_k[:, col]) * np.exp(
        0.08 * z("water_noise")
    )
    # Gas: production, a winter bump.
    winter = np.where(np.isin(calendar_month, (12, 1, 2)), 1.1, 1.0)[col, :]
    gas = sales / 1000 * traits.gas_per_k[:, col] * winter * np.exp(0.08 * z("gas_noise"))
    # Social insurance and housing fund: heads × per-head amounts adjusted every July.
    adjustments = (months // 12 - REFERENCE.year + np.where(calendar_month >= 7, 1, 0))[col, :]
    si_per_head = traits.si_per_head[:, col] * (1 + traits.base_adjustment[:, col]) ** adjustments
    contributions = heads * si_per_head * np.exp(0.02 * z("si_noise"))
    si_arrears = np.where(
        u("si_arrears") < arrears_chance,
        contributions * (0.2 + 1.3 * u("si_arrears_amount")),
        0.0,
    )
    covered = np.maximum(1, np.rint(heads * traits.hf_coverage[:, col])).astype(np.int64)
    hf_per_head = traits.hf_per_head[:, col] * (1 + traits.base_adjustment[:, col]) ** adjustments
    hf = covered * hf_per_head * np.exp(0.02 * z("hf_noise"))

    values: dict[Family, dict[str, I64]] = {
        Family.TAX: {
            "vat_sales": _cents(sales),
            "tax_paid": _cents(tax),
            "invoices_issued": issued.astype(np.int64),
            "invoices_received": received.astype(np.int64),
            "arrears": _cents(tax_arrears),
        },
        Family.ELECTRICITY: {
            "kwh": _cents(kwh),
            "amount": _cents(power_amount),
            "days_late": days_late("power_late", "power_days"),
        },
        Family.WATER: {
            "cubic_metres": _cents(water),
            "amount": _cents(water * traits.water_price[:, col]),
            "days_late": days_late("water_late", "water_days"),
        },
        Family.GAS: {
            "cubic_metres": _cents(gas),
            "amount": _cents(gas * traits.gas_price[:, col]),
            "days_late": days_late("gas_late", "gas_days"),
        },
        Family.SOCIAL_INSURANCE: {
            "insured_headcount": heads,
            "contributions": _cents(contributions),
            "arrears": _cents(si_arrears),
        },
        Family.HOUSING_FUND: {"headcount": covered, "contributions": _cents(hf)},
    }
    everyone = np.ones(n, dtype=np.bool_)
    has = {f: everyone for f in Family}
    has[Family.GAS] = traits.has_gas
    has[Family.HOUSING_FUND] = traits.has_housing_fund
    return Panel(
        traits=traits,
        months=months,
        active=active,
        trend=trend,
        level=level,
        cycle=cycle,
        noise=noise,
        sales=sales,
        shock_factor=shock,
        distress=distress,
        headcount=heads,
        values=values,
        has=has,
    )


_ZERO = Decimal("0.00")


def to_decimal(cents: int) -> Decimal:
    """Cents as a two-place ``Decimal``."""
    return Decimal(cents).scaleb(-2) if cents else _ZERO


def month_rows(
    p: Panel, firm: int, family: Family, start: int = 0, stop: int | None = None
) -> list[tuple[date, dict[str, Value]]]:
    """``(period, values)`` of one firm's family for panel columns ``start:stop`` (active months
    only; empty if the firm lacks the family)."""
    if not p.has[family][firm]:
        return []
    stop = len(p.months) if stop is None else stop
    active = p.active[firm, start:stop].tolist()
    columns = FAMILY_COLUMNS[family]
    lists = [p.values[family][c][firm, start:stop].tolist() for c in columns]
    convert = [c not in COUNT_COLUMNS for c in columns]
    out: list[tuple[date, dict[str, Value]]] = []
    for j, on in enumerate(active):
        if not on:
            continue
        row: dict[str, Value] = {
            c: (to_decimal(values[j]) if money else values[j])
            for c, values, money in zip(columns, lists, convert, strict=True)
        }
        out.append((period_of(int(p.months[start + j])), row))
    return out


# --- one firm: the scalar API the sandbox and the tests use -------------------------------------
@dataclass(frozen=True, slots=True)
class LatentState:
    """The firm's unobserved condition in one month (see the module docstring)."""

    period: date
    trend: float  # size · growth only: what the firm "normally" does now
    level: float  # trend with calendar, macro, shock and ramp applied
    cycle: float  # persistent AR(1) deviation (log scale)
    noise: float  # this month's idiosyncratic log deviation
    sales: float  # observed activity (VAT sales), yuan
    shock_factor: float  # 1 without shock; < 1 while the firm's own shock lasts
    distress: float  # standardised stress: > 0 worse than usual


def latent_state(traits: FirmTraits, period: date) -> LatentState:
    """The firm's latent state in ``period`` (defined for any month, founded or not)."""
    period = month_start(period)
    p = panel(TraitArrays.of([traits]), period, period)
    return LatentState(
        period,
        float(p.trend[0, 0]),
        float(p.level[0, 0]),
        float(p.cycle[0, 0]),
        float(p.noise[0, 0]),
        float(p.sales[0, 0]),
        float(p.shock_factor[0, 0]),
        float(p.distress[0, 0]),
    )


def _series(traits: FirmTraits, first: date, last: date) -> dict[Family, list[Any]]:
    p = panel(TraitArrays.of([traits]), first, last)
    return {f: month_rows(p, 0, f) for f in families_of(traits)}


def values_for(traits: FirmTraits, period: date) -> MonthValues:
    """The month's figures of every family the firm has; empty before its founding."""
    period = month_start(period)
    if not is_active(traits, period):
        return {}
    return {f: rows[0][1] for f, rows in _series(traits, period, period).items()}


def monthly_values(uscc: str, period: date, seed: int) -> MonthValues:
    """The figures of firm ``uscc`` for ``period`` in the city ``seed``.

    Only the families the firm has; an empty dict for months before the firm was founded.
    Money and volumes are ``Decimal`` with two places, counts and days are ``int``.
    """
    return values_for(firm_traits(uscc.strip().upper(), seed), period)


def family_series(
    uscc: str, family: Family, first: date, last: date, seed: int
) -> list[tuple[date, dict[str, Value]]]:
    """``(period, values)`` of one family from ``first`` to ``last``, founded months only."""
    traits = firm_traits(uscc.strip().upper(), seed)
    if family not in families_of(traits) or month_start(last) < month_start(first):
        return []
    p = panel(TraitArrays.of([traits]), first, last)
    return month_rows(p, 0, family)
