"""The simulated city's public credit records (公共信用信息), drawn from its latent state.

Besides the generator's traits, each firm has a hidden **compliance** ``c`` (standard normal,
correlated 0.5 with payment discipline; high is honest: :func:`compliance_of`). Records are
drawn month by month, while the firm is active, with hazards that depend on the latent state:

* penalties (行政处罚): more for low compliance, distress, some industries and bigger firms;
  minor/general/serious, published 3/12/36 months;
* the abnormal-operation list (经营异常): distress, low compliance; often repaired after some
  months;
* dishonest judgment debtors (失信被执行人): distress, poor payment discipline; 36 months,
  sometimes repaired;
* the serious-dishonesty list (严重失信): rare; 36 months;
* red lists (红名单): high compliance, size; 24 months;
* credit commitments (信用承诺) and licences (行政许可): neutral;
* each April the tax bureau grades the previous year (A/B/M/C/D, published 12 months; M for
  firms in their first year; otherwise by compliance, discipline, the year's arrears months and
  penalties; the mix is about A 5%, B 60%, M 20%, C 8%, D 7%); exporters get a customs grade
  every three years, polluters an environmental grade every June.

Every draw is counter-based (:mod:`xinyidai.simulation.purposes`), so a firm's records of a
month are the same whichever firms and months are drawn with it, provided the panel starts in
the same month (the tax grade reads the panel's first fifteen months). A profile shows the
records decided on or before its date that are neither expired (``publish_until`` before the
date), repaired, nor negative and older than five years (the purge): :meth:`SimRecord.visible`.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from xinyidai.dates import add_months_to_day, month_index, period_of
from xinyidai.enums import NEGATIVE_TYPES, Family, RecordStatus, RecordType
from xinyidai.simulation.generator import Panel, panel
from xinyidai.simulation.purposes import PURPOSES as _P
from xinyidai.simulation.randomness import normals, uniforms
from xinyidai.simulation.registry import DISTRICTS, Firm, stable_uuid
from xinyidai.simulation.traits import PROFILE_NAMES, TraitArrays, city_traits

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

RETENTION_YEARS = 5  # negative records are purged five years after their decision

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

DISCIPLINE_MEAN, DISCIPLINE_SD = 0.8925, 0.1424  # of the generator's tiered discipline
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
        return not self.purged(as_of)

    def purged(self, as_of: dt.date) -> bool:
        """A negative record older than ``RETENTION_YEARS`` on ``as_of``."""
        return self.record_type in NEGATIVE_TYPES and self.decision_date < years_before(
            as_of, RETENTION_YEARS
        )


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - years, 2, 28)
    return day.replace(year=day.year - years)


def _by_profile(traits: TraitArrays, table: dict[str, float]) -> F64:
    return np.array([table[name] for name in PROFILE_NAMES])[traits.profile]


def discipline_z(traits: TraitArrays) -> F64:
    """Payment discipline, standardised over the city."""
    return (traits.payment_discipline - DISCIPLINE_MEAN) / DISCIPLINE_SD


def compliance_of(traits: TraitArrays) -> F64:
    """Each firm's hidden compliance: standard normal, correlated 0.5 with payment discipline."""
    return 0.5 * discipline_z(traits) + math.sqrt(0.75) * normals(traits.keys, _P["compliance"])


# --- drawing ------------------------------------------------------------------------------------
@dataclass
class _Draw:
    """What every kind of record needs: the firms, the panel's months, and the output."""

    seed: int
    traits: TraitArrays
    panel: Panel
    firms: Sequence[Firm]
    compliance: F64
    out: list[list[SimRecord]]
    day_u: F64

    @property
    def keys(self) -> Any:
        return self.traits.keys

    @property
    def months(self) -> I64:
        return self.panel.months

    def events(self, hazard: F64 | float, purpose: int) -> Iterator[tuple[int, int]]:
        """(firm, panel column) of the active months where an event with this hazard happened."""
        happened = uniforms(self.keys, purpose, self.months) < np.where(
            self.panel.active, hazard, 0.0
        )
        firms, columns = np.nonzero(happened)
        return zip(firms.tolist(), columns.tolist(), strict=True)

    def draws(self, purpose: int) -> F64:
        return uniforms(self.keys, purpose, self.months)

    def day_of(self, i: int, j: int) -> dt.date:
        return period_of(int(self.months[j])).replace(day=1 + int(self.day_u[i, j] * 28))

    def district(self, i: int) -> str:
        return DISTRICTS[self.firms[i].district_code]

    def seq(self, i: int, j: int) -> str:
        return f"{self.firms[i].index}{int(self.months[j]) % 1000:03d}"

    def add(self, i: int, **kw: Any) -> None:
        self.out[i].append(
            SimRecord(
                id=stable_uuid("record", self.seed, kw["document_no"]),
                uscc=self.firms[i].uscc,
                subject_name=self.firms[i].name,
                **kw,
            )
        )


