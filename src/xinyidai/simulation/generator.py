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
*purpose id* per quantity (see ``_PURPOSES``); the top 53 bits give a uniform in (0, 1) and
``scipy.special.ndtri`` turns it into a standard normal. So the same inputs give the same
values in any process and in any batch (a firm's figures do not depend on which other firms or
months are evaluated with it), and adding a purpose later does not shift existing values.

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

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from xinyidai.dates import (
    add_months,
    month_index,
    month_start,
    period_of,
)
from xinyidai.enums import Family

GENERATOR_VERSION = 2
"""Part of every firm key: changing it changes every value."""

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
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
Bool = NDArray[np.bool_]

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


# --- randomness ---------------------------------------------------------------------------------
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 2.0**-53


def _mix(z: U64) -> U64:
    """The splitmix64 finaliser (a bijection of 64-bit words with good avalanche)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def firm_key(uscc: str, seed: int) -> int:
    """The 64-bit key of firm ``uscc`` in the city ``seed``."""
    text = f"{GENERATOR_VERSION}|{seed}|{uscc.strip().upper()}"
    digest = hashlib.blake2b(text.encode(), digest_size=8, person=b"xinyidai-sim").digest()
    return int.from_bytes(digest, "big")


def firm_keys(usccs: Iterable[str], seed: int) -> U64:
    return np.fromiter((firm_key(u, seed) for u in usccs), dtype=np.uint64)


def _purpose_constant(purpose: int) -> np.uint64:
    return np.uint64((purpose * 0xD1B54A32D192ED03 + 0x8CB92BA72F3D8DD7) % 2**64)


def _bits(keys: U64, purpose: int, months: I64 | None) -> U64:
    base = _mix(keys ^ _purpose_constant(purpose))
    if months is None:
        return _mix(base + _GAMMA)
    counter = months.astype(np.uint64) * _GAMMA
    return _mix(base[:, None] + counter[None, :])


def uniforms(keys: U64, purpose: int, months: I64 | None = None) -> F64:
    """Uniforms in (0, 1): one per firm (``months`` None) or a firms × months matrix."""
    bits = _bits(keys, purpose, months)
    return ((bits >> _S11).astype(np.float64) + 0.5) * _TO_UNIT


def normals(keys: U64, purpose: int, months: I64 | None = None) -> F64:
    """Standard normals, like :func:`uniforms`."""
    return np.asarray(ndtri(uniforms(keys, purpose, months)), dtype=np.float64)


# Purpose ids: fixed forever (never renumber; add new ones at the end). 1-99 traits,
# 100-199 monthly draws; the credit simulator uses 1000 and up.
_PURPOSES: dict[str, int] = {
    "profile": 1,
    "founded_tier": 2,
    "founded_month": 3,
    "sales_per_head": 4,
    "size": 5,
    "growth": 6,
    "discipline_tier": 7,
    "discipline": 8,
    "arrears": 9,
    "shock": 10,
    "shock_month": 11,
    "shock_depth": 12,
    "shock_recovery": 13,
    "shock_permanent": 14,
    "has_gas": 15,
    "has_housing_fund": 16,
    "season_amplitude": 17,
    "season_peak": 18,
    "cny_depth": 19,
    "macro": 20,
    "volatility": 21,
    "cycle_persistence": 22,
    "cycle_sd": 23,
    "tax_burden": 24,
    "invoice_value": 25,
    "purchase_ratio": 26,
    "kwh_per_k": 27,
    "base_load": 28,
    "cooling": 29,
    "electricity_price": 30,
    "water_per_k": 31,
    "water_price": 32,
    "gas_per_k": 33,
    "gas_price": 34,
    "headcount_elasticity": 35,
    "si_per_head": 36,
    "base_adjustment": 37,
    "hf_coverage": 38,
    "hf_per_head": 39,
    "founded_day": 40,
    "cycle": 100,
    "noise": 101,
    "turnover": 102,
    "tax_noise": 110,
    "tax_credit": 111,
    "tax_issued": 112,
    "tax_received": 113,
    "tax_arrears": 114,
    "tax_arrears_amount": 115,
    "power_noise": 120,
    "power_price": 121,
    "power_late": 122,
    "power_days": 123,
    "water_noise": 130,
    "water_late": 131,
    "water_days": 132,
    "gas_noise": 140,
    "gas_late": 141,
    "gas_days": 142,
    "si_noise": 150,
    "si_arrears": 151,
    "si_arrears_amount": 152,
    "hf_noise": 160,
}


# --- traits -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Profile:
    """Ranges an activity profile draws a firm's intensities from."""

    weight: float
    kwh_per_k: tuple[float, float]  # kWh per 1,000 yuan of sales
    water_per_k: tuple[float, float]  # m³ per 1,000 yuan of sales
    gas_share: float  # share of such firms that use piped gas
    gas_per_k: tuple[float, float]  # m³ per 1,000 yuan of sales
    sales_per_head: tuple[float, float]  # yuan per employee per month
    tax_burden: tuple[float, float]  # tax paid / sales
    invoice_value: tuple[float, float]  # yuan per issued invoice
    purchase_ratio: tuple[float, float]  # invoices received / issued
    cny_depth: tuple[float, float]  # share of activity lost over the New Year closure
    volatility: tuple[float, float]  # sd of the monthly log noise


