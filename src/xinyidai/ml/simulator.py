"""The credit simulator: a seeded synthetic city of SMEs with known ground truth.

``simulate(n_firms, seed=...)`` builds a city of ``n_firms`` SMEs (1,000 to 1,000,000; use
:func:`simulate_chunks` for big cities), their monthly tax, utility and social-insurance
figures (from the one generator, :mod:`xinyidai.simulation.generator`, which the sandbox data
provider serves too), their public credit records, which data families each firm authorises,
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
* **Firms.** Firm ``i`` has a valid USCC (district of Guangzhou, organisation code derived
  bijectively from ``i``), a Chinese name, an industry (GB/T 4754 section and division matching
  its activity profile), a registered capital loosely tied to its size and a founding date. Its
  monthly figures and traits come from the generator (``city_traits``, ``panel``); the
  simulator adds two hidden traits: **compliance** ``c`` (standard normal, correlated 0.5 with
  payment discipline; high is honest) and **openness** ``o`` (how willing it is to share data;
  ``o = 0.6·c + 0.8·N(0,1)``).
* **Authorisations (missing not at random).** Family ``f`` is authorised when the firm has it
  and ``o + c_f + 0.6·z_f > 0`` (``c_f``: tax 2.0, electricity 1.0, social insurance 0.9,
  water 0.4, housing fund 0.3, gas 0.2: about 96%, 80%, 78%, 63%, 31% and 12% of all firms,
  gas and housing fund being rare to begin with).
  Less compliant firms share less, and are riskier.
* **Public records** are drawn month by month with hazards that depend on the latent state:
  penalties (行政处罚; more for low compliance, distress, some industries; minor/general/
  serious published 3/12/36 months), the abnormal-operation list (经营异常; distress, low
  compliance; often repaired after some months), dishonest judgment debtors (失信被执行人;
  distress, poor discipline; 36 months, sometimes repaired), the serious-dishonesty list
  (rare), red lists (high compliance, size; 24 months), credit commitments and licences
  (neutral). Each April the tax bureau grades the previous year (A/B/M/C/D, published 12
  months; M for firms in their first year; otherwise by compliance, discipline, the year's
  arrears months and penalties; the mix is about A 5%, B 60%, M 20%, C 8%, D 7%); exporters get
  a customs grade every three years, polluters an environmental grade every June. A snapshot
  shows the records decided on or before its date that are neither expired
  (``publish_until`` < date), repaired, nor negative and older than five years (the purge).
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
families the firm authorised): sales level, decline and drop exactly through tax
(``vat_sales``, also ``tax_paid`` and invoice counts), and noisily through electricity (base
load plus a share of sales), water, gas, insured headcount and contributions (which follow the
trend and the cycle); arrears through tax and social insurance; late months through
electricity, water and gas; discipline through late bills, arrears and the tax grade;
compliance through penalties, listings, the tax, customs and environmental grades, red lists
and how many families the firm authorised; age through the founding date; size also through
registered capital; records exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
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
from scipy.special import expit, ndtri

from xinyidai.dates import add_months, month_index, period_of
from xinyidai.domain.credit_data.imports import FIELDS as IMPORT_COLUMNS
from xinyidai.domain.demo.city import DISTRICTS, PREFIXES
from xinyidai.domain.enterprises.codes import USCC_ALPHABET, section_of_division, uscc_check_char
from xinyidai.domain.profiles.snapshots import build_content
from xinyidai.enums import NEGATIVE_TYPES, Family, RecordStatus, RecordType
from xinyidai.simulation.generator import (
    COUNT_COLUMNS,
    FAMILY_COLUMNS,
    PROFILE_NAMES,
    Panel,
    TraitArrays,
    city_traits,
    normals,
    panel,
    to_decimal,
    uniforms,
)

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
RETENTION_YEARS = 5

# Purpose ids of the simulator's own draws (the generator's are below 1000).
_P = {
    "compliance": 1000,
    "openness": 1001,
    "exporter": 1002,
    "polluter": 1003,
    "capital": 1004,
    "name": 1005,
    "district": 1006,
    "division": 1007,
    "customs_phase": 1008,
    "auth_noise": 1010,  # + family position (6)
    "loan": 1020,
    "loan_day": 1021,
    "loan_amount": 1022,
    "default": 1023,
    "auth_day": 1024,
    "penalty": 1100,
    "penalty_severity": 1101,
    "penalty_kind": 1102,
    "abnormal": 1110,
    "abnormal_repair": 1111,
    "abnormal_reason": 1112,
    "debtor": 1120,
    "debtor_repair": 1121,
    "serious": 1130,
    "red": 1140,
    "red_kind": 1141,
    "commitment": 1150,
    "licence": 1160,
    "licence_kind": 1161,
    "tax_grade": 1170,
    "customs_grade": 1180,
    "environmental_grade": 1190,
    "record_day": 1199,
}

_AUTH_OFFSETS: dict[Family, float] = {
    Family.TAX: 2.0,
    Family.ELECTRICITY: 1.0,
    Family.WATER: 0.4,
    Family.GAS: 0.2,
    Family.SOCIAL_INSURANCE: 0.9,
    Family.HOUSING_FUND: 0.3,
}
_FAMILIES = tuple(Family)

# Industries by activity profile: (division, name word).
_DIVISIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "manufacturing": (
        ("13", "食品"), ("17", "纺织"), ("18", "服装"), ("19", "皮具"), ("21", "家具"),
        ("22", "纸品"), ("26", "化工"), ("29", "塑料制品"), ("33", "五金制品"),
        ("34", "精密机械"), ("35", "智能装备"), ("38", "电器"), ("39", "电子"),
        ("40", "仪器仪表"),
    ),
    "trade": (("51", "贸易"), ("51", "供应链"), ("52", "商贸"), ("52", "百货")),
    "services": (
        ("54", "物流"), ("59", "仓储"), ("64", "网络科技"), ("65", "软件"), ("65", "信息科技"),
        ("72", "企业管理"), ("73", "检测技术"), ("75", "科技发展"), ("80", "家政服务"),
        ("87", "文化传播"),
    ),
    "catering": (("62", "餐饮管理"), ("61", "酒店管理"), ("62", "饮食")),
    "construction": (("47", "建筑工程"), ("48", "市政工程"), ("50", "装饰工程")),
}  # fmt: skip
# The demo city's districts and name prefixes: one list of each in the project.
_DISTRICTS = tuple(DISTRICTS.items())
_PREFIXES = PREFIXES
_CAPITALS = np.array([10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000]) * 10_000

# Record texts: (authority, document prefix, description).
_PENALTY_KINDS = (
    ("广州市{d}区市场监督管理局", "穗{s}市监处罚", "违反《中华人民共和国广告法》第二十八条，罚款"),
    ("国家税务总局广州市{d}区税务局", "穗{s}税罚", "违反《税收征收管理法》第六十二条，罚款"),
    ("广州市生态环境局", "穗环罚", "违反《中华人民共和国大气污染防治法》第一百零八条，罚款"),
    ("广州市{d}区应急管理局", "穗{s}应急罚", "违反《中华人民共和国安全生产法》第九十九条，罚款"),
    ("广州市人力资源和社会保障局", "穗人社监罚", "违反《劳动保障监察条例》第二十六条，罚款"),
    ("广州市消防救援支队", "穗消行罚决字", "违反《中华人民共和国消防法》第六十条，罚款"),
)  # fmt: skip
_ABNORMAL_REASONS = (
    "未按照规定期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
)
_RED_KINDS = (
    ("广东省守合同重信用企业", "广东省市场监督管理局"),
    ("广州市诚信示范企业", "广州市发展和改革委员会"),
    ("广州市劳动关系和谐企业", "广州市人力资源和社会保障局"),
)
_LICENCE_KINDS = (
    ("食品经营许可", "穗市监食许"),
    ("排污许可", "穗环许"),
    ("道路运输经营许可", "穗交运许"),
    ("公共场所卫生许可", "穗卫公许"),
)
_PUBLISH_MONTHS = {"minor": 3, "general": 12, "serious": 36}
_TAX_GRADES = ("A", "B", "M", "C", "D")
# Thresholds of the tax-grade score (calibrated on a large city for the target mix).
_TAX_CUTS = (1.21, -0.51, -1.16, -2.03)  # A above, B above, M above, C above, else D
_CUSTOMS_CUTS = (float(ndtri(0.88)), float(ndtri(0.04)))  # AA above, C below
_ENV_GRADES = ("black", "red", "yellow", "blue", "green")
_ENV_CUTS = tuple(float(ndtri(q)) for q in (0.02, 0.10, 0.25, 0.80))
_ENV_WORDS = {
    "green": "环保诚信（绿牌）",
    "blue": "环保良好（蓝牌）",
    "yellow": "环保警示（黄牌）",
    "red": "环保不良（红牌）",
    "black": "环保严重失信（黑牌）",
}


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
class Firm:
    """A firm's registration data (what the public registry holds), duck-typing the
    ``Enterprise`` row ``build_content`` reads."""

    index: int
    id: uuid.UUID
    uscc: str
    name: str
    founded_on: dt.date
    registered_capital: Decimal
    industry_section: str
    industry_division: str
    district_code: str
    status: str = "active"


@dataclass(frozen=True, slots=True)
class SimRecord:
    """A public credit record, duck-typing ``PublicRecord`` (plus when it was repaired)."""

    id: uuid.UUID
    uscc: str
    subject_name: str
    record_type: RecordType
    severity: str | None
    grade: str | None
    document_no: str
    decision_date: dt.date
    publish_until: dt.date | None
    authority: str
    description: str
    repaired_on: dt.date | None = None
    status: RecordStatus = RecordStatus.ACTIVE

    def visible(self, as_of: dt.date) -> bool:
        """Shown in a profile on ``as_of``: decided, not expired, repaired or purged."""
        if self.decision_date > as_of:
            return False
        if self.publish_until is not None and self.publish_until < as_of:
            return False
        if self.repaired_on is not None and self.repaired_on <= as_of:
            return False
        return not (
            self.record_type in NEGATIVE_TYPES
            and self.decision_date < _years_before(as_of, RETENTION_YEARS)
        )


@dataclass(frozen=True, slots=True)
class Authorisation:
    """Duck-types ``DataAuthorization`` for ``build_content``."""

    id: uuid.UUID
    expires_at: dt.datetime


def _years_before(day: dt.date, years: int) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - years, 2, 28)
    return day.replace(year=day.year - years)


def _add_months_day(day: dt.date, months: int) -> dt.date:
    first = add_months(day.replace(day=1), months)
    for last in (31, 30, 29, 28):
        if day.day <= last:
            try:
                return first.replace(day=min(day.day, last))
            except ValueError:
                continue
    return first.replace(day=28)


def _uuid(*parts: object) -> uuid.UUID:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


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


# --- firms --------------------------------------------------------------------------------------
def _org_code(n: int) -> str:
    """A 9-character organisation code (GB 11714) whose body encodes ``n`` bijectively."""
    body = ""
    for _ in range(8):
        n, digit = divmod(n, 31)
        body += USCC_ALPHABET[digit]
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def firm_usccs(seed: int, start: int, stop: int) -> list[str]:
    """The USCCs of firms ``start`` … ``stop - 1`` of the city ``seed`` (distinct)."""
    space = 31**8
    offset = int.from_bytes(hashlib.blake2b(f"uscc|{seed}".encode(), digest_size=8).digest())
    out = []
    for i in range(start, stop):
        h = int.from_bytes(hashlib.blake2b(f"{seed}|{i}".encode(), digest_size=2).digest())
        district = _DISTRICTS[h % len(_DISTRICTS)][0]
        code = _org_code((i * 1_000_003 + offset) % space)  # 1,000,003 is prime, not 31
        first17 = "91" + district + code
        out.append(first17 + uscc_check_char(first17))
    return out


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
    authorised: NDArray[np.bool_]  # firms × families (order of ``Family``)
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

    def authorised_families(self, firm_index: int) -> tuple[Family, ...]:
        row = self.authorised[self.local(firm_index)]
        return tuple(f for f, on in zip(_FAMILIES, row.tolist(), strict=True) if on)

    # -- snapshots --
    def _firm_rows(self, i: int) -> dict[Family, list[dict[str, Any] | None]]:
        """Firm ``i``'s rows of its authorised families, aligned to the panel's months."""
        cached = self._rows.get(i)
        if cached is not None:
            self._rows.move_to_end(i)
            return cached
        p = self.panel
        periods = p.periods
        active = p.active[i].tolist()
        out: dict[Family, list[dict[str, Any] | None]] = {}
        for f, on in zip(_FAMILIES, self.authorised[i].tolist(), strict=True):
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
        self, firm_index: int, as_of: dt.date, *, authorisation_key: object = None
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
        key = authorisation_key if authorisation_key is not None else as_of.isoformat()
        granted_days = int(
            uniforms(self.traits.keys[i : i + 1], _P["auth_day"], np.array([month_index(as_of)]))[
                0, 0
            ]
            * 30
        )
        granted = dt.datetime.combine(
            as_of - dt.timedelta(days=granted_days), dt.time(10, 0), tzinfo=dt.UTC
        )
        auth = Authorisation(
            id=_uuid("authorisation", self.seed, firm.uscc, key),
            expires_at=granted + dt.timedelta(days=360),
        )
        authorised = dict.fromkeys(rows, auth)
        records = [r for r in self.records[i] if r.visible(as_of)]
        return build_content(firm, records, series, authorised, as_of)

    def snapshot(self, loan: Loan) -> dict[str, Any]:
        """The loan's profile snapshot as of its origination date."""
        return self.firm_snapshot(loan.firm_index, loan.as_of, authorisation_key=loan.loan_id)

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
        for firm_records in self.records:
            for r in firm_records:
                if r.decision_date > day:
                    continue
                if r.record_type in NEGATIVE_TYPES and r.decision_date < _years_before(
                    day, RETENTION_YEARS
                ):
                    continue
                repaired = r.repaired_on is not None and r.repaired_on <= day
                yield {
                    "uscc": r.uscc,
                    "name": r.subject_name,
                    "record_type": r.record_type.value,
                    "document_no": r.document_no,
                    "decision_date": r.decision_date.isoformat(),
                    "authority": r.authority,
                    "severity": r.severity or "",
                    "description": r.description,
                    "publish_until": r.publish_until.isoformat() if r.publish_until else "",
                    "grade": r.grade or "",
                    "status": "repaired" if repaired else "active",
                }

    def public_records_csv(self, path: Path | str, as_of: dt.date | None = None) -> int:
        """Write :meth:`public_records` as an import CSV; returns the number of rows."""
        columns = list(IMPORT_COLUMNS)
        count = 0
        with Path(path).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in self.public_records(as_of):
                writer.writerow([row[c] for c in columns])
                count += 1
        return count


