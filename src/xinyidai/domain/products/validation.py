"""The rules between a product's fields that its types cannot state. Each failure is a
422 naming the path of the failing value (``eligibility.revenue.min``) and a rule code."""

from __future__ import annotations

from decimal import Decimal

from xinyidai.domain.enterprises.codes import CodeError, section_of_division, validate_district
from xinyidai.domain.products.schemas import (
    MAX_MONEY,
    MAX_RATE,
    CountRange,
    Eligibility,
    MoneyRange,
    ProductIn,
)
from xinyidai.infra.errors import InvalidInput

SECTION_CODES = frozenset("ABCDEFGHIJKLMNOPQRST")


def _fail(path: str, message: str, code: str) -> InvalidInput:
    return InvalidInput.field(path, message, code)


def _money(path: str, value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value > MAX_MONEY:
        raise _fail(path, "an amount is between 0 and 100,000,000,000 yuan", "amount_range")
    if value != value.quantize(Decimal("0.01")):
        raise _fail(path, "an amount has at most 2 decimal places", "amount_precision")


def _rate(path: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0 or value > MAX_RATE:
        raise _fail(path, "a rate is above 0 and at most 0.36 (36%)", "rate_range")
    if value != value.quantize(Decimal("0.000001")):
        raise _fail(path, "a rate has at most 6 decimal places", "rate_precision")


def _ordered(path: str, low: object, high: object, what: str) -> None:
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        raise _fail(f"{path}.min", f"the minimum {what} is above the maximum", "min_above_max")


def _districts(path: str, codes: list[str]) -> None:
    for n, code in enumerate(codes):
        try:
            validate_district(code)
        except CodeError as exc:
            raise _fail(f"{path}[{n}]", exc.message, exc.rule) from exc
    if len(set(codes)) != len(codes):
        raise _fail(path, "a district is listed twice", "duplicate")


def _industries(path: str, codes: list[str]) -> None:
    for n, code in enumerate(codes):
        at = f"{path}[{n}]"
        if len(code) == 2:
            try:
                section_of_division(code)
            except CodeError as exc:
                raise _fail(at, exc.message, exc.rule) from exc
        elif code not in SECTION_CODES:
            raise _fail(at, f"{code} is not a GB/T 4754 section", "industry_section_unknown")
    if len(set(codes)) != len(codes):
        raise _fail(path, "an industry is listed twice", "duplicate")


def check_eligibility(rule: Eligibility, path: str = "eligibility") -> None:
    if rule.industries is not None:
        _industries(f"{path}.industries.codes", rule.industries.codes)
    if rule.districts is not None:
        _districts(f"{path}.districts", rule.districts)
    if isinstance(rule.revenue, MoneyRange):
        for end in ("min", "max"):
            value = getattr(rule.revenue, end)
            if value is not None:
                _money(f"{path}.revenue.{end}", value)
        _ordered(f"{path}.revenue", rule.revenue.min, rule.revenue.max, "revenue")
    if isinstance(rule.headcount, CountRange):
        _ordered(f"{path}.headcount", rule.headcount.min, rule.headcount.max, "headcount")
    for name in ("required_families", "exclusions", "flags"):
        values = getattr(rule, name) or []
        if len(set(values)) != len(values):
            raise _fail(f"{path}.{name}", "a value is listed twice", "duplicate")


def check_product(product: ProductIn) -> None:
    """Raise :class:`InvalidInput` at the first rule the product breaks."""
    _money("amount_min", product.amount_min)
    _money("amount_max", product.amount_max)
    if product.amount_max <= 0:
        raise _fail("amount_max", "the maximum amount must be above 0", "amount_range")
    if product.amount_min > product.amount_max:
        raise _fail("amount_min", "the minimum amount is above the maximum", "min_above_max")
    if product.term_min_months > product.term_max_months:
        raise _fail("term_min_months", "the shortest term is above the longest", "min_above_max")
    _rate("rate_floor", product.rate_floor)
    _rate("rate_ceiling", product.rate_ceiling)
    if product.rate_ceiling < product.rate_floor:
        raise _fail("rate_ceiling", "the rate ceiling is under the floor", "ceiling_under_floor")
    for grade, rate in product.rates_by_grade.items():
        at = f"rates_by_grade.{grade}"
        _rate(at, rate)
        if not product.rate_floor <= rate <= product.rate_ceiling:
            raise _fail(at, "a grade's rate lies between the floor and the ceiling", "rate_outside")
    if len(set(product.repayment_methods)) != len(product.repayment_methods):
        raise _fail("repayment_methods", "a method is listed twice", "duplicate")
    _districts("districts_served", product.districts_served)
    check_eligibility(product.eligibility)
