"""The feature contract: a profile snapshot (``xinyidai.profile/1``) -> the model's ordered
feature vector.

Training (``xinyidai_ml``) and serving (``domain/scoring``) both import this module and nothing
else turns snapshots into numbers, so the two cannot drift apart. ``FEATURE_HASH`` is the SHA-256
of this file's source: a model bundle records the hash it was trained with, and the service
refuses a bundle whose hash differs from the running code.

Rules:

* **Point in time.** Only what the snapshot knew at its ``as_of`` date is used: months up to the
  last complete month before ``as_of``, records decided on or before ``as_of`` and still
  published then. The snapshot builder already guarantees this; the features check it again, so
  a snapshot assembled elsewhere (the simulator) cannot leak the future into a feature.
* **Unauthorized families.** A family the SME did not authorize gives ``NaN`` (missing) for
  every feature computed from it, never zero: LightGBM learns where missing values go, and
  ``families_authorised`` carries the fact that data was withheld (firms that share less are
  riskier). Missing is also used where a value is undefined (growth without a year-earlier
  base, a grade the SME never received).
* **Direction.** Each feature declares how it may move the risk: ``+1`` more of it never lowers
  the predicted default risk, ``-1`` more of it never raises it, ``0`` no constraint. Training
  turns these into LightGBM monotone constraints; the evaluation checks them.
* **Explanations.** Each feature carries the sentence (zh-CN and English) that explains it as a
  reason, and how to show its value in words.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xinyidai import enums

NAN = math.nan

TAX_GRADES = {"A": 1, "B": 2, "M": 3, "C": 4, "D": 5}
CUSTOMS_GRADES = {"AA": 1, "A": 2, "B": 3, "C": 4}
ENVIRONMENTAL_GRADES = {"green": 1, "blue": 2, "yellow": 3, "red": 4, "black": 5}
ENVIRONMENTAL_ZH = {
    "green": "绿牌",
    "blue": "蓝牌",
    "yellow": "黄牌",
    "red": "红牌",
    "black": "黑牌",
}
# The snapshot's spellings of the families and record types (``xinyidai.enums``; renaming one
# is a new snapshot format, so the feature hash need not cover that module).
NEGATIVE_TYPES = frozenset(str(kind) for kind in enums.NEGATIVE_TYPES)
FAMILIES = tuple(str(family) for family in enums.Family)
FAMILY_NAMES = {
    "tax": ("税务", "tax"),
    "electricity": ("电力", "electricity"),
    "water": ("用水", "water"),
    "gas": ("燃气", "gas"),
    "social_insurance": ("社保", "social-insurance"),
    "housing_fund": ("公积金", "housing-fund"),
}
# GB/T 4754 sections in a fixed order; the code is a category, not a magnitude.
SECTIONS = "ABCDEFGHIJKLMNOPQRST"


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    direction: int  # +1: more never lowers risk; -1: more never raises risk; 0: free
    source: str  # a family in FAMILIES, or "records", "registration", "arrears", "utilities"
    zh: str  # reason sentence; {v} is the value in words
    en: str
    show: str = "count"  # how the value reads: see ``describe``
    categorical: bool = False


F = Feature
FEATURES: tuple[Feature, ...] = (
    # registration
    F("age_years", -1, "registration", "企业成立时间较短（{v}年）",
      "The business is young ({v} years)", "years"),
    F("registered_capital_log", -1, "registration", "注册资本较低（{v}）",
      "Low registered capital ({v})", "exp_money"),
    F("industry_section", 0, "registration", "所属行业（门类{v}）的违约率较高",
      "Its industry (section {v}) has a higher default rate", "section", categorical=True),
    # what the SME chose to share
    F("families_authorised", -1, "registration", "仅授权了{v}类数据（共6类）",
      "Only {v} of 6 data sources authorized", "count"),
    # public credit records
    F("penalties_36m", +1, "records", "近3年有{v}次行政处罚",
      "{v} administrative penalties in the last 3 years"),
    F("serious_negative", +1, "records", "有{v}条严重程度的负面记录",
      "{v} negative records of serious severity"),
    F("serious_dishonesty", +1, "records", "被列入严重失信主体名单（{v}条）",
      "On the serious-dishonesty list ({v} records)"),
    F("dishonest_debtor", +1, "records", "被列为失信被执行人（{v}条）",
      "Listed as a dishonest judgment debtor ({v} records)"),
    F("abnormal_operation", +1, "records", "被列入经营异常名录（{v}条）",
      "On the abnormal-operation list ({v} records)"),
    F("months_since_negative", -1, "records", "最近一条负面记录仅在{v}个月前",
      "The latest negative record is only {v} months old", "months"),
    F("red_list", -1, "records", "无红名单或荣誉记录", "No red-list or honour record"),
    F("tax_grade", +1, "records", "纳税信用等级为{v}级", "Tax credit grade {v}", "tax_grade"),
    F("customs_grade", +1, "records", "海关信用等级为{v}", "Customs credit grade {v}",
      "customs_grade"),
    F("environmental_grade", +1, "records", "环境信用等级为{v}", "Environmental credit grade {v}",
      "environmental_grade"),
    # tax
    F("sales_12m_log", -1, "tax", "近12个月开票销售额较低（{v}）",
      "Low invoiced sales in the last 12 months ({v})", "exp_money"),
    F("tax_paid_12m_log", -1, "tax", "近12个月纳税额较低（{v}）",
      "Little tax paid in the last 12 months ({v})", "exp_money"),
    F("sales_growth_yoy", -1, "tax", "销售额同比变化{v}", "Sales changed {v} year on year",
      "signed_pct"),
    F("sales_trend_3m", -1, "tax", "近3个月销售额为此前9个月平均水平的{v}",
      "Sales in the last 3 months at {v} of the 9 months before", "pct"),
    F("sales_volatility", +1, "tax", "月销售额波动较大（变异系数{v}）",
      "Monthly sales are volatile (coefficient of variation {v})", "ratio"),
    F("tax_arrears_months_12m", +1, "tax", "近12个月有{v}个月欠税",
      "Tax arrears in {v} of the last 12 months"),
    F("tax_months_missing_12m", +1, "tax", "近12个月有{v}个月无申报数据",
      "No tax figures for {v} of the last 12 months"),
    # electricity
    F("electricity_late_6m", +1, "electricity", "电费缴纳近6个月有{v}次逾期",
      "{v} late electricity payments in 6 months"),
    F("electricity_late_12m", +1, "electricity", "电费缴纳近12个月有{v}次逾期",
      "{v} late electricity payments in 12 months"),
    F("electricity_max_days_late_12m", +1, "electricity", "电费近12个月最长逾期{v}天",
      "An electricity bill paid {v} days late in the last 12 months", "days"),
    F("kwh_growth_yoy", -1, "electricity", "用电量同比变化{v}",
      "Electricity use changed {v} year on year", "signed_pct"),
    F("kwh_trend_3m", -1, "electricity", "近3个月用电量为此前9个月平均水平的{v}",
      "Electricity use in the last 3 months at {v} of the 9 months before", "pct"),
    # water and gas
    F("water_late_12m", +1, "water", "水费缴纳近12个月有{v}次逾期",
      "{v} late water payments in 12 months"),
    F("gas_late_12m", +1, "gas", "燃气费缴纳近12个月有{v}次逾期",
      "{v} late gas payments in 12 months"),
    # across families: the same behaviour seen through several sources
    F("arrears_months_12m", +1, "arrears", "近12个月有{v}个月存在欠税或欠缴社保",
      "Tax or social-insurance arrears in {v} of the last 12 months"),
    F("utility_late_months_12m", +1, "utilities", "近12个月有{v}个月水电燃气费逾期",
      "Utility bills paid late in {v} of the last 12 months"),
    # social insurance and housing fund
    F("insured_headcount_log", -1, "social_insurance", "参保人数较少（{v}人）",
      "Few insured employees ({v})", "exp_count"),
    F("headcount_growth_yoy", -1, "social_insurance", "参保人数同比变化{v}",
      "Insured headcount changed {v} year on year", "signed_pct"),
    F("si_arrears_months_12m", +1, "social_insurance", "社保近12个月有{v}个月欠缴",
      "Social-insurance arrears in {v} of the last 12 months"),
    F("housing_fund_coverage", -1, "housing_fund", "公积金仅覆盖{v}的参保员工",
      "The housing fund covers only {v} of insured employees", "pct"),
)  # fmt: skip
del F

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
MONOTONE_CONSTRAINTS: tuple[int, ...] = tuple(f.direction for f in FEATURES)
CATEGORICAL: tuple[int, ...] = tuple(i for i, f in enumerate(FEATURES) if f.categorical)


def _source_hash() -> str:
    text = Path(__file__).read_text(encoding="utf-8").replace("\r\n", "\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


FEATURE_HASH = _source_hash()


# --- helpers ------------------------------------------------------------------------------------
_MONTHS: dict[str, int] = {}  # period text -> month index (a few hundred distinct periods)
WINDOW = 24  # the months the features look at, ending with the last complete month


def _month_index(text: str) -> int:
    """``YYYY-MM`` or ``YYYY-MM-DD`` -> months since year 0."""
    index = _MONTHS.get(text)
    if index is None:
        index = int(text[0:4]) * 12 + int(text[5:7]) - 1
        if len(_MONTHS) < 10_000:
            _MONTHS[text] = index
    return index


def _day(text: str) -> tuple[int, int, int]:
    return int(text[0:4]), int(text[5:7]), int(text[8:10])


def _f(value: Any) -> float:
    return float(value) if value is not None else NAN


def _log(value: float) -> float:
    return math.log1p(value) if value == value and value >= 0 else NAN


Window = list[Mapping[str, Any] | None]


def _window(family: Mapping[str, Any], last: int) -> Window:
    """The family's months ``last - WINDOW + 1`` … ``last`` (month indexes), oldest first, None
    where a month is absent. Snapshots list months in order, so this reads them from the end
    and stops at the window's start; out of order, it reads them all."""
    first = last - WINDOW + 1
    out: Window = [None] * WINDOW
    previous = None
    for month in reversed(family.get("months", ())):
        index = _month_index(month["period"])
        if first <= index <= last:
            out[index - first] = month
        if previous is not None and index > previous:
            return _window_unordered(family, last)
        previous = index
        if index < first:
            break
    return out