# --- building a city ----------------------------------------------------------------------------
_DISCIPLINE_MEAN, _DISCIPLINE_SD = 0.8925, 0.1424  # of the generator's tiered discipline
_INDUSTRY_PENALTIES = {
    "manufacturing": 1.3,
    "trade": 0.8,
    "services": 0.7,
    "catering": 1.6,
    "construction": 1.4,
}
_EXPORTER_SHARE = {
    "manufacturing": 0.3,
    "trade": 0.3,
    "services": 0.03,
    "catering": 0.0,
    "construction": 0.0,
}
_POLLUTER_SHARE = {
    "manufacturing": 0.4,
    "trade": 0.0,
    "services": 0.0,
    "catering": 0.3,
    "construction": 0.2,
}


def _by_profile(traits: TraitArrays, table: dict[str, float]) -> F64:
    return np.array([table[name] for name in PROFILE_NAMES])[traits.profile]


def _registrations(traits: TraitArrays, seed: int, first_firm: int) -> list[Firm]:
    keys = traits.keys
    u_name = uniforms(keys, _P["name"])
    u_division = uniforms(keys, _P["division"])
    z_capital = normals(keys, _P["capital"])
    capital = traits.size * np.exp(0.2 + 0.8 * z_capital)
    ladder = np.log(_CAPITALS)
    capital_step = np.abs(np.log(capital)[:, None] - ladder[None, :]).argmin(axis=1)
    firms = []
    for i, uscc in enumerate(traits.usccs):
        profile = PROFILE_NAMES[int(traits.profile[i])]
        options = _DIVISIONS[profile]
        division, word = options[int(u_division[i] * len(options))]
        code = int(u_name[i] * len(_PREFIXES) ** 2)
        name = f"广州{_PREFIXES[code // len(_PREFIXES)]}{_PREFIXES[code % len(_PREFIXES)]}"
        founded = period_of(int(traits.founded[i])).replace(day=int(traits.founded_day[i]))
        firms.append(
            Firm(
                index=first_firm + i,
                id=_uuid("enterprise", seed, uscc),
                uscc=uscc,
                name=f"{name}{word}有限公司",
                founded_on=founded,
                registered_capital=Decimal(int(_CAPITALS[capital_step[i]])).quantize(
                    Decimal("0.01")
                ),
                industry_section=section_of_division(division),
                industry_division=division,
                district_code=uscc[2:8],
            )
        )
    return firms