PROFILES: dict[str, Profile] = {
    "manufacturing": Profile(
        0.35, (20, 120), (0.2, 2.0), 0.35, (1, 15), (25e3, 90e3), (0.015, 0.04), (8e3, 80e3),
        (0.8, 1.5), (0.30, 0.55), (0.04, 0.14),
    ),
    "trade": Profile(
        0.25, (1, 6), (0.02, 0.1), 0.02, (0.2, 1), (80e3, 400e3), (0.008, 0.025), (3e3, 50e3),
        (0.9, 1.8), (0.15, 0.35), (0.06, 0.18),
    ),
    "services": Profile(
        0.22, (3, 15), (0.05, 0.3), 0.05, (0.2, 2), (15e3, 50e3), (0.02, 0.05), (5e3, 60e3),
        (0.3, 0.8), (0.15, 0.30), (0.04, 0.12),
    ),
    "catering": Profile(
        0.08, (30, 80), (2.0, 6.0), 0.9, (10, 40), (8e3, 20e3), (0.01, 0.03), (80, 500),
        (0.05, 0.2), (0.15, 0.30), (0.05, 0.12),
    ),
    "construction": Profile(
        0.10, (5, 25), (0.5, 2.0), 0.05, (0.2, 2), (30e3, 100e3), (0.02, 0.04), (50e3, 500e3),
        (0.5, 1.2), (0.35, 0.60), (0.10, 0.25),
    ),
}  # fmt: skip
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)
_SIZE_LOW, _SIZE_HIGH = 60e3, 12e6
_FOUNDED_OLD = month_index(date(2003, 1, 1))
_FOUNDED_YOUNG = month_index(date(2019, 1, 1))
_NO_SHOCK = -(10**6)


def _profile_table(attribute: str) -> F64:
    """(profiles × 2) bounds of one range attribute."""
    return np.array([getattr(PROFILES[name], attribute) for name in PROFILE_NAMES])