def _penalties(d: _Draw, c: F64, stress: F64, industry: F64, size_rank: F64) -> None:
    """Administrative penalties (行政处罚)."""
    hazard = 0.005 * np.exp(-0.7 * c + 0.25 * stress) * industry * (0.5 + size_rank)
    sev_u, kind_u = d.draws(_P["penalty_severity"]), d.draws(_P["penalty_kind"])
    for i, j in d.events(hazard, _P["penalty"]):
        decided = d.day_of(i, j)
        s = sev_u[i, j] * math.exp(0.4 * float(d.compliance[i]))
        severity = "serious" if s < 0.10 else "general" if s < 0.55 else "minor"
        authority, prefix, text = _PENALTY_KINDS[int(kind_u[i, j] * len(_PENALTY_KINDS))]
        district = d.district(i)
        d.add(
            i,
            record_type=RecordType.ADMIN_PENALTY,
            severity=severity,
            grade=None,
            document_no=f"{prefix.format(s=district[0])}〔{decided.year}〕{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=add_months_to_day(decided, _PUBLISH_MONTHS[severity]),
            authority=authority.format(d=district),
            description=text,
        )


def _abnormal_operations(d: _Draw, c: F64, stress: F64) -> None:
    """The abnormal-operation list (经营异常名录): often left again after some months."""
    hazard = 0.0012 * np.exp(-0.8 * c + 0.5 * stress)
    repair_u, reason_u = d.draws(_P["abnormal_repair"]), d.draws(_P["abnormal_reason"])
    for i, j in d.events(hazard, _P["abnormal"]):
        decided = d.day_of(i, j)
        r = repair_u[i, j]
        repaired = add_months_to_day(decided, 2 + int(r / 0.6 * 12)) if r < 0.6 else None
        district = d.district(i)
        d.add(
            i,
            record_type=RecordType.ABNORMAL_OPERATION,
            severity="general",
            grade=None,
            document_no=f"穗{district[0]}市监异列〔{decided.year}〕{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=None,
            authority=f"广州市{district}区市场监督管理局",
            description="列入经营异常名录，原因："
            + _ABNORMAL_REASONS[int(reason_u[i, j] * len(_ABNORMAL_REASONS))],
            repaired_on=repaired,
        )


def _dishonest_debtors(d: _Draw, c: F64, stress: F64) -> None:
    """Dishonest judgment debtors (失信被执行人): distress and poor payment discipline."""
    discipline = d.traits.payment_discipline[:, None]
    hazard = 0.0003 * np.exp(-0.5 * c + 0.7 * stress + 3.0 * (1 - discipline))
    repair_u = d.draws(_P["debtor_repair"])
    for i, j in d.events(hazard, _P["debtor"]):
        decided = d.day_of(i, j)
        r = repair_u[i, j]
        repaired = add_months_to_day(decided, 3 + int(r / 0.3 * 15)) if r < 0.3 else None
        d.add(
            i,
            record_type=RecordType.DISHONEST_DEBTOR,
            severity="serious" if r > 0.7 else "general",
            grade=None,
            document_no=f"（{decided.year}）粤01{3 + int(r * 15):02d}执{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=add_months_to_day(decided, 36),
            authority=f"广州市{d.district(i)}区人民法院",
            description="有履行能力而拒不履行生效法律文书确定义务",
            repaired_on=repaired,
        )


def _serious_dishonesty(d: _Draw, c: F64, stress: F64) -> None:
    """The serious-dishonesty list (严重失信主体名单): rare."""
    hazard = 0.00005 * np.exp(-1.0 * c + 0.5 * stress)
    for i, j in d.events(hazard, _P["serious"]):
        decided = d.day_of(i, j)
        d.add(
            i,
            record_type=RecordType.SERIOUS_DISHONESTY,
            severity="serious",
            grade=None,
            document_no=f"穗严失〔{decided.year}〕{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=add_months_to_day(decided, 36),
            authority="广州市市场监督管理局",
            description="列入严重失信主体名单：严重违法失信企业",
        )