@dataclass(frozen=True, slots=True)
class _Event:
    firm: int
    month: int  # month index
    day: int


def _events(hazard: F64, keys: Any, purpose: int, months: I64) -> tuple[I64, I64]:
    """(firm, panel column) of the months where an event with this hazard happened."""
    happened = uniforms(keys, purpose, months) < hazard
    firms, columns = np.nonzero(happened)
    return firms.astype(np.int64), columns.astype(np.int64)


def _records(
    sim_seed: int,
    traits: TraitArrays,
    p: Panel,
    firms: list[Firm],
    compliance: F64,
) -> list[list[SimRecord]]:
    """Every public record of every firm over the panel's months (see the module docstring)."""
    keys = traits.keys
    months = p.months
    n = len(traits)
    active = p.active
    stress = np.maximum(p.distress, 0.0)
    c = compliance[:, None]
    discipline = traits.payment_discipline[:, None]
    size_rank = np.clip(
        (np.log(traits.size) - math.log(60e3)) / (math.log(12e6) - math.log(60e3)), 0, 1
    )[:, None]
    out: list[list[SimRecord]] = [[] for _ in range(n)]
    day_u = uniforms(keys, _P["record_day"], months)

    def day_of(i: int, j: int) -> dt.date:
        period = period_of(int(months[j]))
        return period.replace(day=1 + int(day_u[i, j] * 28))

    def district(i: int) -> str:
        code = firms[i].district_code
        return next(name for c_, name in _DISTRICTS if c_ == code)

    def add(i: int, **kw: Any) -> None:
        doc = kw["document_no"]
        out[i].append(
            SimRecord(
                id=_uuid("record", sim_seed, doc),
                uscc=firms[i].uscc,
                subject_name=firms[i].name,
                **kw,
            )
        )

    def seq(i: int, j: int) -> str:
        return f"{firms[i].index}{int(months[j]) % 1000:03d}"

    # Administrative penalties (行政处罚).
    industry = _by_profile(traits, _INDUSTRY_PENALTIES)[:, None]
    hazard = 0.005 * np.exp(-0.7 * c + 0.25 * stress) * industry * (0.5 + size_rank)
    fi, fj = _events(np.where(active, hazard, 0.0), keys, _P["penalty"], months)
    sev_u = uniforms(keys, _P["penalty_severity"], months)
    kind_u = uniforms(keys, _P["penalty_kind"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        s = sev_u[i, j] * math.exp(0.4 * float(compliance[i]))
        severity = "serious" if s < 0.10 else "general" if s < 0.55 else "minor"
        authority, prefix, text = _PENALTY_KINDS[int(kind_u[i, j] * len(_PENALTY_KINDS))]
        d = district(i)
        add(
            i,
            record_type=RecordType.ADMIN_PENALTY,
            severity=severity,
            grade=None,
            document_no=f"{prefix.format(s=d[0])}〔{decided.year}〕{seq(i, j)}号",
            decision_date=decided,
            publish_until=_add_months_day(decided, _PUBLISH_MONTHS[severity]),
            authority=authority.format(d=d),
            description=text,
        )
    # The abnormal-operation list (经营异常名录): often left again after some months.
    hazard = 0.0012 * np.exp(-0.8 * c + 0.5 * stress)
    fi, fj = _events(np.where(active, hazard, 0.0), keys, _P["abnormal"], months)
    repair_u = uniforms(keys, _P["abnormal_repair"], months)
    reason_u = uniforms(keys, _P["abnormal_reason"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        r = repair_u[i, j]
        repaired = _add_months_day(decided, 2 + int(r / 0.6 * 12)) if r < 0.6 else None
        d = district(i)
        add(
            i,
            record_type=RecordType.ABNORMAL_OPERATION,
            severity="general",
            grade=None,
            document_no=f"穗{d[0]}市监异列〔{decided.year}〕{seq(i, j)}号",
            decision_date=decided,
            publish_until=None,
            authority=f"广州市{d}区市场监督管理局",
            description="列入经营异常名录，原因："
            + _ABNORMAL_REASONS[int(reason_u[i, j] * len(_ABNORMAL_REASONS))],
            repaired_on=repaired,
        )
    # Dishonest judgment debtors (失信被执行人): distress and poor payment discipline.
    hazard = 0.0003 * np.exp(-0.5 * c + 0.7 * stress + 3.0 * (1 - discipline))
    fi, fj = _events(np.where(active, hazard, 0.0), keys, _P["debtor"], months)
    repair_u = uniforms(keys, _P["debtor_repair"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        r = repair_u[i, j]
        repaired = _add_months_day(decided, 3 + int(r / 0.3 * 15)) if r < 0.3 else None
        d = district(i)
        add(
            i,
            record_type=RecordType.DISHONEST_DEBTOR,
            severity="serious" if r > 0.7 else "general",
            grade=None,
            document_no=f"（{decided.year}）粤01{3 + int(r * 15):02d}执{seq(i, j)}号",
            decision_date=decided,
            publish_until=_add_months_day(decided, 36),
            authority=f"广州市{d}区人民法院",
            description="有履行能力而拒不履行生效法律文书确定义务",
            repaired_on=repaired,
        )
    # The serious-dishonesty list (严重失信主体名单): rare.
    hazard = 0.00005 * np.exp(-1.0 * c + 0.5 * stress)
    fi, fj = _events(np.where(active, hazard, 0.0), keys, _P["serious"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        add(
            i,
            record_type=RecordType.SERIOUS_DISHONESTY,
            severity="serious",
            grade=None,
            document_no=f"穗严失〔{decided.year}〕{seq(i, j)}号",
            decision_date=decided,
            publish_until=_add_months_day(decided, 36),
            authority="广州市市场监督管理局",
            description="列入严重失信主体名单：严重违法失信企业",
        )
    # Red lists (红名单): compliant, bigger firms.
    hazard = 0.0012 * np.exp(0.9 * c + 0.8 * size_rank)
    fi, fj = _events(np.where(active, hazard, 0.0), keys, _P["red"], months)
    kind_u = uniforms(keys, _P["red_kind"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        honour, authority = _RED_KINDS[int(kind_u[i, j] * len(_RED_KINDS))]
        add(
            i,
            record_type=RecordType.RED_LIST,
            severity=None,
            grade=None,
            document_no=f"穗红〔{decided.year}〕{seq(i, j)}号",
            decision_date=decided,
            publish_until=_add_months_day(decided, 24),
            authority=authority,
            description=f"获评{honour}",
        )
    # Credit commitments (信用承诺) and licences (行政许可): neutral.
    fi, fj = _events(np.where(active, 0.004, 0.0), keys, _P["commitment"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        add(
            i,
            record_type=RecordType.CREDIT_COMMITMENT,
            severity=None,
            grade=None,
            document_no=f"穗承诺〔{decided.year}〕{seq(i, j)}号",
            decision_date=decided,
            publish_until=None,
            authority=f"广州市{district(i)}区政务服务数据管理局",
            description="证明事项告知承诺，承诺内容真实并按期履行",
        )
    fi, fj = _events(np.where(active, 0.006 * industry, 0.0), keys, _P["licence"], months)
    kind_u = uniforms(keys, _P["licence_kind"], months)
    for i, j in zip(fi.tolist(), fj.tolist(), strict=True):
        decided = day_of(i, j)
        kind, prefix = _LICENCE_KINDS[int(kind_u[i, j] * len(_LICENCE_KINDS))]
        add(
            i,
            record_type=RecordType.ADMIN_LICENCE,
            severity=None,
            grade=None,
            document_no=f"{prefix}〔{decided.year}〕{seq(i, j)}号",
            decision_date=decided,
            publish_until=None,
            authority=f"广州市{district(i)}区行政审批局",
            description=f"准予{kind}，许可有效期五年",
        )
    _grades(sim_seed, traits, p, firms, compliance, out, add, seq, day_of)
    for firm_records in out:
        firm_records.sort(key=lambda r: (r.decision_date, r.document_no))
    return out


def _grades(
    sim_seed: int,
    traits: TraitArrays,
    p: Panel,
    firms: list[Firm],
    compliance: F64,
    out: list[list[SimRecord]],
    add: Any,
    seq: Any,
    day_of: Any,
) -> None:
    """Tax grades every April, customs grades every three years, environmental every June."""
    keys = traits.keys
    months = p.months
    m0 = int(months[0])
    discipline_z = (traits.payment_discipline - _DISCIPLINE_MEAN) / _DISCIPLINE_SD
    arrears = (
        (p.values[Family.TAX]["arrears"] > 0) | (p.values[Family.SOCIAL_INSURANCE]["arrears"] > 0)
    ) & p.active
    stress = np.where(p.active, np.maximum(p.distress, 0.0), 0.0)
    grade_z = normals(keys, _P["tax_grade"], months)
    grade_day = 1 + (uniforms(keys, _P["tax_grade"] + 1) * 28).astype(np.int64)
    penalties = np.zeros((len(traits), len(months)), dtype=np.int64)
    for i, firm_records in enumerate(out):
        for r in firm_records:
            if r.record_type is RecordType.ADMIN_PENALTY:
                penalties[i, month_index(r.decision_date) - m0] += 1
    for j, m in enumerate(months.tolist()):
        if m % 12 != 3 or j < 15:  # April, with a whole assessed year in the panel
            continue
        year = m // 12
        assessed = slice(j - 15, j - 3)  # January … December of the year before
        first_of_year = m - 3 - 12
        months_arrears = arrears[:, assessed].sum(axis=1)
        months_penalised = penalties[:, assessed].sum(axis=1)
        mean_stress = stress[:, assessed].mean(axis=1)
        score = (
            0.55 * compliance
            + 0.45 * discipline_z
            - 0.35 * np.minimum(months_arrears, 4)
            - 0.5 * np.minimum(months_penalised, 2)
            - 0.15 * mean_stress
            + 0.45 * grade_z[:, j]
        )
        grade_index = np.select(
            [
                score > _TAX_CUTS[0],
                score > _TAX_CUTS[1],
                score > _TAX_CUTS[2],
                score > _TAX_CUTS[3],
            ],
            [0, 1, 2, 3],
            default=4,
        )
        founded = traits.founded
        new = (founded >= first_of_year) & (founded < first_of_year + 12)
        grade_index = np.where(new, 2, grade_index)
        graded = founded < first_of_year + 12
        for i in np.flatnonzero(graded).tolist():
            grade = _TAX_GRADES[int(grade_index[i])]
            decided = dt.date(year, 4, int(grade_day[i]))
            add(
                i,
                record_type=RecordType.TAX_GRADE,
                severity=None,
                grade=grade,
                document_no=f"穗税信评〔{year}〕{seq(i, j)}号",
                decision_date=decided,
                publish_until=_add_months_day(decided, 12),
                authority="国家税务总局广州市税务局",
                description=f"{year - 1}年度纳税信用等级评定为{grade}级",
            )
    # Customs (exporters, every three years) and environment (polluters, every June).
    exporter = uniforms(keys, _P["exporter"]) < _by_profile(traits, _EXPORTER_SHARE)
    phase = (uniforms(keys, _P["customs_phase"]) * 36).astype(np.int64)
    polluter = uniforms(keys, _P["polluter"]) < _by_profile(traits, _POLLUTER_SHARE)
    customs_z = normals(keys, _P["customs_grade"], months)
    env_z = normals(keys, _P["environmental_grade"], months)
    for j, m in enumerate(months.tolist()):
        due = exporter & ((m - phase) % 36 == 0) & (m - traits.founded >= 12)
        for i in np.flatnonzero(due).tolist():
            q = 0.8 * compliance[i] + 0.6 * customs_z[i, j]
            grade = "AA" if q > _CUSTOMS_CUTS[0] else "C" if q < _CUSTOMS_CUTS[1] else "B"
            decided = day_of(i, j)
            add(
                i,
                record_type=RecordType.CUSTOMS_GRADE,
                severity=None,
                grade=grade,
                document_no=f"关信〔{decided.year}〕{seq(i, j)}号",
                decision_date=decided,
                publish_until=None,
                authority="广州海关",
                description=f"海关企业信用等级认定为{grade}",
            )
        if m % 12 != 5:
            continue
        due = polluter & (m - traits.founded >= 12)
        for i in np.flatnonzero(due).tolist():
            q = 0.7 * compliance[i] + 0.3 * discipline_z[i] + 0.65 * env_z[i, j]
            grade = _ENV_GRADES[int(np.searchsorted(_ENV_CUTS, q))]
            decided = day_of(i, j)
            add(
                i,
                record_type=RecordType.ENVIRONMENTAL_GRADE,
                severity=None,
                grade=grade,
                document_no=f"穗环信〔{decided.year}〕{seq(i, j)}号",
                decision_date=decided,
                publish_until=_add_months_day(decided, 12),
                authority="广州市生态环境局",
                description=f"{m // 12 - 1}年度企业环境信用评价结果：{_ENV_WORDS[grade]}",
            )
    del sim_seed, firms


def _window_sum(x: NDArray[Any], rows: I64, stop: I64, length: int) -> F64:
    """Sum of ``x[row, stop - length : stop]`` for each (row, stop), columns clipped at 0."""
    cs = np.concatenate((np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)), axis=1)
    return cs[rows, stop] - cs[rows, np.maximum(stop - length, 0)]


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
    return effect_scale * f


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
    firms = _registrations(traits, seed, first_firm)

    discipline_z = (traits.payment_discipline - _DISCIPLINE_MEAN) / _DISCIPLINE_SD
    compliance = 0.5 * discipline_z + math.sqrt(0.75) * normals(keys, _P["compliance"])
    openness = 0.6 * compliance + 0.8 * normals(keys, _P["openness"])
    authorised = np.zeros((n_firms, len(_FAMILIES)), dtype=np.bool_)
    for k, family in enumerate(_FAMILIES):
        noise = normals(keys, _P["auth_noise"] + k)
        authorised[:, k] = p.has[family] & (openness + _AUTH_OFFSETS[family] + 0.6 * noise > 0)

    records = _records(seed, traits, p, firms, compliance)

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
        "families_authorised": authorised[li].sum(axis=1).astype(np.float64),
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
        authorised=authorised,
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