@dataclass(frozen=True, slots=True)
class FirmTraits:
    """Everything fixed about one simulated firm; one row of :class:`TraitArrays`."""

    uscc: str
    seed: int
    profile: str  # a key of PROFILES
    founded: date  # first period with any activity
    founded_on: date  # registration date (a day of the founding month)
    size: float  # expected monthly VAT sales at REFERENCE, yuan
    growth: float  # annual log growth of the trend
    season_amplitude: float  # of the cosine seasonality
    season_peak: int  # month (1-12) of the seasonal peak
    cny_depth: float  # share of activity lost over the New Year closure
    macro_sensitivity: float  # elasticity to the city-wide factor
    volatility: float  # sd of the monthly idiosyncratic log noise
    cycle_persistence: float  # φ of the AR(1) cycle
    cycle_sd: float  # stationary sd of the AR(1) cycle
    tax_burden: float  # tax paid / sales
    invoice_value: float  # yuan per issued invoice
    purchase_ratio: float  # invoices received / issued
    kwh_per_k: float  # kWh per 1,000 yuan
    base_load: float  # share of electricity that does not follow activity
    cooling: float  # extra electricity share in Jun-Sep
    electricity_price: float  # yuan per kWh
    water_per_k: float  # m³ per 1,000 yuan
    water_price: float  # yuan per m³
    has_gas: bool
    gas_per_k: float  # m³ per 1,000 yuan (0 without gas)
    gas_price: float  # yuan per m³
    headcount: int  # insured employees at REFERENCE
    headcount_elasticity: float  # how much headcount follows the sales trend
    si_per_head: float  # social-insurance contribution per head and month at REFERENCE
    base_adjustment: float  # yearly (July) rise of the contribution base
    has_housing_fund: bool
    hf_coverage: float  # share of insured heads with a housing-fund account
    hf_per_head: float  # housing-fund contribution per head and month at REFERENCE
    payment_discipline: float  # 0 (always late) .. 1 (always on time)
    arrears_propensity: float  # base monthly chance of tax / social-insurance arrears
    shock_month: date | None  # start of the firm's own shock, if any
    shock_depth: float  # share of activity lost at the shock
    shock_recovery: float  # months for the loss to shrink by e
    shock_permanent: float  # share of the loss that never recovers


_ARRAY_FIELDS = [
    "size",
    "growth",
    "season_amplitude",
    "cny_depth",
    "macro_sensitivity",
    "volatility",
    "cycle_persistence",
    "cycle_sd",
    "tax_burden",
    "invoice_value",
    "purchase_ratio",
    "kwh_per_k",
    "base_load",
    "cooling",
    "electricity_price",
    "water_per_k",
    "water_price",
    "gas_per_k",
    "gas_price",
    "headcount_elasticity",
    "si_per_head",
    "base_adjustment",
    "hf_coverage",
    "hf_per_head",
    "payment_discipline",
    "arrears_propensity",
    "shock_depth",
    "shock_recovery",
    "shock_permanent",
]


@dataclass(frozen=True, slots=True, eq=False)
class TraitArrays:
    """The traits of many firms, one numpy array per trait (struct of arrays).

    ``founded`` and ``shock_month`` are month indexes (:func:`month_index`; ``shock_month`` is
    very negative without a shock), ``founded_day`` the day of the founding month the firm was
    registered, ``profile`` an index into ``PROFILE_NAMES``."""

    usccs: tuple[str, ...]
    seed: int
    keys: U64
    profile: I64
    founded: I64
    founded_day: I64
    season_peak: I64
    headcount: I64
    has_gas: Bool
    has_housing_fund: Bool
    shock_month: I64
    size: F64
    growth: F64
    season_amplitude: F64
    cny_depth: F64
    macro_sensitivity: F64
    volatility: F64
    cycle_persistence: F64
    cycle_sd: F64
    tax_burden: F64
    invoice_value: F64
    purchase_ratio: F64
    kwh_per_k: F64
    base_load: F64
    cooling: F64
    electricity_price: F64
    water_per_k: F64
    water_price: F64
    gas_per_k: F64
    gas_price: F64
    headcount_elasticity: F64
    si_per_head: F64
    base_adjustment: F64
    hf_coverage: F64
    hf_per_head: F64
    payment_discipline: F64
    arrears_propensity: F64
    shock_depth: F64
    shock_recovery: F64
    shock_permanent: F64

    def __len__(self) -> int:
        return len(self.usccs)

    def take(self, index: Sequence[int] | I64) -> TraitArrays:
        """The traits of a subset of the firms (in the order of ``index``)."""
        idx = np.asarray(index, dtype=np.int64)
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "usccs":
                values[f.name] = tuple(self.usccs[i] for i in idx.tolist())
            elif isinstance(value, np.ndarray):
                values[f.name] = value[idx]
            else:
                values[f.name] = value
        return TraitArrays(**values)

    def row(self, i: int) -> FirmTraits:
        """Firm ``i``'s traits as a plain record."""
        founded = period_of(int(self.founded[i]))
        shock = int(self.shock_month[i])
        return FirmTraits(
            uscc=self.usccs[i],
            seed=self.seed,
            profile=PROFILE_NAMES[int(self.profile[i])],
            founded=founded,
            founded_on=founded.replace(day=int(self.founded_day[i])),
            season_peak=int(self.season_peak[i]),
            headcount=int(self.headcount[i]),
            has_gas=bool(self.has_gas[i]),
            has_housing_fund=bool(self.has_housing_fund[i]),
            shock_month=period_of(shock) if shock != _NO_SHOCK else None,
            **{name: float(getattr(self, name)[i]) for name in _ARRAY_FIELDS},
        )

    @classmethod
    def of(cls, rows: Sequence[FirmTraits]) -> TraitArrays:
        """Arrays of the given traits (the inverse of :meth:`row`)."""
        if len({r.seed for r in rows}) > 1:
            raise ValueError("traits of one city only")
        return cls(
            usccs=tuple(r.uscc for r in rows),
            seed=rows[0].seed if rows else 0,
            keys=firm_keys((r.uscc for r in rows), rows[0].seed if rows else 0),
            profile=np.array([PROFILE_NAMES.index(r.profile) for r in rows], dtype=np.int64),
            founded=np.array([month_index(r.founded) for r in rows], dtype=np.int64),
            founded_day=np.array([r.founded_on.day for r in rows], dtype=np.int64),
            season_peak=np.array([r.season_peak for r in rows], dtype=np.int64),
            headcount=np.array([r.headcount for r in rows], dtype=np.int64),
            has_gas=np.array([r.has_gas for r in rows], dtype=np.bool_),
            has_housing_fund=np.array([r.has_housing_fund for r in rows], dtype=np.bool_),
            shock_month=np.array(
                [month_index(r.shock_month) if r.shock_month else _NO_SHOCK for r in rows],
                dtype=np.int64,
            ),
            **{
                name: np.array([getattr(r, name) for r in rows], dtype=np.float64)
                for name in _ARRAY_FIELDS
            },
        )


