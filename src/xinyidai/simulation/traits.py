"""A firm's fixed traits: activity profile, size, growth, seasonality, volatility, utility
intensities, headcount, payment discipline, founding month and shock (see the generator's
module docstring for the process they drive)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from xinyidai.dates import (
    month_index,
    month_start,
    period_of,
)
from xinyidai.enums import Family
from xinyidai.simulation.purposes import GENERATOR_PURPOSES as _PURPOSES
from xinyidai.simulation.randomness import F64, I64, U64, firm_keys, normals, uniforms

Bool = NDArray[np.bool_]


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
