"""The simulated city's monthly figures: one seeded, pure generator.

Every number the sandbox data provider serves (and, later, every number the credit simulator
trains on) comes from here. ``monthly_values(uscc, period, seed)`` is a pure function: no
storage, no global state, no clock. Randomness is derived from BLAKE2b digests of string keys
such as ``"<seed>|<uscc>|tax|2024-03"`` (never from Python's salted ``hash()``), so the same
inputs give the same values in any process, and each (firm, month, purpose) has its own stream:
adding a new purpose later does not shift the values of the existing ones.

The latent process
------------------
Each firm has fixed **traits** (:class:`FirmTraits`, drawn once from ``(uscc, seed)``): an
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
* The AR(1) ``cycle`` is computed as a truncated moving average of per-month innovations, so
  one month can be evaluated on its own without iterating over the firm's history.
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

Extending it (the credit simulator): add fields to :class:`FirmTraits` (draw them at the end of
:func:`firm_traits` from their own ``_rng(... , "traits", "<name>")`` stream so that existing
traits keep their values) and derive new latent quantities in :func:`latent_state` (for example
a default hazard from ``distress``). Bump ``GENERATOR_VERSION`` only when existing values are
meant to change.

Values are computed in floating point and quantised to ``Decimal('0.01')`` at the end; they
are identical across runs on the same platform (a different C math library could, in rare
cases, move a value by a cent).
"""

from __future__ import annotations

import hashlib
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from xinyidai.models.credit_data import Family

GENERATOR_VERSION = 1
"""Part of every random key: changing it changes every value."""

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

Value = Decimal | int
MonthValues = dict[Family, dict[str, Value]]

CENT = Decimal("0.01")
_STANDARD_NORMAL = statistics.NormalDist()
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


# --- months -------------------------------------------------------------------------------------
def month_start(day: date) -> date:
    """The first day of ``day``'s month (a period)."""
    return day.replace(day=1)


