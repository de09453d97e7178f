"""Each unmet criterion in words (zh-CN and English), with the SME's value and the product's
requirement, and what would change it.

A hint is given where the SME can act: authorise a data family (``AUTHORISE``, naming the
families), settle arrears (``SETTLE``), dispute a wrong record or apply for credit repair
(``DISPUTE``), keep paying on time (``IMPROVE``); for what only time changes, a time-based hint
(``WAIT``: the date a minimum age is reached, the months of filings still needed); for what it
cannot change (its industry or district, revenue above a product's maximum), none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import StrEnum

import msgspec

from xinyidai.domain.enterprises.codes import SECTION_BY_CODE
from xinyidai.domain.matching.engine import Catalogue, Criterion
from xinyidai.domain.matching.facts import FAMILIES, Facts
from xinyidai.domain.products.schemas import (
    Eligibility,
    Exclusion,
    Flag,
    IndustryMode,
    ProductIn,
)
from xinyidai.enums import Family


class Action(StrEnum):
    AUTHORISE = "authorise"  # authorise the families named
    SETTLE = "settle"  # pay off arrears
    DISPUTE = "dispute"  # dispute a wrong record or apply for credit repair
    IMPROVE = "improve"  # keep filing and paying on time
    WAIT = "wait"  # only time changes it


class Reason(msgspec.Struct, frozen=True, gc=False):
    """One unmet criterion in words, and what would change it (if anything)."""

    criterion: Criterion
    zh: str
    en: str
    hint_zh: str | None = None
    hint_en: str | None = None
    action: Action | None = None
    families: tuple[Family, ...] = ()  # for AUTHORISE: the families to authorise


FAMILY_WORDS: dict[Family, tuple[str, str]] = {
    Family.TAX: ("税务", "tax"),
    Family.ELECTRICITY: ("电费", "electricity"),
    Family.WATER: ("水费", "water"),
    Family.GAS: ("燃气费", "gas"),
    Family.SOCIAL_INSURANCE: ("社保", "social-insurance"),
    Family.HOUSING_FUND: ("公积金", "housing-fund"),
}
EXCLUSION_WORDS: dict[Exclusion, tuple[str, str]] = {
    Exclusion.SERIOUS_DISHONESTY: ("严重失信主体名单", "the serious-dishonesty list"),
    Exclusion.DISHONEST_DEBTOR: ("失信被执行人名单", "the list of dishonest judgment debtors"),
    Exclusion.ABNORMAL_OPERATION: ("经营异常名录", "the abnormal-operation list"),
}
FLAG_WORDS: dict[Flag, tuple[str, str]] = {
    Flag.SPECIALISED: ("专精特新企业", "specialised and innovative (专精特新) enterprises"),
    Flag.HIGH_TECH: ("高新技术企业", "high-tech enterprises"),
    Flag.GREEN: ("绿色企业（环境信用绿牌）", "green enterprises (a green environmental grade)"),
}


# --- words for values ---------------------------------------------------------------------------
def money_zh(yuan: Decimal | float) -> str:
    value = Decimal(str(yuan))
    if value >= 100_000_000:
        return f"{(value / 100_000_000).quantize(Decimal('0.01'))}亿元"
    if value >= 10_000:
        wan = (value / 10_000).quantize(Decimal("0.01")).normalize()
        return f"{wan:f}万元"
    return f"{value.quantize(Decimal('1')):f}元"


def money_en(yuan: Decimal | float) -> str:
    value = Decimal(str(yuan))
    if value >= 1_000_000:
        return f"CNY {(value / 1_000_000).quantize(Decimal('0.01')).normalize():f} million"
    return f"CNY {value.quantize(Decimal('1')):,f}"


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%".replace(".00%", "%")


def _years(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _join_zh(words: Iterable[str]) -> str:
    return "、".join(words)


def _join_en(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _families(families: Iterable[Family]) -> tuple[str, str]:
    ordered = [f for f in FAMILIES if f in set(families)]
    return (
        _join_zh(FAMILY_WORDS[f][0] for f in ordered),
        _join_en([FAMILY_WORDS[f][1] for f in ordered]),
    )


def _authorise(criterion: Criterion, zh: str, en: str, families: Iterable[Family]) -> Reason:
    ordered = tuple(f for f in FAMILIES if f in set(families))
    names_zh, names_en = _families(ordered)
    return Reason(
        criterion,
        zh,
        en,
        f"授权{names_zh}数据",
        f"authorise your {names_en} data",
        Action.AUTHORISE,
        ordered,
    )


def _score_hint(criterion: Criterion, facts: Facts, zh: str, en: str) -> Reason:
    missing = [f for f in FAMILIES if f not in facts.families]
    if missing:
        names_zh, names_en = _families(missing)
        return Reason(
            criterion,
            zh,
            en,
            f"授权更多数据（{names_zh}），让评分看到更完整的经营情况",
            f"authorise more data ({names_en}) so the score sees more of your business",
            Action.AUTHORISE,
            tuple(missing),
        )
    return Reason(
        criterion,
        zh,
        en,
        "按时纳税、缴费和缴纳社保，评分会随记录改善",
        "pay taxes, bills and contributions on time: the score improves with your record",
        Action.IMPROVE,
    )


def _add_years(day: dt.date, years: float) -> dt.date:
    return day + dt.timedelta(days=round(years * 365.25))


# --- one sentence per criterion -----------------------------------------------------------------
def _min_grade(facts: Facts, rule: Eligibility) -> Reason:
    required = str(rule.min_grade)
    if facts.grade is None:
        zh = f"暂无信用评分，本产品要求信用等级{required}及以上"
        en = f"no credit score yet; this product requires grade {required} or better"
    else:
        zh = f"信用等级{facts.grade}，低于要求的{required}"
        en = f"credit grade {facts.grade}; this product requires {required} or better"
    return _score_hint(Criterion.MIN_GRADE, facts, zh, en)


def _max_pd(facts: Facts, rule: Eligibility) -> Reason:
    limit = _pct(float(rule.max_pd or 0))
    if facts.pd is None:
        zh = f"暂无信用评分，本产品要求违约概率不高于{limit}"
        en = f"no credit score yet; this product accepts a probability of default up to {limit}"
    else:
        zh = f"违约概率{_pct(facts.pd)}，高于本产品上限{limit}"
        en = f"probability of default {_pct(facts.pd)}; this product accepts at most {limit}"
    return _score_hint(Criterion.MAX_PD, facts, zh, en)


def _industry_words(facts: Facts) -> tuple[str, str]:
    section = SECTION_BY_CODE.get(facts.section or "")
    division_zh = f"，大类{facts.division}" if facts.division else ""
    division_en = f", division {facts.division}" if facts.division else ""
    if section is None:
        return f"行业{facts.division or ''}", f"industry {facts.division or ''}"
    return (
        f"{section.code} {section.zh}{division_zh}",
        f"{section.code} {section.en}{division_en}",
    )


def _industries(facts: Facts, rule: Eligibility) -> Reason:
    if facts.section is None and facts.division is None:
        return Reason(
            Criterion.INDUSTRIES,
            "工商登记中缺少行业信息，无法确认是否属于本产品服务的行业",
            "your industry is not on record, so this product's industry rule cannot be met",
            "核对工商登记信息，如有误可提出异议",
            "check your registration details and dispute them if wrong",
            Action.DISPUTE,
        )
    zh_words, en_words = _industry_words(facts)
    if rule.industries is not None and rule.industries.mode == IndustryMode.EXCLUDE:
        zh = f"本产品不面向所属行业（{zh_words}）"
        en = f"this product excludes your industry ({en_words})"
    else:
        zh = f"所属行业（{zh_words}）不在本产品服务的行业范围内"
        en = f"your industry ({en_words}) is not among those this product serves"
    return Reason(Criterion.INDUSTRIES, zh, en)


def _districts(facts: Facts, rule: Eligibility) -> Reason:
    if facts.district is None:
        return Reason(
            Criterion.DISTRICTS,
            "工商登记中缺少注册地区，无法确认是否在本产品要求的地区",
            "your district is not on record, so this product's district rule cannot be met",
        )
    return Reason(
        Criterion.DISTRICTS,
        f"注册地区（{facts.district}）不在本产品要求的地区范围内",
        f"registered in district {facts.district}, outside the districts this product requires",
    )


def _served(facts: Facts, rule: Eligibility) -> Reason:
    if facts.district is None:
        return Reason(
            Criterion.DISTRICTS_SERVED,
            "工商登记中缺少注册地区，无法确认本产品是否在你所在的地区提供服务",
            "your district is not on record, so this product's service area cannot be met",
        )
    return Reason(
        Criterion.DISTRICTS_SERVED,
        f"本产品不在你所在的地区（{facts.district}）提供服务",
        f"the bank does not offer this product in your district ({facts.district})",
    )


def _min_years(facts: Facts, rule: Eligibility) -> Reason:
    required = float(rule.min_years_operating or 0)
    if facts.years_operating is None:
        return Reason(
            Criterion.MIN_YEARS_OPERATING,
            f"工商登记中缺少成立日期，本产品要求成立满{_years(required)}年",
            f"your founding date is not on record; this product requires "
            f"{_years(required)} years of operation",
        )
    zh = f"成立{_years(facts.years_operating)}年，本产品要求至少{_years(required)}年"
    en = (
        f"operating for {_years(facts.years_operating)} years; this product requires "
        f"at least {_years(required)}"
    )
    if facts.founded_on is not None:
        day = _add_years(facts.founded_on, required).isoformat()
        return Reason(
            Criterion.MIN_YEARS_OPERATING, zh, en, f"{day}起满足", f"met from {day}", Action.WAIT
        )
    months = max(1, round((required - facts.years_operating) * 12))
    return Reason(
        Criterion.MIN_YEARS_OPERATING,
        zh,
        en,
        f"约{months}个月后满足",
        f"met in about {months} months",
        Action.WAIT,
    )


def _min_tax_grade(facts: Facts, rule: Eligibility) -> Reason:
    required = str(rule.min_tax_grade)
    if facts.tax_grade is None:
        zh = f"暂无纳税信用等级记录，本产品要求{required}级及以上"
        en = f"no tax credit grade on record; this product requires {required} or better"
    else:
        zh = f"纳税信用等级{facts.tax_grade}，低于要求的{required}"
        en = f"tax credit grade {facts.tax_grade}; this product requires {required}"
    return Reason(
        Criterion.MIN_TAX_GRADE,
        zh,
        en,
        "纳税信用等级每年4月评定上一年度：按时申报缴税；如等级有误可提出异议",
        "tax grades are set each April for the year before: file and pay on time; "
        "if the grade is wrong, dispute it",
        Action.IMPROVE,
    )


def _required_families(facts: Facts, rule: Eligibility) -> Reason:
    missing = [f for f in FAMILIES if f in set(rule.required_families or ()) - facts.families]
    names_zh, names_en = _families(missing)
    return _authorise(
        Criterion.REQUIRED_FAMILIES,
        f"未授权{names_zh}数据，本产品要求授权",
        f"{names_en} data not authorised; this product requires it",
        missing,
    )


def _min_tax_months(facts: Facts, rule: Eligibility) -> Reason:
    required = int(rule.min_tax_months or 0)
    if facts.tax_months is None:
        return _authorise(
            Criterion.MIN_TAX_MONTHS,
            f"未授权税务数据，无法确认纳税记录月数（本产品要求{required}个月）",
            f"months of tax figures unknown: tax data not authorised "
            f"(this product requires {required})",
            [Family.TAX],
        )
    more = required - facts.tax_months
    return Reason(
        Criterion.MIN_TAX_MONTHS,
        f"近3年有{facts.tax_months}个月纳税数据，本产品要求至少{required}个月",
        f"{facts.tax_months} months of tax figures in the last 3 years; "
        f"this product requires {required}",
        f"再积累{more}个月纳税申报后满足",
        f"met after {more} more months of tax filings",
        Action.WAIT,
    )


def _revenue(facts: Facts, rule: Eligibility) -> Reason:
    low = rule.revenue.min if rule.revenue else None
    high = rule.revenue.max if rule.revenue else None
    if facts.revenue_12m is None:
        return _authorise(
            Criterion.REVENUE,
            "未授权税务数据，无法确认近12个月开票销售额",
            "revenue unknown: tax data not authorised",
            [Family.TAX],
        )
    value_zh, value_en = money_zh(facts.revenue_12m), money_en(facts.revenue_12m)
    if low is not None and facts.revenue_12m < low:
        return Reason(
            Criterion.REVENUE,
            f"近12个月开票销售额{value_zh}，低于要求的{money_zh(low)}",
            f"invoiced sales of {value_en} in the last 12 months; "
            f"this product requires at least {money_en(low)}",
        )
    return Reason(
        Criterion.REVENUE,
        f"近12个月开票销售额{value_zh}，高于本产品上限{money_zh(high or 0)}",
        f"invoiced sales of {value_en} in the last 12 months; "
        f"this product is for sales up to {money_en(high or 0)}",
    )


def _headcount(facts: Facts, rule: Eligibility) -> Reason:
    low = rule.headcount.min if rule.headcount else None
    high = rule.headcount.max if rule.headcount else None
    if facts.headcount is None:
        return _authorise(
            Criterion.HEADCOUNT,
            "未授权社保数据，无法确认参保人数",
            "headcount unknown: social-insurance data not authorised",
            [Family.SOCIAL_INSURANCE],
        )
    if low is not None and facts.headcount < low:
        return Reason(
            Criterion.HEADCOUNT,
            f"参保人数{facts.headcount}人，少于要求的{low}人",
            f"{facts.headcount} insured employees; this product requires at least {low}",
        )
    return Reason(
        Criterion.HEADCOUNT,
        f"参保人数{facts.headcount}人，多于本产品上限{high}人",
        f"{facts.headcount} insured employees; this product is for at most {high}",
    )


def _max_arrears(facts: Facts, rule: Eligibility) -> Reason:
    allowed = rule.max_arrears_months
    if facts.arrears_months_12m is None:
        return _authorise(
            Criterion.MAX_ARREARS_MONTHS,
            "未授权税务或社保数据，无法确认近12个月欠缴情况",
            "arrears unknown: neither tax nor social-insurance data authorised",
            [Family.TAX, Family.SOCIAL_INSURANCE],
        )
    return Reason(
        Criterion.MAX_ARREARS_MONTHS,
        f"近12个月有{facts.arrears_months_12m}个月欠税或欠缴社保，本产品最多允许{allowed}个月",
        f"tax or social-insurance arrears in {facts.arrears_months_12m} of the last 12 months; "
        f"this product allows at most {allowed}",
        "结清欠款（欠缴月份12个月后不再计入）；如记录有误可提出异议",
        "settle the arrears (a month in arrears stops counting after 12 months); "
        "if a record is wrong, dispute it",
        Action.SETTLE,
    )


def _max_penalties(facts: Facts, rule: Eligibility) -> Reason:
    allowed = rule.max_penalties_12m
    return Reason(
        Criterion.MAX_PENALTIES_12M,
        f"近12个月有{facts.penalties_12m}次行政处罚，本产品最多允许{allowed}次",
        f"{facts.penalties_12m} administrative penalties in the last 12 months; "
        f"this product allows at most {allowed}",
        "处罚记录有误可提出异议；已整改的可申请信用修复（处罚满12个月后不再计入）",
        "dispute a wrong record, or apply for credit repair once rectified "
        "(a penalty stops counting 12 months after its decision)",
        Action.DISPUTE,
    )


def _exclusions(facts: Facts, rule: Eligibility) -> Reason:
    present = [e for e in rule.exclusions if e in facts.exclusions]
    return Reason(
        Criterion.EXCLUSIONS,
        f"被列入{_join_zh(EXCLUSION_WORDS[e][0] for e in present)}，本产品不予受理",
        f"on {_join_en([EXCLUSION_WORDS[e][1] for e in present])}; this product excludes it",
        "记录有误可提出异议；履行义务或整改后可申请信用修复",
        "dispute the record if it is wrong, or apply for credit repair once the obligation is met",
        Action.DISPUTE,
    )


def _flags(facts: Facts, rule: Eligibility) -> Reason:
    missing = [f for f in rule.flags if f not in facts.flags]
    return Reason(
        Criterion.FLAGS,
        f"本产品面向{_join_zh(FLAG_WORDS[f][0] for f in missing)}，你的公共信用记录中没有相应认定",
        f"this product is for {_join_en([FLAG_WORDS[f][1] for f in missing])}; "
        "your public record shows no such recognition",
        "如已获认定但记录中没有，可提出异议",
        "if you hold it but the record is missing, raise a dispute",
        Action.DISPUTE,
    )


_EXPLAIN: dict[Criterion, Callable[[Facts, Eligibility], Reason]] = {
    Criterion.MIN_GRADE: _min_grade,
    Criterion.MAX_PD: _max_pd,
    Criterion.INDUSTRIES: _industries,
    Criterion.DISTRICTS: _districts,
    Criterion.DISTRICTS_SERVED: _served,
    Criterion.MIN_YEARS_OPERATING: _min_years,
    Criterion.MIN_TAX_GRADE: _min_tax_grade,
    Criterion.REQUIRED_FAMILIES: _required_families,
    Criterion.MIN_TAX_MONTHS: _min_tax_months,
    Criterion.REVENUE: _revenue,
    Criterion.HEADCOUNT: _headcount,
    Criterion.MAX_ARREARS_MONTHS: _max_arrears,
    Criterion.MAX_PENALTIES_12M: _max_penalties,
    Criterion.EXCLUSIONS: _exclusions,
    Criterion.FLAGS: _flags,
}
assert set(_EXPLAIN) == set(Criterion)


def explain(facts: Facts, product: ProductIn, criterion: Criterion) -> Reason:
    """The sentence (and hint) of one unmet criterion of ``product`` for this SME."""
    return _EXPLAIN[criterion](facts, product.eligibility)


def explain_all(facts: Facts, product: ProductIn, criteria: Iterable[Criterion]) -> list[Reason]:
    """:func:`explain` of each criterion, in order."""
    return [explain(facts, product, c) for c in criteria]


class Explainer:
    """:func:`explain` for one SME over many products: a sentence is made once per criterion
    and requirement (products that require the same grade share the sentence)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._made: dict[tuple[Criterion, object], Reason] = {}

    def reasons(
        self, catalogue: Catalogue, product: int, criteria: Iterable[Criterion]
    ) -> tuple[Reason, ...]:
        """The reasons of ``criteria`` for the catalogue's product at index ``product``."""
        requirements = catalogue.requirements[product]
        out = []
        for criterion in criteria:
            key = (criterion, requirements[criterion])
            reason = self._made.get(key)
            if reason is None:
                reason = explain(self.facts, catalogue.items[product].product, criterion)
                self._made[key] = reason
            out.append(reason)
        return tuple(out)