def _red_lists(d: _Draw, c: F64, size_rank: F64) -> None:
    """Red lists (红名单): compliant, bigger firms."""
    hazard = 0.0012 * np.exp(0.9 * c + 0.8 * size_rank)
    kind_u = d.draws(_P["red_kind"])
    for i, j in d.events(hazard, _P["red"]):
        decided = d.day_of(i, j)
        honour, authority = _RED_KINDS[int(kind_u[i, j] * len(_RED_KINDS))]
        d.add(
            i,
            record_type=RecordType.RED_LIST,
            severity=None,
            grade=None,
            document_no=f"穗红〔{decided.year}〕{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=add_months_to_day(decided, 24),
            authority=authority,
            description=f"获评{honour}",
        )


def _commitments(d: _Draw) -> None:
    """Credit commitments (信用承诺): neutral."""
    for i, j in d.events(0.004, _P["commitment"]):
        decided = d.day_of(i, j)
        d.add(
            i,
            record_type=RecordType.CREDIT_COMMITMENT,
            severity=None,
            grade=None,
            document_no=f"穗承诺〔{decided.year}〕{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=None,
            authority=f"广州市{d.district(i)}区政务服务数据管理局",
            description="证明事项告知承诺，承诺内容真实并按期履行",
        )


def _licences(d: _Draw, industry: F64) -> None:
    """Administrative licences (行政许可): neutral, more in some industries."""
    kind_u = d.draws(_P["licence_kind"])
    for i, j in d.events(0.006 * industry, _P["licence"]):
        decided = d.day_of(i, j)
        kind, prefix = _LICENCE_KINDS[int(kind_u[i, j] * len(_LICENCE_KINDS))]
        d.add(
            i,
            record_type=RecordType.ADMIN_LICENCE,
            severity=None,
            grade=None,
            document_no=f"{prefix}〔{decided.year}〕{d.seq(i, j)}号",
            decision_date=decided,
            publish_until=None,
            authority=f"广州市{d.district(i)}区行政审批局",
            description=f"准予{kind}，许可有效期五年",
        )


def _tax_scores(d: _Draw) -> Iterator[tuple[int, int, F64]]:
    """(panel column, year, score) of every April with a whole assessed year in the panel."""
    p, traits = d.panel, d.traits
    months = d.months
    m0 = int(months[0])
    arrears = (
        (p.values[Family.TAX]["arrears"] > 0) | (p.values[Family.SOCIAL_INSURANCE]["arrears"] > 0)
    ) & p.active
    stress = np.where(p.active, np.maximum(p.distress, 0.0), 0.0)
    grade_z = normals(d.keys, _P["tax_grade"], months)
    penalties = np.zeros((len(traits), len(months)), dtype=np.int64)
    for i, firm_records in enumerate(d.out):
        for r in firm_records:
            if r.record_type is RecordType.ADMIN_PENALTY:
                penalties[i, month_index(r.decision_date) - m0] += 1
    for j, m in enumerate(months.tolist()):
        if m % 12 != 3 or j < 15:  # April, with a whole assessed year in the panel
            continue
        assessed = slice(j - 15, j - 3)  # January … December of the year before
        score = (
            0.55 * d.compliance
            + 0.45 * discipline_z(traits)
            - 0.35 * np.minimum(arrears[:, assessed].sum(axis=1), 4)
            - 0.5 * np.minimum(penalties[:, assessed].sum(axis=1), 2)
            - 0.15 * stress[:, assessed].mean(axis=1)
            + 0.45 * grade_z[:, j]
        )
        yield j, m // 12, score


def _tax_grades(d: _Draw) -> None:
    """Tax grades every April for the year before (M in the first year)."""
    founded = d.traits.founded
    grade_day = 1 + (uniforms(d.keys, _P["tax_grade"] + 1) * 28).astype(np.int64)
    for j, year, score in _tax_scores(d):
        first_of_year = int(d.months[j]) - 3 - 12
        grade_index = np.select(
            [score > cut for cut in _TAX_CUTS],
            [0, 1, 2, 3],
            default=4,
        )
        new = (founded >= first_of_year) & (founded < first_of_year + 12)
        grade_index = np.where(new, 2, grade_index)
        graded = founded < first_of_year + 12
        for i in np.flatnonzero(graded).tolist():
            grade = _TAX_GRADES[int(grade_index[i])]
            decided = dt.date(year, 4, int(grade_day[i]))
            d.add(
                i,
                record_type=RecordType.TAX_GRADE,
                severity=None,
                grade=grade,
                document_no=f"穗税信评〔{year}〕{d.seq(i, j)}号",
                decision_date=decided,
                publish_until=add_months_to_day(decided, 12),
                authority="国家税务总局广州市税务局",
                description=f"{year - 1}年度纳税信用等级评定为{grade}级",
            )