def _window_unordered(family: Mapping[str, Any], last: int) -> Window:
    first = last - WINDOW + 1
    out: Window = [None] * WINDOW
    for month in family.get("months", ()):
        index = _month_index(month["period"])
        if first <= index <= last:
            out[index - first] = month
    return out


def _series(window: Window, column: str, n: int) -> list[float]:
    """The last ``n`` months of ``column``, oldest first; NaN where absent."""
    try:
        return [NAN if m is None else float(m[column]) for m in window[WINDOW - n :]]
    except TypeError:  # a null value: missing, like an absent month
        return [NAN if m is None else _f(m[column]) for m in window[WINDOW - n :]]


def _present(values: Sequence[float]) -> list[float]:
    return [v for v in values if v == v]


def _total(values: Sequence[float]) -> float:
    present = _present(values)
    return sum(present) if present else NAN


def _growth(window: Window, column: str) -> float:
    """Last 12 months over the 12 before, minus one; NaN without 12 + 12 months of data."""
    recent = _series(window, column, 24)
    now, then = recent[12:], recent[:12]
    if len(_present(now)) < 12 or len(_present(then)) < 12:
        return NAN
    before = sum(then)
    return sum(now) / before - 1 if before > 0 else NAN


def _trend(window: Window, column: str) -> float:
    """Mean of the last 3 months over the mean of the 9 before."""
    values = _series(window, column, 12)
    recent, earlier = _present(values[9:]), _present(values[:9])
    if len(recent) < 2 or len(earlier) < 6:
        return NAN
    base = sum(earlier) / len(earlier)
    return (sum(recent) / len(recent)) / base if base > 0 else NAN