def city_traits(usccs: Sequence[str], seed: int) -> TraitArrays:
    """The traits of the firms ``usccs`` in the city ``seed``, all at once."""
    codes = tuple(u.strip().upper() for u in usccs)
    keys = firm_keys(codes, seed)

    def u(name: str) -> F64:
        return uniforms(keys, _PURPOSES[name])

    def z(name: str) -> F64:
        return normals(keys, _PURPOSES[name])

    weights = np.array([PROFILES[n].weight for n in PROFILE_NAMES])
    cumulative = np.cumsum(weights) / weights.sum()
    profile = np.minimum(np.searchsorted(cumulative, u("profile"), side="right"), 4)
    profile = profile.astype(np.int64)

    def between(name: str, attribute: str, *, log: bool = True) -> F64:
        bounds = _profile_table(attribute)[profile]
        low, high = bounds[:, 0], bounds[:, 1]
        x = u(name)
        if log:
            return np.exp(np.log(low) + (np.log(high) - np.log(low)) * x)
        return low + (high - low) * x

    def uniform(name: str, low: float, high: float) -> F64:
        return low + (high - low) * u(name)

    old = u("founded_tier") < 0.72
    fm = u("founded_month")
    founded = np.where(
        old,
        _FOUNDED_OLD + np.floor(fm * 192),  # 2003-2018
        _FOUNDED_YOUNG + np.floor(fm * 78),  # 2019-2025-06
    ).astype(np.int64)
    founded_day = (1 + np.floor(u("founded_day") * 28)).astype(np.int64)
    young = ~old

    sales_per_head = between("sales_per_head", "sales_per_head")
    # At most ~400 employees' worth of sales: a 3-table restaurant does not sell 10M a month.
    size_draw = np.exp(
        math.log(_SIZE_LOW) + (math.log(_SIZE_HIGH) - math.log(_SIZE_LOW)) * u("size") ** 1.5
    )
    size = np.minimum(size_draw, 400 * sales_per_head)
    headcount = np.clip(np.rint(size / sales_per_head), 3, 300).astype(np.int64)

    growth = np.clip(0.05 + np.where(young, 0.1, 0.0) + 0.1 * z("growth"), -0.25, 0.4)

    tier = u("discipline_tier")
    d = u("discipline")
    discipline = np.where(
        tier < 0.80, 0.9 + 0.1 * d, np.where(tier < 0.95, 0.6 + 0.3 * d, 0.2 + 0.4 * d)
    )
    arrears_propensity = (1.0 - discipline) * uniform("arrears", 0.05, 0.3)

    shocked = u("shock") < 0.2
    shock_month = np.where(
        shocked, _FOUNDED_YOUNG + np.floor(u("shock_month") * 90), _NO_SHOCK
    ).astype(np.int64)
    shock_depth = np.where(shocked, uniform("shock_depth", 0.25, 0.7), 0.0)
    shock_recovery = np.where(shocked, uniform("shock_recovery", 2.0, 18.0), 1.0)
    shock_permanent = np.where(shocked, uniform("shock_permanent", 0.0, 0.3), 0.0)

    gas_share = np.array([PROFILES[n].gas_share for n in PROFILE_NAMES])[profile]
    has_gas = u("has_gas") < gas_share
    # Bigger firms more often pay into the housing fund (公积金).
    size_rank = (np.log(size) - math.log(_SIZE_LOW)) / (math.log(_SIZE_HIGH) - math.log(_SIZE_LOW))
    has_housing_fund = u("has_housing_fund") < 0.3 + 0.5 * size_rank

    return TraitArrays(
        usccs=codes,
        seed=seed,
        keys=keys,
        profile=profile,
        founded=founded,
        founded_day=founded_day,
        season_peak=(1 + np.floor(u("season_peak") * 12)).astype(np.int64),
        headcount=headcount,
        has_gas=has_gas,
        has_housing_fund=has_housing_fund,
        shock_month=shock_month,
        size=size,
        growth=growth,
        season_amplitude=uniform("season_amplitude", 0.0, 0.12),
        cny_depth=between("cny_depth", "cny_depth", log=False),
        macro_sensitivity=uniform("macro", 0.5, 1.5),
        volatility=between("volatility", "volatility"),
        cycle_persistence=uniform("cycle_persistence", 0.6, 0.9),
        cycle_sd=uniform("cycle_sd", 0.04, 0.15),
        tax_burden=between("tax_burden", "tax_burden"),
        invoice_value=between("invoice_value", "invoice_value"),
        purchase_ratio=between("purchase_ratio", "purchase_ratio"),
        kwh_per_k=between("kwh_per_k", "kwh_per_k"),
        base_load=uniform("base_load", 0.2, 0.5),
        cooling=uniform("cooling", 0.05, 0.25),
        electricity_price=uniform("electricity_price", 0.6, 1.0),
        water_per_k=between("water_per_k", "water_per_k"),
        water_price=uniform("water_price", 3.5, 6.0),
        gas_per_k=np.where(has_gas, between("gas_per_k", "gas_per_k"), 0.0),
        gas_price=uniform("gas_price", 3.5, 5.0),
        headcount_elasticity=uniform("headcount_elasticity", 0.4, 0.8),
        si_per_head=uniform("si_per_head", 1000.0, 2000.0),
        base_adjustment=uniform("base_adjustment", 0.03, 0.06),
        hf_coverage=uniform("hf_coverage", 0.4, 1.0),
        hf_per_head=uniform("hf_per_head", 300.0, 1500.0),
        payment_discipline=discipline,
        arrears_propensity=arrears_propensity,
        shock_depth=shock_depth,
        shock_recovery=shock_recovery,
        shock_permanent=shock_permanent,
    )


@lru_cache(maxsize=4096)
def firm_traits(uscc: str, seed: int) -> FirmTraits:
    """The traits of the firm ``uscc`` in the city ``seed`` (pure, deterministic)."""
    return city_traits([uscc], seed).row(0)


def families_of(traits: FirmTraits) -> tuple[Family, ...]:
    """The families the firm has at all (gas and housing fund are optional)."""
    return tuple(
        f
        for f in Family
        if (f is not Family.GAS or traits.has_gas)
        and (f is not Family.HOUSING_FUND or traits.has_housing_fund)
    )


def is_active(traits: FirmTraits, period: date) -> bool:
    """Whether the firm existed in ``period`` (no figures before its founding month)."""
    return month_start(period) >= traits.founded


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