def _customs_grades(d: _Draw) -> None:
    """Customs grades of exporters, every three years from their first year."""
    traits = d.traits
    exporter = uniforms(d.keys, _P["exporter"]) < _by_profile(traits, _EXPORTER_SHARE)
    phase = (uniforms(d.keys, _P["customs_phase"]) * 36).astype(np.int64)
    customs_z = normals(d.keys, _P["customs_grade"], d.months)
    for j, m in enumerate(d.months.tolist()):
        due = exporter & ((m - phase) % 36 == 0) & (m - traits.founded >= 12)
        for i in np.flatnonzero(due).tolist():
            q = 0.8 * d.compliance[i] + 0.6 * customs_z[i, j]
            grade = "AA" if q > _CUSTOMS_CUTS[0] else "C" if q < _CUSTOMS_CUTS[1] else "B"
            decided = d.day_of(i, j)
            d.add(
                i,
                record_type=RecordType.CUSTOMS_GRADE,
                severity=None,
                grade=grade,
                document_no=f"关信〔{decided.year}〕{d.seq(i, j)}号",
                decision_date=decided,
                publish_until=None,
                authority="广州海关",
                description=f"海关企业信用等级认定为{grade}",
            )


def _environmental_grades(d: _Draw) -> None:
    """Environmental grades of polluters, every June from their first year."""
    traits = d.traits
    polluter = uniforms(d.keys, _P["polluter"]) < _by_profile(traits, _POLLUTER_SHARE)
    env_z = normals(d.keys, _P["environmental_grade"], d.months)
    discipline = discipline_z(traits)
    for j, m in enumerate(d.months.tolist()):
        if m % 12 != 5:
            continue
        due = polluter & (m - traits.founded >= 12)
        for i in np.flatnonzero(due).tolist():
            q = 0.7 * d.compliance[i] + 0.3 * discipline[i] + 0.65 * env_z[i, j]
            grade = _ENV_GRADES[int(np.searchsorted(_ENV_CUTS, q))]
            decided = d.day_of(i, j)
            d.add(
                i,
                record_type=RecordType.ENVIRONMENTAL_GRADE,
                severity=None,
                grade=grade,
                document_no=f"穗环信〔{decided.year}〕{d.seq(i, j)}号",
                decision_date=decided,
                publish_until=add_months_to_day(decided, 12),
                authority="广州市生态环境局",
                description=f"{m // 12 - 1}年度企业环境信用评价结果：{_ENV_WORDS[grade]}",
            )


def draw_records(
    seed: int,
    traits: TraitArrays,
    p: Panel,
    firms: Sequence[Firm],
    compliance: F64,
) -> list[list[SimRecord]]:
    """Every public record of every firm over the panel's months, per firm in order of
    decision (see the module docstring)."""
    d = _Draw(
        seed=seed,
        traits=traits,
        panel=p,
        firms=firms,
        compliance=compliance,
        out=[[] for _ in range(len(traits))],
        day_u=uniforms(traits.keys, _P["record_day"], p.months),
    )
    stress = np.maximum(p.distress, 0.0)
    c = compliance[:, None]
    size_rank = np.clip(
        (np.log(traits.size) - math.log(60e3)) / (math.log(12e6) - math.log(60e3)), 0, 1
    )[:, None]
    industry = _by_profile(traits, _INDUSTRY_PENALTIES)[:, None]
    _penalties(d, c, stress, industry, size_rank)
    _abnormal_operations(d, c, stress)
    _dishonest_debtors(d, c, stress)
    _serious_dishonesty(d, c, stress)
    _red_lists(d, c, size_rank)
    _commitments(d)
    _licences(d, industry)
    _tax_grades(d)
    _customs_grades(d)
    _environmental_grades(d)
    for firm_records in d.out:
        firm_records.sort(key=lambda r: (r.decision_date, r.document_no))
    return d.out


def city_records(
    firms: Sequence[Firm], seed: int, first: dt.date, last: dt.date
) -> list[list[SimRecord]]:
    """The public records of ``firms`` (of the city ``seed``) decided in the months from
    ``first`` to ``last``: the records the credit simulator gives the same firms when its
    history starts in ``first``'s month."""
    traits = city_traits([f.uscc for f in firms], seed)
    return draw_records(seed, traits, panel(traits, first, last), firms, compliance_of(traits))
