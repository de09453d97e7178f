"""The credit simulator: a seeded synthetic city of SMEs with known ground truth.

``simulate(n_firms, seed=...)`` builds a city of ``n_firms`` SMEs (1,000 to 1,000,000; use
:func:`simulate_chunks` for big cities), their monthly tax, utility and social-insurance
figures (from the one generator, :mod:`xinyidai.simulation.generator`, which the sandbox data
provider serves too), their public credit records, which data families each firm authorizes,
and a history of loans whose 12-month default outcome is drawn from a documented latent
process. Every loan records its **true PD**, so the Bayes-optimal AUC of any sample is known
(:func:`bayes_auc`, :func:`expected_bayes_auc`). ``Simulation.snapshot(loan)`` is the loan's
profile snapshot (format ``xinyidai.profile/1``) as of the origination date, built by the data
hub's own ``build_content`` from the same data the hub would hold, so training runs the serving
feature code without a database.

Everything is a pure function of ``(seed, firm index)`` (and of the intercept, see below): the
same seed gives the same city, loans, PDs and snapshots in any process, and firm ``i`` is the
same firm in a city of 1,000 and in a city of 1,000,000.

The city
--------
* **Firms, figures and records** are the simulated city's (:mod:`xinyidai.simulation`, the same
  city the sandbox provider serves and the demo registers): firm ``i``'s registration comes
  from :mod:`~xinyidai.simulation.registry` (a valid USCC derived bijectively from ``i``, a
  Chinese name, an industry matching its activity profile, a registered capital loosely tied to
  its size, a founding date, a legal representative), its monthly figures and traits from the
  generator (``city_traits``, ``panel``), its public records and tax, customs and
  environmental grades from :mod:`~xinyidai.simulation.records`, driven by its latent state and
  a hidden **compliance** ``c`` (standard normal, correlated 0.5 with payment discipline; high
  is honest). The simulator adds **openness** ``o`` (how willing the firm is to share data;
  ``o = 0.6·c + 0.8·N(0,1)``). A snapshot shows the records decided on or before its date that
  are neither expired (``publish_until`` < date), repaired, nor negative and older than five
  years (the purge).
* **Authorizations (missing not at random).** Family ``f`` is authorized when the firm has it
  and ``o + c_f + 0.6·z_f > 0`` (``c_f``: tax 2.0, electricity 1.0, social insurance 0.9,
  water 0.4, housing fund 0.3, gas 0.2: about 96%, 80%, 78%, 63%, 31% and 12% of all firms,
  gas and housing fund being rare to begin with).
  Less compliant firms share less, and are riskier.
* **Loans.** Every month from ``first_origination`` to ``last_origination`` each firm at least
  six months old takes a loan with probability ``λ = 0.11 · exp(drift · τ · t_i)``, where
  ``τ`` is the month's position in the origination window (0 to 1) and ``t_i`` a tilt towards
  small and young firms (``-0.6·log(trend/600,000) + 0.8·[younger than 3 years]``, clipped to
  ±2.5). With
  ``drift > 0`` later cohorts shift towards smaller, younger, riskier borrowers (PSI shows it);
  with ``drift = 0`` every cohort is drawn alike. The snapshot date is a day of that month.

The latent default process
--------------------------
For a loan originated on ``as_of`` (last complete month ``t``), from the firm's latent state up
to ``t`` (the generator's true monthly sales, payment behaviour and traits, and the records in
force)::

    logit PD = a + k · f(x),   k = EFFECT_SCALE = 0.55

    stress     = max( tanh(decline / 0.15),                 sales shrinking (saturates)
                      [arrears months ≥ 2],                 tax or social-insurance arrears
                      [dishonest],                          listed debtor / seriously dishonest
                      [drop > 0.4] )                        recent collapse (threshold)
    vulnerable = 1 - (1 - young)(1 - small)(1 - late_payer)   any of three weaknesses
    young      = exp(-age / 3)
    small      = sigmoid((-s - 0.5) / 0.3)
    late_payer = clip((late months - 1) / 4, 0, 1)

    f(x) = 5.0 · vulnerable · stress                         the interaction that matters most
         + 1.0 · stress + 0.8 · vulnerable
         + 0.5 · clip((0.9 - discipline) / 0.4, 0, 1)        payment discipline (hidden trait)
         + 0.4 · min(negative records, 3)
         + 0.6 · max(-s, 0)                                  small firms (hinge)
         - 0.15 · compliance                                 (hidden trait)

with ``decline = max(0, log(sales of months t-23…t-12 / sales of months t-11…t))`` (0 without
two years of history), ``drop = log(mean sales of months t-11…t-3 / mean of t-2…t)``, ``s =
log(mean monthly sales of the last 12 months / 600,000)``, ``age`` in years since founding,
*arrears months* the months among the last 12 with tax or social-insurance arrears, *late
months* the months among the last 12 with any late utility bill, *negative records* the
penalties and listings a profile would show that day, *dishonest* a visible dishonest-debtor or
serious-dishonesty listing. The sales process behind ``decline`` and ``drop`` is the generator's
trend, growth, AR(1) cycle, noise and own shocks; its ``distress`` (cycle below trend, shock)
drives the late bills and arrears. Every term is monotone in a known direction (more sales,
more age, more discipline never raise the PD; more arrears, late months, records and decline
never lower it) and ``f`` has thresholds, saturation and a strong interaction (a weakness
times a stress), which a per-feature scorecard cannot represent. ``a`` is solved
(``scipy.optimize.brentq``) so that the mean true PD of the simulation's loans is
``target_default_rate`` (2.75%); pass ``intercept=`` to reuse one (the chunks of a big city
share the first chunk's). ``defaulted`` is a Bernoulli draw with that PD. The per-loan inputs
are kept in ``Simulation.drivers``.

What the snapshot shows of each driver (noisy views, through several channels, and only for the
families the firm authorized): sales level, decline and drop exactly through tax
(``vat_sales``, also ``tax_paid`` and invoice counts), and noisily through electricity (base
load plus a share of sales), water, gas, insured headcount and contributions (which follow the
trend and the cycle); arrears through tax and social insurance; late months through
electricity, water and gas; discipline through late bills, arrears and the tax grade;
compliance through penalties, listings, the tax, customs and environmental grades, red lists
and how many families the firm authorized; age through the founding date; size also through
registered capital; records exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import expit

from xinyidai.dates import add_months, month_index, period_of
from xinyidai.domain.profiles.snapshots import build_content
from xinyidai.enums import NEGATIVE_TYPES, Family, RecordType
from xinyidai.simulation.exports import record_rows, write_csv
from xinyidai.simulation.generator import COUNT_COLUMNS, FAMILY_COLUMNS, Panel, panel, to_decimal
from xinyidai.simulation.purposes import PURPOSES as _P
from xinyidai.simulation.randomness import normals, uniforms
from xinyidai.simulation.records import SimRecord, compliance_of, draw_records
from xinyidai.simulation.registry import Firm, firm_usccs, registrations, stable_uuid
from xinyidai.simulation.traits import TraitArrays, city_traits

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

DEFAULT_SEED = 2026
TARGET_DEFAULT_RATE = 0.0275
EFFECT_SCALE = 0.55
WINDOW_MONTHS = 36
HISTORY_MONTHS = 48  # months simulated before the first origination (records, windows)
LOAN_RATE = 0.11  # monthly chance a firm takes a loan
MIN_AGE_MONTHS = 6
SOURCE = "sandbox"  # what the data hub records as the source of provider data

_AUTH_OFFSETS: dict[Family, float] = {
    Family.TAX: 2.0,
    Family.ELECTRICITY: 1.0,
    Family.WATER: 0.4,
    Family.GAS: 0.2,
    Family.SOCIAL_INSURANCE: 0.9,
    Family.HOUSING_FUND: 0.3,
}
_FAMILIES = tuple(Family)


# --- small public types -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Loan:
    """One historical loan: originated on ``as_of`` (the snapshot date), with its true 12-month
    PD and the drawn outcome."""

    loan_id: str
    firm_index: int
    uscc: str
    as_of: dt.date
    defaulted: bool
    true_pd: float
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Authorization:
    """Duck-types ``DataAuthorization`` for ``build_content``."""

    id: uuid.UUID
    expires_at: dt.datetime


# --- AUC ----------------------------------------------------------------------------------------
def bayes_auc(true_pd: Sequence[float] | F64, outcomes: Sequence[bool] | NDArray[Any]) -> float:
    """The AUC of the true PDs against the drawn outcomes (ties count half): the AUC the
    Bayes-optimal scorer reaches on this sample."""
    score = np.asarray(true_pd, dtype=np.float64)
    y = np.asarray(outcomes, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("need both outcomes")
    ranks = _average_ranks(score)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def expected_bayes_auc(true_pd: Sequence[float] | F64) -> float:
    """The expected AUC of the Bayes-optimal scorer over outcome draws of these loans (from the
    PDs alone, without the sampling noise of one draw)."""
    p = np.sort(np.asarray(true_pd, dtype=np.float64))
    q = 1.0 - p
    # Pairs (i default, j not) with p_i > p_j; ties by value count half; no self-pairs.
    _, starts = np.unique(p, return_index=True)
    group_p = np.add.reduceat(p, starts)
    group_q = np.add.reduceat(q, starts)
    below_q = np.cumsum(group_q) - group_q
    same = group_p * group_q - np.add.reduceat(p * q, starts)
    wins = float((group_p * below_q).sum() + 0.5 * same.sum())
    total = float(p.sum() * q.sum() - (p * q).sum())
    return wins / total


def _average_ranks(x: F64) -> F64:
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(len(x))
    boundaries = np.flatnonzero(np.diff(sorted_x)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(x)]))
    average = (starts + ends + 1) / 2.0  # 1-based average rank of each tie group
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


# --- the simulation -----------------------------------------------------------------------------
@dataclass(eq=False)
class Simulation:
    """A simulated city and its loans. Firms are ``first_firm … first_firm + n - 1``."""

    seed: int
    drift: float
    first_firm: int
    traits: TraitArrays
    panel: Panel
    compliance: F64
    openness: F64
    authorized: NDArray[np.bool_]  # firms × families (order of ``Family``)
    firms: list[Firm]
    records: list[list[SimRecord]]
    loans: list[Loan]
    intercept: float
    horizon: dt.date  # last simulated month
    drivers: dict[str, F64] = field(default_factory=dict)  # per loan, for inspection
    _rows: OrderedDict[int, dict[Family, list[dict[str, Any] | None]]] = field(
        default_factory=OrderedDict
    )

    @property
    def n_firms(self) -> int:
        return len(self.firms)

    def local(self, firm_index: int) -> int:
        i = firm_index - self.first_firm
        if not 0 <= i < len(self.firms):
            raise IndexError(f"firm {firm_index} is not in this simulation")
        return i

    @property
    def true_pd(self) -> F64:
        return np.array([loan.true_pd for loan in self.loans])

    @property
    def defaulted(self) -> NDArray[np.bool_]:
        return np.array([loan.defaulted for loan in self.loans])

    def authorized_families(self, firm_index: int) -> tuple[Family, ...]:
        row = self.authorized[self.local(firm_index)]
        return tuple(f for f, on in zip(_FAMILIES, row.tolist(), strict=True) if on)

    # -- snapshots --
    def _firm_rows(self, i: int) -> dict[Family, list[dict[str, Any] | None]]:
        """Firm ``i``'s rows of its authorized families, aligned to the panel's months."""
        cached = self._rows.get(i)
        if cached is not None:
            self._rows.move_to_end(i)
            return cached
        p = self.panel
        periods = p.periods
        active = p.active[i].tolist()
        out: dict[Family, list[dict[str, Any] | None]] = {}
        for f, on in zip(_FAMILIES, self.authorized[i].tolist(), strict=True):
            if not on:
                continue
            columns = FAMILY_COLUMNS[f]
            lists = [p.values[f][c][i].tolist() for c in columns]
            money = [c not in COUNT_COLUMNS for c in columns]
            rows: list[dict[str, Any] | None] = []
            for j, is_on in enumerate(active):
                if not is_on:
                    rows.append(None)
                    continue
                row: dict[str, Any] = {"period": periods[j], "source": SOURCE}
                for c, values, is_money in zip(columns, lists, money, strict=True):
                    row[c] = to_decimal(values[j]) if is_money else values[j]
                rows.append(row)
            out[f] = rows
        self._rows[i] = out
        if len(self._rows) > 256:
            self._rows.popitem(last=False)
        return out

    def firm_snapshot(
        self, firm_index: int, as_of: dt.date, *, authorization_key: object = None
    ) -> dict[str, Any]:
        """Firm ``firm_index``'s profile snapshot on ``as_of`` (any date up to the month after
        the horizon), as the data hub would build it from the same stored data."""
        i = self.local(firm_index)
        last = month_index(as_of) - 1  # the window's last complete month
        stop = last - int(self.panel.months[0]) + 1
        if stop > len(self.panel.months):
            raise ValueError(f"{as_of} is after the simulated horizon {self.horizon}")
        start = stop - WINDOW_MONTHS
        if start < 0:
            raise ValueError(f"{as_of} is before the simulated history")
        firm = self.firms[i]
        rows = self._firm_rows(i)
        series = {f: [r for r in rows[f][start:stop] if r is not None] for f in rows}
        key = authorization_key if authorization_key is not None else as_of.isoformat()
        granted_days = int(
            uniforms(self.traits.keys[i : i + 1], _P["auth_day"], np.array([month_index(as_of)]))[
                0, 0
            ]
            * 30
        )
        granted = dt.datetime.combine(
            as_of - dt.timedelta(days=granted_days), dt.time(10, 0), tzinfo=dt.UTC
        )
        auth = Authorization(
            id=stable_uuid("authorisation", self.seed, firm.uscc, key),
            expires_at=granted + dt.timedelta(days=360),
        )
        authorized = dict.fromkeys(rows, auth)
        records = [r for r in self.records[i] if r.visible(as_of)]
        return build_content(firm, records, series, authorized, as_of)

    def snapshot(self, loan: Loan) -> dict[str, Any]:
        """The loan's profile snapshot as of its origination date."""
        return self.firm_snapshot(loan.firm_index, loan.as_of, authorization_key=loan.loan_id)

    def iter_snapshots(self, loans: Sequence[Loan] | None = None) -> Iterator[dict[str, Any]]:
        """Snapshots of ``loans`` (default: all), in order."""
        for loan in self.loans if loans is None else loans:
            yield self.snapshot(loan)

    # -- export --
    def public_records(self, as_of: dt.date | None = None) -> Iterator[dict[str, str]]:
        """Every record decided by ``as_of`` (default: the end of the horizon) as a row of the
        public-credit import (``domain/credit_data/imports.py``); negative records past the
        five-year purge are left out, repaired ones say ``repaired``."""
        day = as_of or add_months(self.horizon, 1) - dt.timedelta(days=1)
        return record_rows(self.records, day)

    def public_records_csv(self, path: Path | str, as_of: dt.date | None = None) -> int:
        """Write :meth:`public_records` as an import CSV; returns the number of rows."""
        return write_csv(path, self.public_records(as_of))