def add_months(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """Whole months from ``first``'s month to ``last``'s month (negative if ``last`` is earlier)."""
    return (last.year - first.year) * 12 + last.month - first.month


def months_back(end: date, n: int) -> list[date]:
    """The ``n`` periods ending with ``end``'s month, oldest first."""
    if n < 0:
        raise ValueError("n must not be negative")
    last = month_start(end)
    return [add_months(last, -k) for k in range(n - 1, -1, -1)]


def month_range(first: date, last: date) -> list[date]:
    """Every period from ``first``'s month to ``last``'s month, inclusive."""
    start = month_start(first)
    return [add_months(start, k) for k in range(months_between(start, last) + 1)]


# --- randomness ---------------------------------------------------------------------------------
def _digest(*parts: object) -> bytes:
    key = "|".join(str(p) for p in (GENERATOR_VERSION, *parts))
    return hashlib.blake2b(key.encode(), digest_size=16, person=b"xinyidai-sim").digest()


def _rng(*parts: object) -> random.Random:
    """An independent random stream for one purpose.

    Only ``random``, ``uniform`` and ``gauss`` are used: their algorithms are stable across
    Python versions (``choice``/``randrange`` have changed in the past).
    """
    return random.Random(int.from_bytes(_digest(*parts), "big"))


def _normal(*parts: object) -> float:
    """One standard normal draw for one key (cheaper than seeding a ``random.Random``)."""
    u = (int.from_bytes(_digest(*parts)[:7], "big") + 0.5) / 2**56
    return _STANDARD_NORMAL.inv_cdf(u)


def _log_uniform(r: random.Random, low: float, high: float, skew: float = 1.0) -> float:
    """Between ``low`` and ``high`` on a log scale; ``skew`` > 1 favours small values."""
    return math.exp(math.log(low) + (math.log(high) - math.log(low)) * r.random() ** skew)


def _pick(r: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    total = sum(w for _, w in weighted)
    x = r.random() * total
    for name, w in weighted:
        x -= w
        if x < 0:
            return name
    return weighted[-1][0]


def _money(x: float) -> Decimal:
    return Decimal(max(x, 0.0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _period_key(period: date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


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


@dataclass(frozen=True, slots=True)
class FirmTraits:
    """Everything fixed about one simulated firm; drawn by :func:`firm_traits`."""

    uscc: str
    seed: int
    profile: str  # a key of PROFILES
    founded: date  # first period with any activity
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


def firm_traits(uscc: str, seed: int) -> FirmTraits:
    """The traits of the firm ``uscc`` in the city ``seed`` (pure, deterministic)."""
    code = uscc.strip().upper()

    def r(name: str) -> random.Random:
        return _rng(seed, code, "traits", name)

    profile_name = _pick(r("profile"), [(name, p.weight) for name, p in PROFILES.items()])
    p = PROFILES[profile_name]

    def between(name: str, bounds: tuple[float, float], *, log: bool = True) -> float:
        rr = r(name)
        if log:
            return _log_uniform(rr, *bounds)
        return rr.uniform(*bounds)

    rf = r("founded")
    if rf.random() < 0.72:
        founded = add_months(date(2003, 1, 1), int(rf.random() * 192))  # 2003-2018
    else:
        founded = add_months(date(2019, 1, 1), int(rf.random() * 78))  # 2019-2025-06
    young = founded >= date(2019, 1, 1)

    sales_per_head = between("sales_per_head", p.sales_per_head)
    # At most ~400 employees' worth of sales: a 3-table restaurant does not sell 10M a month.
    size = min(_log_uniform(r("size"), 60e3, 12e6, skew=1.5), 400 * sales_per_head)
    headcount = max(3, min(300, round(size / sales_per_head)))

    rg = r("growth")
    growth = max(-0.25, min(0.4, rg.gauss(0.05 + (0.1 if young else 0.0), 0.1)))

    rd = r("discipline")
    tier = rd.random()
    if tier < 0.80:
        discipline = rd.uniform(0.9, 1.0)
    elif tier < 0.95:
        discipline = rd.uniform(0.6, 0.9)
    else:
        discipline = rd.uniform(0.2, 0.6)
    arrears_propensity = (1.0 - discipline) * r("arrears").uniform(0.05, 0.3)

    rs = r("shock")
    if rs.random() < 0.2:
        shock_month: date | None = add_months(date(2019, 1, 1), int(rs.random() * 90))
        shock_depth = rs.uniform(0.25, 0.7)
        shock_recovery = rs.uniform(2.0, 18.0)
        shock_permanent = rs.uniform(0.0, 0.3)
    else:
        shock_month, shock_depth, shock_recovery, shock_permanent = None, 0.0, 1.0, 0.0

    has_gas = r("has_gas").random() < p.gas_share
    # Bigger firms more often pay into the housing fund (公积金).
    size_rank = (math.log(size) - math.log(60e3)) / (math.log(12e6) - math.log(60e3))
    has_housing_fund = r("has_housing_fund").random() < 0.3 + 0.5 * size_rank

    return FirmTraits(
        uscc=code,
        seed=seed,
        profile=profile_name,
        founded=founded,
        size=size,
        growth=growth,
        season_amplitude=r("season_amplitude").uniform(0.0, 0.12),
        season_peak=1 + int(r("season_peak").random() * 12),
        cny_depth=between("cny_depth", p.cny_depth, log=False),
        macro_sensitivity=r("macro").uniform(0.5, 1.5),
        volatility=between("volatility", p.volatility),
        cycle_persistence=r("cycle_persistence").uniform(0.6, 0.9),
        cycle_sd=r("cycle_sd").uniform(0.04, 0.15),
        tax_burden=between("tax_burden", p.tax_burden),
        invoice_value=between("invoice_value", p.invoice_value),
        purchase_ratio=between("purchase_ratio", p.purchase_ratio),
        kwh_per_k=between("kwh_per_k", p.kwh_per_k),
        base_load=r("base_load").uniform(0.2, 0.5),
        cooling=r("cooling").uniform(0.05, 0.25),
        electricity_price=r("electricity_price").uniform(0.6, 1.0),
        water_per_k=between("water_per_k", p.water_per_k),
        water_price=r("water_price").uniform(3.5, 6.0),
        has_gas=has_gas,
        gas_per_k=between("gas_per_k", p.gas_per_k) if has_gas else 0.0,
        gas_price=r("gas_price").uniform(3.5, 5.0),
        headcount=headcount,
        headcount_elasticity=r("headcount_elasticity").uniform(0.4, 0.8),
        si_per_head=r("si_per_head").uniform(1000.0, 2000.0),
        base_adjustment=r("base_adjustment").uniform(0.03, 0.06),
        has_housing_fund=has_housing_fund,
        hf_coverage=r("hf_coverage").uniform(0.4, 1.0),
        hf_per_head=r("hf_per_head").uniform(300.0, 1500.0),
        payment_discipline=discipline,
        arrears_propensity=arrears_propensity,
        shock_month=shock_month,
        shock_depth=shock_depth,
        shock_recovery=shock_recovery,
        shock_permanent=shock_permanent,
    )


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


# --- latent state -------------------------------------------------------------------------------
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


def _cny_factor(period: date, depth: float) -> float:
    cny = _CNY.get(period.year, date(period.year, 2, 5))
    start, end = cny - _CNY_BEFORE, cny + _CNY_AFTER
    first = month_start(period)
    after = add_months(first, 1)
    overlap = (min(end, after) - max(start, first)).days
    if overlap <= 0:
        return 1.0
    days = (after - first).days
    return 1.0 - depth * min(1.0, 1.5 * overlap / days)


def _shock_factor(traits: FirmTraits, period: date) -> float:
    if traits.shock_month is None or period < traits.shock_month:
        return 1.0
    elapsed = months_between(traits.shock_month, period)
    lasting = traits.shock_permanent + (1 - traits.shock_permanent) * math.exp(
        -elapsed / traits.shock_recovery
    )
    return 1.0 - traits.shock_depth * lasting


def _cycle(traits: FirmTraits, period: date) -> float:
    phi = traits.cycle_persistence
    innovation_sd = traits.cycle_sd * math.sqrt(1 - phi * phi)
    total = 0.0
    for k in range(_CYCLE_LAGS):
        lagged = add_months(period, -k)
        total += phi**k * _normal(traits.seed, traits.uscc, "cycle", _period_key(lagged))
    return innovation_sd * total


def latent_state(traits: FirmTraits, period: date) -> LatentState:
    """The firm's latent state in ``period`` (defined for any month, founded or not)."""
    period = month_start(period)
    years = max(-6.0, min(6.0, months_between(REFERENCE, period) / 12))
    trend = traits.size * math.exp(traits.growth * years)
    season = 1 + traits.season_amplitude * math.cos(
        2 * math.pi * (period.month - traits.season_peak) / 12
    )
    macro = _MACRO.get((period.year, period.month), 1.0) ** traits.macro_sensitivity
    shock = _shock_factor(traits, period)
    age = months_between(traits.founded, period)
    ramp = 0.35 + 0.65 * min(1.0, max(0, age) / 12)
    level = trend * season * _cny_factor(period, traits.cny_depth) * macro * shock * ramp
    cycle = _cycle(traits, period)
    sigma = traits.volatility
    noise = sigma * _rng(traits.seed, traits.uscc, "noise", _period_key(period)).gauss(0, 1)
    sales = level * math.exp(cycle + noise - sigma * sigma / 2)
    sales = max(10e3, min(25e6, sales))
    distress = -cycle / traits.cycle_sd + 3 * (1 - shock)
    return LatentState(period, trend, level, cycle, noise, sales, shock, distress)


# --- observed families --------------------------------------------------------------------------
def _days_late(traits: FirmTraits, state: LatentState, r: random.Random) -> int:
    chance = min(0.95, (1 - traits.payment_discipline) * (0.4 + max(0.0, state.distress)))
    if r.random() >= chance:
        return 0
    return 1 + int(29 * r.random() ** 2)


def _arrears_chance(traits: FirmTraits, state: LatentState) -> float:
    return min(0.9, traits.arrears_propensity * (0.3 + 2 * max(0.0, state.distress)))


def _headcount(traits: FirmTraits, state: LatentState) -> int:
    trend_ratio = state.trend / traits.size
    drift = trend_ratio**traits.headcount_elasticity * math.exp(0.5 * state.cycle)
    if state.shock_factor < 1:
        drift *= state.shock_factor**0.5
    r = _rng(traits.seed, traits.uscc, "headcount", _period_key(state.period))
    turnover = round(r.gauss(0, 0.6))
    return max(1, round(traits.headcount * drift) + turnover)


def _tax(traits: FirmTraits, state: LatentState) -> dict[str, Value]:
    r = _rng(traits.seed, traits.uscc, Family.TAX.value, _period_key(state.period))
    sales = state.sales
    tax = sales * traits.tax_burden * math.exp(r.gauss(0, 0.15))
    if r.random() < 0.08:  # a month of heavy input-VAT credits
        tax *= 0.3
    issued = max(1, round(sales / traits.invoice_value * math.exp(r.gauss(0, 0.1))))
    received = max(0, round(issued * traits.purchase_ratio * math.exp(r.gauss(0, 0.2))))
    arrears = tax * r.uniform(0.3, 2.0) if r.random() < _arrears_chance(traits, state) else 0.0
    return {
        "vat_sales": _money(sales),
        "tax_paid": _money(tax),
        "invoices_issued": issued,
        "invoices_received": received,
        "arrears": _money(arrears),
    }


def _electricity(traits: FirmTraits, state: LatentState) -> dict[str, Value]:
    r = _rng(traits.seed, traits.uscc, Family.ELECTRICITY.value, _period_key(state.period))
    activity = traits.base_load * state.trend + (1 - traits.base_load) * state.sales
    summer = 1 + (traits.cooling if 6 <= state.period.month <= 9 else 0.0)
    kwh = activity / 1000 * traits.kwh_per_k * summer * math.exp(r.gauss(0, 0.05))
    amount = kwh * traits.electricity_price * math.exp(r.gauss(0, 0.02))  # peak/valley mix
    return {"kwh": _money(kwh), "amount": _money(amount), "days_late": _days_late(traits, state, r)}


def _water(traits: FirmTraits, state: LatentState, heads: int) -> dict[str, Value]:
    r = _rng(traits.seed, traits.uscc, Family.WATER.value, _period_key(state.period))
    m3 = (1.5 * heads + state.sales / 1000 * traits.water_per_k) * math.exp(r.gauss(0, 0.08))
    return {
        "cubic_metres": _money(m3),
        "amount": _money(m3 * traits.water_price),
        "days_late": _days_late(traits, state, r),
    }


def _gas(traits: FirmTraits, state: LatentState) -> dict[str, Value]:
    r = _rng(traits.seed, traits.uscc, Family.GAS.value, _period_key(state.period))
    winter = 1.1 if state.period.month in (12, 1, 2) else 1.0
    m3 = state.sales / 1000 * traits.gas_per_k * winter * math.exp(r.gauss(0, 0.08))
    return {
        "cubic_metres": _money(m3),
        "amount": _money(m3 * traits.gas_price),
        "days_late": _days_late(traits, state, r),
    }


def _base_factor(traits: FirmTraits, period: date) -> float:
    """Contribution bases are adjusted every July."""
    adjustments = period.year - REFERENCE.year + (1 if period.month >= 7 else 0)
    return (1 + traits.base_adjustment) ** adjustments


def _social_insurance(traits: FirmTraits, state: LatentState, heads: int) -> dict[str, Value]:
    r = _rng(traits.seed, traits.uscc, Family.SOCIAL_INSURANCE.value, _period_key(state.period))
    per_head = traits.si_per_head * _base_factor(traits, state.period)
    contributions = heads * per_head * math.exp(r.gauss(0, 0.02))
    owed = r.random() < _arrears_chance(traits, state)
    arrears = contributions * r.uniform(0.2, 1.5) if owed else 0.0
    return {
        "insured_headcount": heads,
        "contributions": _money(contributions),
        "arrears": _money(arrears),
    }


def _housing_fund(traits: FirmTraits, state: LatentState, heads: int) -> dict[str, Value]:
    r = _rng(traits.seed, traits.uscc, Family.HOUSING_FUND.value, _period_key(state.period))
    covered = max(1, round(heads * traits.hf_coverage))
    per_head = traits.hf_per_head * _base_factor(traits, state.period)
    return {
        "headcount": covered,
        "contributions": _money(covered * per_head * math.exp(r.gauss(0, 0.02))),
    }


def values_for(traits: FirmTraits, period: date) -> MonthValues:
    """The month's figures of every family the firm has; empty before its founding."""
    period = month_start(period)
    if not is_active(traits, period):
        return {}
    state = latent_state(traits, period)
    heads = _headcount(traits, state)
    makers: dict[Family, Callable[[], dict[str, Value]]] = {
        Family.TAX: lambda: _tax(traits, state),
        Family.ELECTRICITY: lambda: _electricity(traits, state),
        Family.WATER: lambda: _water(traits, state, heads),
        Family.GAS: lambda: _gas(traits, state),
        Family.SOCIAL_INSURANCE: lambda: _social_insurance(traits, state, heads),
        Family.HOUSING_FUND: lambda: _housing_fund(traits, state, heads),
    }
    return {family: makers[family]() for family in families_of(traits)}


def monthly_values(uscc: str, period: date, seed: int) -> MonthValues:
    """The figures of firm ``uscc`` for ``period`` in the city ``seed``.

    Only the families the firm has; an empty dict for months before the firm was founded.
    Money and volumes are ``Decimal`` with two places, counts and days are ``int``.
    """
    return values_for(firm_traits(uscc, seed), period)


def family_series(
    uscc: str, family: Family, first: date, last: date, seed: int
) -> list[tuple[date, dict[str, Value]]]:
    """``(period, values)`` of one family from ``first`` to ``last``, founded months only."""
    traits = firm_traits(uscc, seed)
    if family not in families_of(traits):
        return []
    out = []
    for period in month_range(first, last):
        values = values_for(traits, period)
        if family in values:
            out.append((period, values[family]))
    return out
