"""The estimated limit and rate rules, the ranking, and one SME's whole view."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from tests.domain.matching.helpers import GOOD, catalogue, product
from xinyidai.domain.matching import (
    Criterion,
    Facts,
    FactTable,
    estimate,
    estimate_one,
    evaluate,
    match_facts,
    match_snapshot,
    rank,
)
from xinyidai.domain.matching.pricing import Estimate, LimitBasis, RateBasis


def _one(facts: Facts, **fields: Any) -> Estimate:
    table = FactTable.from_facts([facts])
    return estimate_one(estimate(table, catalogue(product(**fields))), 0, 0)


@pytest.mark.parametrize(
    ("grade", "revenue", "limit", "basis"),
    [
        ("A", "12000000", "2400000", LimitBasis.REVENUE),  # 20 % of sales
        ("AAA", "12000000", "3000000", LimitBasis.REVENUE),  # 30 %: capped at the maximum
        ("BBB", "1234567", "180000", LimitBasis.REVENUE),  # 185,185.05 down to whole 万元
        ("B", "950000", None, LimitBasis.REVENUE),  # 66,500 -> 66,000: under the minimum
        ("A", None, "900000", LimitBasis.PRODUCT_MAXIMUM),  # no revenue: 30 % of the maximum
        (None, None, "150000", LimitBasis.PRODUCT_MAXIMUM),  # ungraded counts as C: 5 %
        ("AA", "0", "1200000", LimitBasis.PRODUCT_MAXIMUM),  # no sales: the fallback, 40 %
    ],
)
def test_limit(grade: str | None, revenue: str | None, limit: str | None, basis: str) -> None:
    facts = dataclasses.replace(
        GOOD, grade=grade, revenue_12m=None if revenue is None else Decimal(revenue)
    )
    result = _one(facts)
    assert result.limit_basis == basis
    assert result.offered is (limit is not None)
    assert result.limit == (None if limit is None else Decimal(limit))


def test_small_limits_round_to_thousands() -> None:
    facts = dataclasses.replace(GOOD, grade="B", revenue_12m=Decimal("950000"))
    result = _one(facts, amount_min="50000")
    assert result.offered
    assert result.limit == Decimal("66000")


@pytest.mark.parametrize(
    ("grade", "low", "high"),
    [
        ("AAA", "0.035", "0.04"),
        ("A", "0.045", "0.05"),
        ("C", "0.07", "0.075"),
    ],
)
def test_rate_band_by_grade(grade: str, low: str, high: str) -> None:
    result = _one(dataclasses.replace(GOOD, grade=grade))
    assert result.rate_basis == RateBasis.INTERPOLATED
    assert (result.rate_low, result.rate_high) == (Decimal(low), Decimal(high))


def test_rate_band_rounds_to_a_hundredth_of_a_percent() -> None:
    result = _one(dataclasses.replace(GOOD, grade="BBB"), rate_floor="0.0385", rate_ceiling="0.06")
    assert result.rate_low == Decimal("0.0466")
    assert result.rate_high in {Decimal("0.0492"), Decimal("0.0493")}
    assert Decimal("0.0385") <= result.rate_low <= result.rate_high <= Decimal("0.06")


def test_rate_of_the_grade_when_the_product_states_it() -> None:
    fields = {"rates_by_grade": {"A": "0.0420", "AA": "0.0390"}}
    result = _one(GOOD, **fields)
    assert result.rate_basis == RateBasis.GRADE_RATE
    assert result.rate_low == result.rate_high == Decimal("0.042")
    other = _one(dataclasses.replace(GOOD, grade="BB"), **fields)  # not stated: interpolated
    assert other.rate_basis == RateBasis.INTERPOLATED
    assert (other.rate_low, other.rate_high) == (Decimal("0.055"), Decimal("0.06"))


def test_no_grade_gives_the_whole_range() -> None:
    result = _one(dataclasses.replace(GOOD, grade=None), rates_by_grade={"A": "0.04"})
    assert result.rate_basis == RateBasis.FULL_RANGE
    assert (result.rate_low, result.rate_high) == (Decimal("0.035"), Decimal("0.075"))


def _ranked_catalogue() -> list[Any]:
    return [
        product({"min_grade": "AA", "min_years_operating": 20}, name="两项不满足"),  # 0
        product(amount_max="900000", name="九十万"),  # 1
        product(name="二百四十万"),  # 2
        product({"min_grade": "AA"}, name="一项不满足"),  # 3
        product(amount_min="2500000", name="不提供"),  # 4: limit 2.4M under its minimum
        product(rates_by_grade={"A": "0.04"}, name="低利率"),  # 5
        product(rates_by_grade={"A": "0.04"}, response_days=10, name="慢响应"),  # 6
    ]


def test_rank() -> None:
    c = catalogue(*_ranked_catalogue())
    table = FactTable.from_facts([GOOD])
    order = rank(evaluate(table, c), estimate(table, c), c)
    assert order.tolist() == [5, 6, 2, 1, 4, 3, 0]


def test_match_facts_is_the_whole_view() -> None:
    c = catalogue(*_ranked_catalogue())
    matches = match_facts(GOOD, c)
    assert [m.item.product.name_zh for m in matches] == [
        "低利率", "慢响应", "二百四十万", "九十万", "不提供", "一项不满足", "两项不满足",
    ]  # fmt: skip
    assert [m.eligible for m in matches] == [True] * 5 + [False] * 2
    assert matches[0].estimate.limit == Decimal("2400000")
    assert matches[4].estimate.offered is False
    assert matches[5].unmet == (Criterion.MIN_GRADE,)
    assert matches[5].reasons[0].zh == "信用等级A，低于要求的AA"
    assert matches[6].unmet == (Criterion.MIN_GRADE, Criterion.MIN_YEARS_OPERATING)
    assert len(matches[6].reasons) == 2


def test_match_snapshot() -> None:
    from tests.domain.matching.helpers import snapshot

    matches = match_snapshot(snapshot(), None, catalogue(product({"min_grade": "C"}), product()))
    assert [m.eligible for m in matches] == [True, False]
    assert matches[1].reasons[0].en.startswith("no credit score yet")