# --- building a city ----------------------------------------------------------------------------
def _window_sum(x: NDArray[Any], rows: I64, stop: I64, length: int) -> F64:
    """Sum of ``x[row, stop - length : stop]`` for each (row, stop), columns clipped at 0."""
    cs = np.concatenate((np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)), axis=1)
    sums: F64 = cs[rows, stop] - cs[rows, np.maximum(stop - length, 0)]
    return sums


def latent_logit(drivers: dict[str, F64], effect_scale: float = EFFECT_SCALE) -> F64:
    """``k · f(x)`` of the module docstring (without the intercept), from the loan drivers."""
    decline = np.maximum(drivers["sales_decline_12"], 0.0)
    s = drivers["log_sales_12"]
    falling = np.tanh(decline / 0.15)
    stress = np.maximum.reduce(
        [
            falling,
            (drivers["arrears_months"] >= 2).astype(np.float64),
            drivers["dishonest"],
            (drivers["drop_3"] > 0.4).astype(np.float64),
        ]
    )
    young = np.exp(-drivers["age_years"] / 3)
    small = expit((-s - 0.5) / 0.3)
    late_payer = np.clip((drivers["late_months"] - 1) / 4, 0.0, 1.0)
    vulnerable = 1 - (1 - young) * (1 - small) * (1 - late_payer)
    undisciplined = np.clip((0.9 - drivers["discipline"]) / 0.4, 0.0, 1.0)
    f = (
        5.0 * vulnerable * stress
        + 1.0 * stress
        + 0.8 * vulnerable
        + 0.5 * undisciplined
        + 0.4 * np.minimum(drivers["negative_records"], 3)
        + 0.6 * np.maximum(-s, 0.0)
        - 0.15 * drivers["compliance"]
    )
    logit: F64 = effect_scale * f
    return logit