def _count_positive(values: Sequence[float]) -> float:
    present = _present(values)
    return float(sum(1 for v in present if v > 0)) if present else NAN


# --- the vector ---------------------------------------------------------------------------------
def vector(snapshot: Mapping[str, Any]) -> np.ndarray:
    """The feature vector of one snapshot, in ``FEATURE_NAMES`` order (float64, NaN = missing)."""
    return np.asarray(values(snapshot), dtype=np.float64)


def matrix(snapshots: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """One row per snapshot."""
    rows = [values(s) for s in snapshots]
    if not rows:
        return np.empty((0, len(FEATURES)), dtype=np.float64)
    return np.asarray(rows, dtype=np.float64)


def values(snapshot: Mapping[str, Any]) -> list[float]:
    """The feature values of one snapshot as a plain list (``vector`` without numpy)."""
    as_of = snapshot["as_of"]
    as_of_day = _day(as_of)
    last = _month_index(as_of) - 1  # the last complete month
    out: list[float] = [NAN] * len(FEATURES)

    _registration(snapshot["enterprise"], as_of_day, out)
    families = snapshot["families"]
    out[INDEX["families_authorised"]] = float(
        sum(1 for name in FAMILIES if families.get(name, {}).get("authorised"))
    )
    _records(snapshot["public_records"], as_of, as_of_day, out)

    tax_arrears = _tax(families.get("tax", {}), last, out)
    late_months = _utilities(families, last, out)  # months with any utility bill paid late
    insured, si_arrears = _social_insurance(families.get("social_insurance", {}), last, out)
    arrears_months = _union(tax_arrears, si_arrears)  # months with tax or social-insurance arrears
    if arrears_months is not None:
        out[INDEX["arrears_months_12m"]] = float(len(arrears_months))
    if late_months is not None:
        out[INDEX["utility_late_months_12m"]] = float(len(late_months))
    _housing_fund(families.get("housing_fund", {}), insured, last, out)
    return out


def _positive_months(values: Sequence[float]) -> set[int]:
    """Positions of the values that are present and above zero."""
    return {i for i, v in enumerate(values) if v == v and v > 0}


def _union(first: set[int] | None, second: set[int] | None) -> set[int] | None:
    """Both sets' months; None when neither family was authorized."""
    if first is None and second is None:
        return None
    return (first or set()) | (second or set())


def _registration(
    enterprise: Mapping[str, Any], as_of_day: tuple[int, int, int], out: list[float]
) -> None:
    founded = enterprise.get("founded_on")
    if founded:
        y, m, d = _day(founded)
        age = (as_of_day[0] - y) + (as_of_day[1] - m) / 12 + (as_of_day[2] - d) / 365.25
        out[INDEX["age_years"]] = max(age, 0.0)
    capital = enterprise.get("registered_capital")
    if capital is not None:
        out[INDEX["registered_capital_log"]] = _log(float(capital))
    section = (enterprise.get("industry") or {}).get("section")
    if section and section in SECTIONS:
        out[INDEX["industry_section"]] = float(SECTIONS.index(section))


def _tax(tax: Mapping[str, Any], last: int, out: list[float]) -> set[int] | None:
    """The tax features; returns the months (of the last 12) in arrears, None if unauthorized."""
    if not tax.get("authorised"):
        return None
    put = INDEX.__getitem__
    months = _window(tax, last)
    sales12 = _series(months, "vat_sales", 12)
    total = _total(sales12)
    out[put("sales_12m_log")] = _log(total) if total == total else _log(0.0)
    paid = _total(_series(months, "tax_paid", 12))
    out[put("tax_paid_12m_log")] = _log(paid) if paid == paid else _log(0.0)
    out[put("sales_growth_yoy")] = _growth(months, "vat_sales")
    out[put("sales_trend_3m")] = _trend(months, "vat_sales")
    present = _present(sales12)
    if len(present) >= 6:
        mean = sum(present) / len(present)
        if mean > 0:
            var = sum((v - mean) ** 2 for v in present) / (len(present) - 1)
            out[put("sales_volatility")] = math.sqrt(var) / mean
    arrears = _series(months, "arrears", 12)
    out[put("tax_arrears_months_12m")] = float(sum(1 for v in arrears if v == v and v > 0))
    out[put("tax_months_missing_12m")] = float(12 - len(present))
    return _positive_months(arrears)


def _utilities(families: Mapping[str, Any], last: int, out: list[float]) -> set[int] | None:
    """The utility features; returns the months (of the last 12) with a bill paid late in any
    authorized utility, None if none is authorized."""
    late_months: set[int] | None = None
    electricity = families.get("electricity", {})
    if electricity.get("authorised"):
        months = _window(electricity, last)
        late = _series(months, "days_late", 12)
        out[INDEX["electricity_late_6m"]] = _count_positive(late[6:])
        out[INDEX["electricity_late_12m"]] = _count_positive(late)
        present = _present(late)
        out[INDEX["electricity_max_days_late_12m"]] = max(present) if present else NAN
        out[INDEX["kwh_growth_yoy"]] = _growth(months, "kwh")
        out[INDEX["kwh_trend_3m"]] = _trend(months, "kwh")
        late_months = _positive_months(late)

    for name, feature in (("water", "water_late_12m"), ("gas", "gas_late_12m")):
        family = families.get(name, {})
        if family.get("authorised"):
            late = _series(_window(family, last), "days_late", 12)
            out[INDEX[feature]] = _count_positive(late)
            late_months = _union(late_months, _positive_months(late))
    return late_months


def _social_insurance(
    social: Mapping[str, Any], last: int, out: list[float]
) -> tuple[float, set[int] | None]:
    """The social-insurance features; returns the insured headcount (NaN if unknown) and the
    months (of the last 12) in arrears, None if unauthorized."""
    if not social.get("authorised"):
        return NAN, None
    insured = NAN
    months = _window(social, last)
    heads = _present(_series(months, "insured_headcount", 3))
    if heads:
        insured = heads[-1]
        out[INDEX["insured_headcount_log"]] = _log(insured)
    out[INDEX["headcount_growth_yoy"]] = _growth(months, "insured_headcount")
    arrears = _series(months, "arrears", 12)
    out[INDEX["si_arrears_months_12m"]] = float(sum(1 for v in arrears if v == v and v > 0))
    return insured, _positive_months(arrears)


def _housing_fund(housing: Mapping[str, Any], insured: float, last: int, out: list[float]) -> None:
    if housing.get("authorised") and insured == insured and insured > 0:
        heads = _present(_series(_window(housing, last), "headcount", 3))
        if heads:
            out[INDEX["housing_fund_coverage"]] = min(heads[-1] / insured, 1.0)


_GRADE_TABLES: dict[str, Mapping[str, int]] = {
    "tax_grade": TAX_GRADES,
    "customs_grade": CUSTOMS_GRADES,
    "environmental_grade": ENVIRONMENTAL_GRADES,
}
# Record types counted as they are, each into the feature of the same name.
_COUNTED_TYPES = ("serious_dishonesty", "dishonest_debtor", "abnormal_operation", "red_list")


def _records(
    records: Mapping[str, Any], as_of: str, as_of_day: tuple[int, int, int], out: list[float]
) -> None:
    # Only what is decided, and still published, at as_of.
    items = [
        item
        for item in records.get("items", ())
        if item["decision_date"] <= as_of
        and (item.get("publish_until") is None or item["publish_until"] >= as_of)
    ]
    three_years_ago = f"{as_of_day[0] - 3:04d}{as_of[4:]}"
    out[INDEX["penalties_36m"]] = float(
        sum(
            1
            for item in items
            if item["type"] == "admin_penalty" and item["decision_date"] >= three_years_ago
        )
    )
    negatives = [item for item in items if item["type"] in NEGATIVE_TYPES]
    out[INDEX["serious_negative"]] = float(
        sum(1 for item in negatives if item.get("severity") == "serious")
    )
    counts = Counter(item["type"] for item in items)
    for kind in _COUNTED_TYPES:
        out[INDEX[kind]] = float(counts[kind])
    if negatives:
        latest_negative = max(item["decision_date"] for item in negatives)
        months = _month_index(as_of) - _month_index(latest_negative)
        out[INDEX["months_since_negative"]] = float(max(months, 0))
    for kind, grade in _latest_grades(items).items():
        table = _GRADE_TABLES[kind]
        if grade in table:
            out[INDEX[kind]] = float(table[grade])


def _latest_grades(items: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The latest grade of each graded record type (the later record wins a tie)."""
    latest: dict[str, tuple[str, str]] = {}  # type -> (decision date, grade)
    for item in items:
        kind = item["type"]
        if kind in _GRADE_TABLES and item.get("grade"):
            previous = latest.get(kind)
            if previous is None or item["decision_date"] >= previous[0]:
                latest[kind] = (item["decision_date"], item["grade"])
    return {kind: grade for kind, (_, grade) in latest.items()}


# --- values in words ----------------------------------------------------------------------------
def _money(yuan: float, lang: str) -> str:
    if lang == "zh":
        if yuan >= 1e8:
            return f"{yuan / 1e8:.2f}亿元"
        if yuan >= 1e4:
            return f"{yuan / 1e4:,.0f}万元"
        return f"{yuan:,.0f}元"
    if yuan >= 1e6:
        return f"CNY {yuan / 1e6:,.1f} million"
    return f"CNY {yuan:,.0f}"


def _reverse(table: Mapping[str, int]) -> dict[int, str]:
    return {v: k for k, v in table.items()}


_SHOW: dict[str, Callable[[float, str], str]] = {
    "count": lambda v, lang: f"{v:.0f}",
    "days": lambda v, lang: f"{v:.0f}",
    "months": lambda v, lang: f"{v:.0f}",
    "years": lambda v, lang: f"{v:.1f}",
    "ratio": lambda v, lang: f"{v:.2f}",
    "pct": lambda v, lang: f"{v * 100:.0f}%",
    "signed_pct": lambda v, lang: f"{v * 100:+.0f}%",
    "exp_money": lambda v, lang: _money(math.expm1(v), lang),
    "exp_count": lambda v, lang: f"{math.expm1(v):.0f}",
    "section": lambda v, lang: SECTIONS[int(v)],
    "tax_grade": lambda v, lang: _reverse(TAX_GRADES).get(int(v), "?"),
    "customs_grade": lambda v, lang: _reverse(CUSTOMS_GRADES).get(int(v), "?"),
    "environmental_grade": lambda v, lang: (
        ENVIRONMENTAL_ZH if lang == "zh" else {k: k for k in ENVIRONMENTAL_GRADES}
    ).get(_reverse(ENVIRONMENTAL_GRADES).get(int(v), ""), "?"),
}

_MISSING_RECORD = {
    "tax_grade": ("无纳税信用等级记录", "No tax credit grade on record"),
    "customs_grade": ("无海关信用等级记录", "No customs credit grade on record"),
    "environmental_grade": ("无环境信用等级记录", "No environmental credit grade on record"),
    "months_since_negative": ("无负面记录", "No negative record"),
}


def describe(feature: Feature, value: float | None) -> tuple[str, str]:
    """The reason sentence for ``feature`` at ``value`` in (zh-CN, English)."""
    if value is None or value != value:
        if feature.source in FAMILY_NAMES:
            zh, en = FAMILY_NAMES[feature.source]
            return f"未授权或缺少{zh}数据", f"No {en} data authorized or available"
        if feature.source == "arrears":
            return "未授权税务和社保数据", "Neither tax nor social-insurance data authorized"
        if feature.source == "utilities":
            return "未授权水电燃气数据", "No utility data authorized"
        if feature.name in _MISSING_RECORD:
            return _MISSING_RECORD[feature.name]
        return f"缺少数据（{feature.name}）", f"Data missing ({feature.name})"
    show = _SHOW[feature.show]
    return feature.zh.format(v=show(value, "zh")), feature.en.format(v=show(value, "en"))
