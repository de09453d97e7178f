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
* **Unauthorised families.** A family the SME did not authorise gives ``NaN`` (missing) for
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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
NEGATIVE_TYPES = ("admin_penalty", "serious_dishonesty", "dishonest_debtor", "abnormal_operation")
FAMILIES = ("tax", "electricity", "water", "gas", "social_insurance", "housing_fund")
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
      "Only {v} of 6 data sources authorised", "count"),
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
    put = INDEX.__getitem__

    # registration
    enterprise = snapshot["enterprise"]
    founded = enterprise.get("founded_on")
    if founded:
        y, m, d = _day(founded)
        age = (as_of_day[0] - y) + (as_of_day[1] - m) / 12 + (as_of_day[2] - d) / 365.25
        out[put("age_years")] = max(age, 0.0)
    capital = enterprise.get("registered_capital")
    if capital is not None:
        out[put("registered_capital_log")] = _log(float(capital))
    section = (enterprise.get("industry") or {}).get("section")
    if section and section in SECTIONS:
        out[put("industry_section")] = float(SECTIONS.index(section))

    families = snapshot["families"]
    out[put("families_authorised")] = float(
        sum(1 for name in FAMILIES if families.get(name, {}).get("authorised"))
    )

    _records(snapshot["public_records"], as_of, as_of_day, out)

    arrears_months: set[int] | None = None  # months with tax or social-insurance arrears
    late_months: set[int] | None = None  # months with any utility bill paid late

    tax = families.get("tax", {})
    if tax.get("authorised"):
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
        arrears_months = {i for i, v in enumerate(arrears) if v == v and v > 0}

    electricity = families.get("electricity", {})
    if electricity.get("authorised"):
        months = _window(electricity, last)
        late = _series(months, "days_late", 12)
        out[put("electricity_late_6m")] = _count_positive(late[6:])
        out[put("electricity_late_12m")] = _count_positive(late)
        present = _present(late)
        out[put("electricity_max_days_late_12m")] = max(present) if present else NAN
        out[put("kwh_growth_yoy")] = _growth(months, "kwh")
        out[put("kwh_trend_3m")] = _trend(months, "kwh")
        late_months = {i for i, v in enumerate(late) if v == v and v > 0}

    for name, feature in (("water", "water_late_12m"), ("gas", "gas_late_12m")):
        family = families.get(name, {})
        if family.get("authorised"):
            months = _window(family, last)
            late = _series(months, "days_late", 12)
            out[put(feature)] = _count_positive(late)
            late_months = (late_months or set()) | {
                i for i, v in enumerate(late) if v == v and v > 0
            }

    insured = NAN
    social = families.get("social_insurance", {})
    if social.get("authorised"):
        months = _window(social, last)
        heads = _present(_series(months, "insured_headcount", 3))
        if heads:
            insured = heads[-1]
            out[put("insured_headcount_log")] = _log(insured)
        out[put("headcount_growth_yoy")] = _growth(months, "insured_headcount")
        arrears = _series(months, "arrears", 12)
        out[put("si_arrears_months_12m")] = float(sum(1 for v in arrears if v == v and v > 0))
        arrears_months = (arrears_months or set()) | {
            i for i, v in enumerate(arrears) if v == v and v > 0
        }
    if arrears_months is not None:
        out[put("arrears_months_12m")] = float(len(arrears_months))
    if late_months is not None:
        out[put("utility_late_months_12m")] = float(len(late_months))

    housing = families.get("housing_fund", {})
    if housing.get("authorised") and insured == insured and insured > 0:
        months = _window(housing, last)
        heads = _present(_series(months, "headcount", 3))
        if heads:
            out[put("housing_fund_coverage")] = min(heads[-1] / insured, 1.0)
    return out


def _records(
    records: Mapping[str, Any], as_of: str, as_of_day: tuple[int, int, int], out: list[float]
) -> None:
    put = INDEX.__getitem__
    penalties = serious = dishonesty = debtor = abnormal = red = 0
    latest_negative: str | None = None
    grades: dict[str, tuple[str, str]] = {}  # type -> (decision date, grade)
    three_years_ago = f"{as_of_day[0] - 3:04d}{as_of[4:]}"
    for item in records.get("items", ()):
        decided = item["decision_date"]
        until = item.get("publish_until")
        if decided > as_of or (until is not None and until < as_of):
            continue  # not yet decided, or no longer published, at as_of
        kind = item["type"]
        if kind in NEGATIVE_TYPES:
            if latest_negative is None or decided > latest_negative:
                latest_negative = decided
            if item.get("severity") == "serious":
                serious += 1
        if kind == "admin_penalty" and decided >= three_years_ago:
            penalties += 1
        elif kind == "serious_dishonesty":
            dishonesty += 1
        elif kind == "dishonest_debtor":
            debtor += 1
        elif kind == "abnormal_operation":
            abnormal += 1
        elif kind == "red_list":
            red += 1
        elif kind in ("tax_grade", "customs_grade", "environmental_grade") and item.get("grade"):
            previous = grades.get(kind)
            if previous is None or decided >= previous[0]:
                grades[kind] = (decided, item["grade"])
    out[put("penalties_36m")] = float(penalties)
    out[put("serious_negative")] = float(serious)
    out[put("serious_dishonesty")] = float(dishonesty)
    out[put("dishonest_debtor")] = float(debtor)
    out[put("abnormal_operation")] = float(abnormal)
    out[put("red_list")] = float(red)
    if latest_negative is not None:
        months = _month_index(as_of) - _month_index(latest_negative)
        out[put("months_since_negative")] = float(max(months, 0))
    for kind, table in (
        ("tax_grade", TAX_GRADES),
        ("customs_grade", CUSTOMS_GRADES),
        ("environmental_grade", ENVIRONMENTAL_GRADES),
    ):
        found = grades.get(kind)
        if found is not None and found[1] in table:
            out[put(kind)] = float(table[found[1]])


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
            return f"未授权或缺少{zh}数据", f"No {en} data authorised or available"
        if feature.source == "arrears":
            return "未授权税务和社保数据", "Neither tax nor social-insurance data authorised"
        if feature.source == "utilities":
            return "未授权水电燃气数据", "No utility data authorised"
        if feature.name in _MISSING_RECORD:
            return _MISSING_RECORD[feature.name]
        return f"缺少数据（{feature.name}）", f"Data missing ({feature.name})"
    show = _SHOW[feature.show]
    return feature.zh.format(v=show(value, "zh")), feature.en.format(v=show(value, "en"))