def solve_intercept(f: F64, target: float = TARGET_DEFAULT_RATE) -> float:
    """The ``a`` with mean(sigmoid(a + f)) = ``target``."""
    if len(f) == 0:
        return math.log(target / (1 - target))
    return float(brentq(lambda a: float(expit(a + f).mean()) - target, -40.0, 20.0, xtol=1e-10))


def simulate(
    n_firms: int,
    *,
    seed: int = DEFAULT_SEED,
    drift: float = 0.0,
    first_origination: dt.date = dt.date(2021, 1, 1),
    last_origination: dt.date = dt.date(2024, 6, 1),
    horizon: dt.date | None = None,
    first_firm: int = 0,
    usccs: Sequence[str] | None = None,
    intercept: float | None = None,
    target_default_rate: float = TARGET_DEFAULT_RATE,
    effect_scale: float = EFFECT_SCALE,
    loan_rate: float = LOAN_RATE,
) -> Simulation:
    """A city of ``n_firms`` firms (``first_firm`` … ``first_firm + n_firms - 1`` of the city
    ``seed``, or the given ``usccs``) with its loans originated from ``first_origination``'s
    month to ``last_origination``'s month. ``horizon`` (default: ``last_origination``) is the
    last simulated month: snapshots can be taken up to the month after it."""
    if usccs is not None:
        codes = [u.strip().upper() for u in usccs]
        n_firms = len(codes)
    else:
        codes = firm_usccs(seed, first_firm, first_firm + n_firms)
    o0, o1 = month_index(first_origination), month_index(last_origination)
    if o1 < o0:
        raise ValueError("last_origination is before first_origination")
    end = max(o1, month_index(horizon) if horizon else o1)
    start = o0 - HISTORY_MONTHS
    traits = city_traits(codes, seed)
    p = panel(traits, period_of(start), period_of(end))
    keys = traits.keys
    firms = registrations(traits, seed, first_firm)

    compliance = compliance_of(traits)
    openness = 0.6 * compliance + 0.8 * normals(keys, _P["openness"])
    authorized = np.zeros((n_firms, len(_FAMILIES)), dtype=np.bool_)
    for k, family in enumerate(_FAMILIES):
        noise = normals(keys, _P["auth_noise"] + k)
        authorized[:, k] = p.has[family] & (openness + _AUTH_OFFSETS[family] + 0.6 * noise > 0)

    records = draw_records(seed, traits, p, firms, compliance)

    # Loans: a Bernoulli per firm and origination month, tilted by ``drift``.
    j0, j1 = o0 - start, o1 - start
    columns = np.arange(j0, j1 + 1)
    window_months = p.months[columns]
    age_months = window_months[None, :] - traits.founded[:, None]
    tau = (columns - j0) / max(1, j1 - j0)
    young = (age_months < 36).astype(np.float64)
    tilt = np.clip(-0.6 * np.log(p.trend[:, columns] / 600e3) + 0.8 * young, -2.5, 2.5)
    chance = loan_rate * np.exp(drift * tau[None, :] * tilt)
    taken = (uniforms(keys, _P["loan"], window_months) < chance) & (age_months >= MIN_AGE_MONTHS)
    li, lk = np.nonzero(taken)  # row-major: by firm, then month
    lj = columns[lk]
    loan_months = p.months[lj]
    days = 1 + (uniforms(keys, _P["loan_day"], window_months)[li, lk] * 28).astype(np.int64)
    as_of = [
        period_of(int(m)).replace(day=int(d))
        for m, d in zip(loan_months.tolist(), days.tolist(), strict=True)
    ]

    # The drivers of each loan's PD, known at its date (window ends the month before).
    founded_on = [firms[i].founded_on for i in li.tolist()]
    age_years = np.array([(a - f).days / 365.25 for a, f in zip(as_of, founded_on, strict=True)])
    active = p.active
    distress = np.where(active, p.distress, 0.0)
    arrears = (
        (p.values[Family.TAX]["arrears"] > 0) | (p.values[Family.SOCIAL_INSURANCE]["arrears"] > 0)
    ) & active
    late = (
        (p.values[Family.ELECTRICITY]["days_late"] > 0)
        | (p.values[Family.WATER]["days_late"] > 0)
        | ((p.values[Family.GAS]["days_late"] > 0) & traits.has_gas[:, None])
    ) & active
    negative = np.zeros(len(li))
    dishonest = np.zeros(len(li))
    for n, (i, day) in enumerate(zip(li.tolist(), as_of, strict=True)):
        for r in records[i]:
            if r.record_type in NEGATIVE_TYPES and r.visible(day):
                negative[n] += 1
                if r.record_type in (RecordType.DISHONEST_DEBTOR, RecordType.SERIOUS_DISHONESTY):
                    dishonest[n] = 1
    shortfall = np.where(active, -p.cycle - np.log(p.shock_factor), 0.0)
    sales = np.where(active, p.sales, 0.0)
    last_sales = _window_sum(sales, li, lj, 12)
    prev_sales = _window_sum(sales, li, lj - 12, 12)
    last12 = _window_sum(active, li, lj, 12)
    prev12 = _window_sum(active, li, lj - 12, 12)
    # Realised sales against what the firm would sell without its cycle, noise and shock.
    expected = p.level / p.shock_factor
    gap = np.where(active, np.log(expected / p.sales), 0.0)
    drivers: dict[str, F64] = {
        "distress": _window_sum(distress, li, lj, 6) / 6,
        "shortfall": _window_sum(shortfall, li, lj, 6) / 6,
        "sales_gap": _window_sum(gap, li, lj, 6) / 6,
        "sales_gap_3": _window_sum(gap, li, lj, 3) / 3,
        "sales_decline_12": np.where(
            prev12 >= 12, np.log(np.maximum(prev_sales, 1.0) / np.maximum(last_sales, 1.0)), 0.0
        ),
        "log_sales_12": np.log(np.maximum(last_sales, 1.0) / np.maximum(last12, 1) / 600e3),
        "drop_3": np.log(
            (np.maximum(_window_sum(sales, li, lj - 3, 9), 1.0) / 9)
            / (np.maximum(_window_sum(sales, li, lj, 3), 1.0) / 3)
        ),
        "shock_loss": 1 - p.shock_factor[li, lj - 1],
        "age_years": age_years,
        "log_size": np.log(p.trend[li, lj - 1] / 600e3),
        "growth": traits.growth[li],
        "discipline": traits.payment_discipline[li],
        "arrears_months": _window_sum(arrears, li, lj, 12),
        "late_months": _window_sum(late, li, lj, 12),
        "negative_records": negative,
        "dishonest": dishonest,
        "compliance": compliance[li],
        "volatility": traits.volatility[li],
        "families_authorised": authorized[li].sum(axis=1).astype(np.float64),
        "cohort": tau[lk],
    }
    f = latent_logit(drivers, effect_scale)
    a = solve_intercept(f, target_default_rate) if intercept is None else intercept
    pd = expit(a + f)
    draws = uniforms(keys, _P["default"], window_months)[li, lk]
    defaulted = draws < pd
    amount_u = uniforms(keys, _P["loan_amount"], window_months)[li, lk]
    amounts = np.clip(
        np.rint(p.trend[li, lj - 1] * (0.8 + 2.2 * amount_u) / 10_000) * 10_000, 50_000, 10e6
    )
    loans = [
        Loan(
            loan_id=f"S{seed}-{first_firm + i:07d}-{m // 12:04d}{m % 12 + 1:02d}",
            firm_index=first_firm + i,
            uscc=codes[i],
            as_of=day,
            defaulted=bool(flag),
            true_pd=float(prob),
            amount=Decimal(int(amt)).quantize(Decimal("0.01")),
        )
        for i, m, day, flag, prob, amt in zip(
            li.tolist(),
            loan_months.tolist(),
            as_of,
            defaulted.tolist(),
            pd.tolist(),
            amounts.tolist(),
            strict=True,
        )
    ]
    drivers["logit"] = a + f
    drivers["draw"] = draws
    return Simulation(
        seed=seed,
        drift=drift,
        first_firm=first_firm,
        traits=traits,
        panel=p,
        compliance=compliance,
        openness=openness,
        authorized=authorized,
        firms=firms,
        records=records,
        loans=loans,
        intercept=a,
        horizon=period_of(end),
        drivers=drivers,
    )


def simulate_chunks(
    n_firms: int, *, chunk_size: int = 5_000, **options: Any
) -> Iterator[Simulation]:
    """A big city in chunks of ``chunk_size`` firms (bounded memory). The first chunk solves the
    intercept (unless ``intercept=`` is given) and the others reuse it; firm ``i`` is the same
    firm as in ``simulate``."""
    intercept = options.pop("intercept", None)
    for start in range(0, n_firms, chunk_size):
        sim = simulate(
            min(chunk_size, n_firms - start), first_firm=start, intercept=intercept, **options
        )
        intercept = sim.intercept
        yield sim
