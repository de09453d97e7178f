"""Every criterion with both outcomes, and its sentence in both languages with its hint."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from tests.domain.matching.helpers import GOOD, catalogue, product
from xinyidai.domain.matching import (
    Action,
    Criterion,
    FactTable,
    evaluate,
    explain_all,
)
from xinyidai.domain.products.schemas import Exclusion, Flag
from xinyidai.enums import Family

NO_ELECTRICITY = frozenset(Family) - {Family.ELECTRICITY}
NO_TAX = frozenset(Family) - {Family.TAX}


@dataclasses.dataclass
class Case:
    id: str
    criterion: Criterion
    rule: dict[str, Any]
    passing: dict[str, Any]  # replacements of GOOD that meet the rule
    failing: dict[str, Any]  # replacements of GOOD that do not
    zh: str  # in the Chinese sentence
    en: str  # in the English sentence
    action: Action | None  # the hint's kind, None: no hint
    hint_zh: str = ""
    hint_en: str = ""
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)  # product fields


C = Criterion
CASES = [
    Case("grade", C.MIN_GRADE, {"min_grade": "A"}, {"grade": "AA"}, {"grade": "BB"},
         "信用等级BB，低于要求的A", "credit grade BB; this product requires A or better",
         Action.IMPROVE, "按时纳税", "pay taxes"),
    Case("grade-none", C.MIN_GRADE, {"min_grade": "A"}, {"grade": "A"}, {"grade": None},
         "暂无信用评分", "no credit score yet", Action.IMPROVE),
    Case("grade-few-families", C.MIN_GRADE, {"min_grade": "A"}, {},
         {"grade": "B", "families": NO_ELECTRICITY}, "信用等级B", "credit grade B",
         Action.AUTHORISE, "授权更多数据（电费）", "authorise more data (electricity)"),
    Case("pd", C.MAX_PD, {"max_pd": 0.02}, {"pd": 0.0199}, {"pd": 0.035},
         "违约概率3.50%，高于本产品上限2%",
         "probability of default 3.50%; this product accepts at most 2%", Action.IMPROVE),
    Case("pd-none", C.MAX_PD, {"max_pd": 0.02}, {}, {"pd": None}, "暂无信用评分",
         "no credit score yet", Action.IMPROVE),
    Case("industry-section", C.INDUSTRIES, {"industries": {"mode": "include", "codes": ["C"]}},
         {"section": "C", "division": "13"}, {"section": "F", "division": "51"},
         "所属行业（F 批发和零售业，大类51）不在本产品服务的行业范围内",
         "your industry (F Wholesale and retail trade, division 51) is not among", None),
    Case("industry-division", C.INDUSTRIES,
         {"industries": {"mode": "include", "codes": ["26", "F"]}},
         {"section": "F", "division": "52"}, {"section": "C", "division": "27"},
         "大类27", "division 27", None),
    Case("industry-exclude", C.INDUSTRIES,
         {"industries": {"mode": "exclude", "codes": ["26"]}},
         {"division": "27"}, {"division": "26"},
         "本产品不面向所属行业（C 制造业，大类26）", "this product excludes your industry (C ",
         None),
    Case("industry-unknown", C.INDUSTRIES,
         {"industries": {"mode": "exclude", "codes": ["K"]}}, {},
         {"section": None, "division": None}, "缺少行业信息", "industry is not on record",
         Action.DISPUTE),
    Case("district", C.DISTRICTS, {"districts": ["440106", "440111"]}, {"district": "440111"},
         {"district": "440103"}, "注册地区（440103）不在本产品要求的地区范围内",
         "registered in district 440103, outside", None),
    Case("district-unknown", C.DISTRICTS, {"districts": ["440106"]}, {}, {"district": None},
         "缺少注册地区", "district is not on record", None),
    Case("served", C.DISTRICTS_SERVED, {}, {"district": "440106"}, {"district": "440113"},
         "本产品不在你所在的地区（440113）提供服务",
         "the bank does not offer this product in your district (440113)", None,
         fields={"districts_served": ["440106", "440104"]}),
    Case("served-unknown", C.DISTRICTS_SERVED, {}, {}, {"district": None},
         "缺少注册地区", "your district is not on record", None,
         fields={"districts_served": ["440106"]}),
    Case("years", C.MIN_YEARS_OPERATING, {"min_years_operating": 10}, {"years_operating": 10.0},
         {"years_operating": 8.0}, "成立8年，本产品要求至少10年",
         "operating for 8 years; this product requires at least 10", Action.WAIT,
         "2028-01-01起满足", "met from 2028-01-01"),
    Case("years-no-date", C.MIN_YEARS_OPERATING, {"min_years_operating": 3},
         {}, {"years_operating": 2.5, "founded_on": None}, "成立2.5年",
         "operating for 2.5 years", Action.WAIT, "约6个月后满足", "met in about 6 months"),
    Case("tax-grade", C.MIN_TAX_GRADE, {"min_tax_grade": "A"}, {"tax_grade": "A"},
         {"tax_grade": "B"}, "纳税信用等级B，低于要求的A",
         "tax credit grade B; this product requires A", Action.IMPROVE, "每年4月", "each April"),
    Case("tax-grade-order", C.MIN_TAX_GRADE, {"min_tax_grade": "M"}, {"tax_grade": "B"},
         {"tax_grade": "C"}, "纳税信用等级C，低于要求的M",
         "tax credit grade C; this product requires M", Action.IMPROVE),
    Case("tax-grade-none", C.MIN_TAX_GRADE, {"min_tax_grade": "B"}, {}, {"tax_grade": None},
         "暂无纳税信用等级记录", "no tax credit grade on record", Action.IMPROVE),
    Case("families", C.REQUIRED_FAMILIES, {"required_families": ["tax", "electricity"]},
         {}, {"families": NO_ELECTRICITY}, "未授权电费数据", "electricity data not authorised",
         Action.AUTHORISE, "授权电费数据", "authorise your electricity data"),
    Case("tax-months", C.MIN_TAX_MONTHS, {"min_tax_months": 24}, {"tax_months": 24},
         {"tax_months": 14}, "近3年有14个月纳税数据，本产品要求至少24个月",
         "14 months of tax figures in the last 3 years; this product requires 24",
         Action.WAIT, "再积累10个月", "10 more months"),
    Case("tax-months-unauthorised", C.MIN_TAX_MONTHS, {"min_tax_months": 12}, {},
         {"tax_months": None, "families": NO_TAX}, "未授权税务数据",
         "tax data not authorised", Action.AUTHORISE, "授权税务数据", "authorise your tax data"),
    Case("revenue-min", C.REVENUE, {"revenue": {"min": "5000000"}},
         {"revenue_12m": Decimal("5000000.00")}, {"revenue_12m": Decimal("3200000.00")},
         "近12个月开票销售额320万元，低于要求的500万元",
         "invoiced sales of CNY 3.2 million in the last 12 months; this product requires at "
         "least CNY 5 million", None),
    Case("revenue-max", C.REVENUE, {"revenue": {"max": "10000000"}},
         {"revenue_12m": Decimal("10000000")}, {"revenue_12m": Decimal("12000000")},
         "高于本产品上限1000万元", "this product is for sales up to CNY 10 million", None),
    Case("revenue-unauthorised", C.REVENUE, {"revenue": {"min": "1"}}, {},
         {"revenue_12m": None, "families": NO_TAX},
         "未授权税务数据，无法确认近12个月开票销售额", "revenue unknown: tax data not authorised",
         Action.AUTHORISE, "授权税务数据", "authorise your tax data"),
    Case("headcount-min", C.HEADCOUNT, {"headcount": {"min": 50}}, {"headcount": 50},
         {"headcount": 40}, "参保人数40人，少于要求的50人",
         "40 insured employees; this product requires at least 50", None),
    Case("headcount-max", C.HEADCOUNT, {"headcount": {"max": 30}}, {"headcount": 30},
         {"headcount": 40}, "多于本产品上限30人", "this product is for at most 30", None),
    Case("headcount-unauthorised", C.HEADCOUNT, {"headcount": {"min": 1}}, {},
         {"headcount": None}, "未授权社保数据", "social-insurance data not authorised",
         Action.AUTHORISE, "授权社保数据", "authorise your social-insurance data"),
    Case("arrears", C.MAX_ARREARS_MONTHS, {"max_arrears_months": 1},
         {"arrears_months_12m": 1}, {"arrears_months_12m": 3},
         "近12个月有3个月欠税或欠缴社保，本产品最多允许1个月",
         "arrears in 3 of the last 12 months; this product allows at most 1", Action.SETTLE,
         "结清欠款", "settle the arrears"),
    Case("arrears-unknown", C.MAX_ARREARS_MONTHS, {"max_arrears_months": 0}, {},
         {"arrears_months_12m": None}, "无法确认近12个月欠缴情况", "arrears unknown",
         Action.AUTHORISE, "授权税务、社保数据", "authorise your tax and social-insurance data"),
    Case("penalties", C.MAX_PENALTIES_12M, {"max_penalties_12m": 0}, {"penalties_12m": 0},
         {"penalties_12m": 2}, "近12个月有2次行政处罚，本产品最多允许0次",
         "2 administrative penalties in the last 12 months; this product allows at most 0",
         Action.DISPUTE, "信用修复", "credit repair"),
    Case("exclusions", C.EXCLUSIONS, {"exclusions": ["serious_dishonesty", "dishonest_debtor"]},
         {"exclusions": frozenset({Exclusion.ABNORMAL_OPERATION})},
         {"exclusions": frozenset({Exclusion.DISHONEST_DEBTOR})},
         "被列入失信被执行人名单", "on the list of dishonest judgment debtors",
         Action.DISPUTE, "异议", "dispute"),
    Case("flags", C.FLAGS, {"flags": ["specialised", "green"]},
         {"flags": frozenset({Flag.SPECIALISED, Flag.GREEN, Flag.HIGH_TECH})},
         {"flags": frozenset({Flag.GREEN})}, "本产品面向专精特新企业",
         "this product is for specialised and innovative", Action.DISPUTE),
]  # fmt: skip


def _unmet(facts: Any, case: Case) -> list[Criterion]:
    results = evaluate(FactTable.from_facts([facts]), catalogue(product(case.rule, **case.fields)))
    return results.criteria(0, 0)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_met(case: Case) -> None:
    assert _unmet(dataclasses.replace(GOOD, **case.passing), case) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_unmet_and_said(case: Case) -> None:
    facts = dataclasses.replace(GOOD, **case.failing)
    assert _unmet(facts, case) == [case.criterion]
    [reason] = explain_all(facts, product(case.rule, **case.fields), [case.criterion])
    assert reason.criterion is case.criterion
    assert case.zh in reason.zh
    assert case.en in reason.en
    assert reason.action is case.action
    if case.action is None:
        assert reason.hint_zh is None
        assert reason.hint_en is None
    else:
        assert reason.hint_zh
        assert reason.hint_en
        assert case.hint_zh in reason.hint_zh
        assert case.hint_en in reason.hint_en


def test_every_criterion_has_a_case() -> None:
    assert {c.criterion for c in CASES} == set(Criterion)


def test_no_rule_no_criterion() -> None:
    empty = dataclasses.replace(
        GOOD,
        grade=None,
        pd=None,
        section=None,
        division=None,
        district=None,
        years_operating=None,
        tax_grade=None,
        families=frozenset(),
        tax_months=None,
        revenue_12m=None,
        headcount=None,
        arrears_months_12m=None,
    )
    results = evaluate(FactTable.from_facts([empty]), catalogue(product()))
    assert results.criteria(0, 0) == []
    assert bool(results.eligible[0, 0])


def test_authorise_hint_names_the_families() -> None:
    case = next(c for c in CASES if c.id == "families")
    facts = dataclasses.replace(GOOD, families=frozenset({Family.WATER}))
    rule = {"required_families": ["social_insurance", "tax", "electricity"]}
    [reason] = explain_all(facts, product(rule), [case.criterion])
    assert reason.families == (Family.TAX, Family.ELECTRICITY, Family.SOCIAL_INSURANCE)
    assert reason.hint_zh == "授权税务、电费、社保数据"
    assert reason.hint_en == "authorise your tax, electricity and social-insurance data"


def test_several_unmet_in_order() -> None:
    facts = dataclasses.replace(GOOD, grade="C", tax_grade="D", penalties_12m=3)
    rule = {"min_grade": "BBB", "min_tax_grade": "B", "max_penalties_12m": 1}
    results = evaluate(FactTable.from_facts([facts]), catalogue(product(rule)))
    assert results.criteria(0, 0) == [C.MIN_GRADE, C.MIN_TAX_GRADE, C.MAX_PENALTIES_12M]
    assert not results.eligible[0, 0]
