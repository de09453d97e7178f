"""The one-row and the batch paths give the same answers, and both agree with a plain Python
reading of the rules (written here, for the test only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domain.matching.helpers import catalogue, product
from xinyidai.domain.enterprises.codes import section_of_division
from xinyidai.domain.matching import Criterion, Facts, FactTable, evaluate, evaluate_blocks
from xinyidai.domain.matching import engine as engine_module
from xinyidai.domain.products.schemas import (
    GRADES,
    TAX_GRADES,
    Exclusion,
    Flag,
    IndustryMode,
    ProductIn,
)
from xinyidai.enums import Family

DIVISIONS = ["01", "13", "26", "27", "51", "52", "65", "70"]
DISTRICTS = ["440103", "440106", "440111", "440113"]


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    division = draw(_optional(st.sampled_from(DIVISIONS)))
    section = section_of_division(division) if division else draw(_optional(st.just("C")))
    return Facts(
        grade=draw(_optional(st.sampled_from(GRADES))),
        pd=draw(_optional(st.floats(0.0001, 0.5))),
        section=section,
        division=division,
        district=draw(_optional(st.sampled_from(DISTRICTS))),
        years_operating=draw(_optional(st.floats(0, 30).map(lambda v: round(v, 2)))),
        tax_grade=draw(_optional(st.sampled_from(TAX_GRADES))),
        families=frozenset(draw(st.sets(st.sampled_from(list(Family))))),
        tax_months=draw(_optional(st.integers(0, 36))),
        revenue_12m=draw(_optional(st.integers(0, 50_000_000).map(lambda v: Decimal(v)))),
        headcount=draw(_optional(st.integers(0, 500))),
        arrears_months_12m=draw(_optional(st.integers(0, 12))),
        penalties_12m=draw(st.integers(0, 4)),
        exclusions=frozenset(draw(st.sets(st.sampled_from(list(Exclusion))))),
        flags=frozenset(draw(st.sets(st.sampled_from(list(Flag))))),
    )


def _range(draw: st.DrawFn, low: int, high: int) -> dict[str, int] | None:
    bounds = sorted(draw(st.lists(st.integers(low, high), min_size=2, max_size=2)))
    keep = draw(st.sampled_from(["min", "max", "both", "none"]))
    if keep == "none":
        return None
    out = {"min": bounds[0], "max": bounds[1]}
    return out if keep == "both" else {keep: out[keep]}


@st.composite
def products(draw: st.DrawFn) -> ProductIn:
    rule: dict[str, Any] = {}

    def maybe(name: str, strategy: st.SearchStrategy[Any]) -> None:
        if draw(st.booleans()):
            rule[name] = draw(strategy)

    maybe("min_grade", st.sampled_from(GRADES))
    maybe("max_pd", st.floats(0.001, 0.3))
    maybe(
        "industries",
        st.fixed_dictionaries(
            {
                "mode": st.sampled_from(["include", "exclude"]),
                "codes": st.sets(st.sampled_from([*DIVISIONS, "C", "F", "K"]), min_size=1).map(
                    sorted
                ),
            }
        ),
    )
    maybe("districts", st.sets(st.sampled_from(DISTRICTS), min_size=1).map(sorted))
    maybe("min_years_operating", st.floats(0, 20).map(lambda v: round(v, 1)))
    maybe("min_tax_grade", st.sampled_from(TAX_GRADES))
    maybe("required_families", st.sets(st.sampled_from([f.value for f in Family])).map(sorted))
    maybe("min_tax_months", st.integers(1, 36))
    revenue = _range(draw, 0, 50_000_000)
    if revenue:
        rule["revenue"] = {k: str(v) for k, v in revenue.items()}
    headcount = _range(draw, 0, 500)
    if headcount:
        rule["headcount"] = headcount
    maybe("max_arrears_months", st.integers(0, 12))
    maybe("max_penalties_12m", st.integers(0, 3))
    maybe("exclusions", st.sets(st.sampled_from([e.value for e in Exclusion])).map(sorted))
    maybe("flags", st.sets(st.sampled_from([f.value for f in Flag])).map(sorted))
    served = draw(st.sets(st.sampled_from(DISTRICTS)).map(sorted))
    return product(rule, districts_served=served)


# --- the rules read plainly, one SME and one product at a time --------------------------------
def _rank(value: str | None, order: tuple[str, ...]) -> int | None:
    return None if value is None else order.index(value)


def _industry_met(f: Facts, p: ProductIn) -> bool:
    rule = p.eligibility.industries
    if rule is None:
        return True
    if f.section is None and f.division is None:
        return False
    named = (f.division is not None and f.division in rule.codes) or (f.section in rule.codes)
    return named if rule.mode == IndustryMode.INCLUDE else not named


def _in_range(value: float | None, low: object, high: object) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= float(low)) and (high is None or value <= float(high))  # type: ignore[arg-type]


def plain_unmet(f: Facts, p: ProductIn) -> set[Criterion]:  # noqa: C901
    r = p.eligibility
    out: set[Criterion] = set()
    grade, tax = _rank(f.grade, GRADES), _rank(f.tax_grade, TAX_GRADES)
    if r.min_grade and (grade is None or grade > GRADES.index(r.min_grade)):
        out.add(Criterion.MIN_GRADE)
    if r.max_pd is not None and (f.pd is None or f.pd > r.max_pd):
        out.add(Criterion.MAX_PD)
    if not _industry_met(f, p):
        out.add(Criterion.INDUSTRIES)
    if r.districts and f.district not in r.districts:
        out.add(Criterion.DISTRICTS)
    if p.districts_served and f.district not in p.districts_served:
        out.add(Criterion.DISTRICTS_SERVED)
    if r.min_years_operating is not None and (
        f.years_operating is None or f.years_operating < r.min_years_operating
    ):
        out.add(Criterion.MIN_YEARS_OPERATING)
    if r.min_tax_grade and (tax is None or tax > TAX_GRADES.index(r.min_tax_grade)):
        out.add(Criterion.MIN_TAX_GRADE)
    if set(r.required_families or ()) - f.families:
        out.add(Criterion.REQUIRED_FAMILIES)
    if r.min_tax_months is not None and (f.tax_months is None or f.tax_months < r.min_tax_months):
        out.add(Criterion.MIN_TAX_MONTHS)
    if r.revenue and not _in_range(
        None if f.revenue_12m is None else float(f.revenue_12m), r.revenue.min, r.revenue.max
    ):
        out.add(Criterion.REVENUE)
    if r.headcount and not _in_range(f.headcount, r.headcount.min, r.headcount.max):
        out.add(Criterion.HEADCOUNT)
    if r.max_arrears_months is not None and (
        f.arrears_months_12m is None or f.arrears_months_12m > r.max_arrears_months
    ):
        out.add(Criterion.MAX_ARREARS_MONTHS)
    if r.max_penalties_12m is not None and f.penalties_12m > r.max_penalties_12m:
        out.add(Criterion.MAX_PENALTIES_12M)
    if set(r.exclusions) & f.exclusions:
        out.add(Criterion.EXCLUSIONS)
    if set(r.flags) - f.flags:
        out.add(Criterion.FLAGS)
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(facts(), min_size=1, max_size=25),
    items=st.lists(products(), min_size=1, max_size=12),
)
def test_one_row_equals_batch_equals_the_plain_rules(
    rows: list[Facts], items: list[ProductIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    c = catalogue(*items)
    batch = evaluate(FactTable.from_facts(rows), c)
    with monkeypatch.context() as m:  # blocks of a few rows: the batch's block path
        m.setattr(engine_module, "BLOCK_CELLS", 3 * len(items))
        blocked = evaluate(FactTable.from_facts(rows), c)
    assert np.array_equal(batch.unmet, blocked.unmet)
    for i, f in enumerate(rows):
        one = evaluate(FactTable.from_facts([f]), c)
        assert np.array_equal(one.unmet[0], batch.unmet[i])
        for j, p in enumerate(items):
            assert set(batch.criteria(i, j)) == plain_unmet(f, p), (f, p.eligibility)


def test_evaluate_blocks_covers_every_row() -> None:
    rows = [Facts(grade=g) for g in GRADES] * 3
    c = catalogue(product({"min_grade": "BBB"}), product())
    table = FactTable.from_facts(rows)
    whole = evaluate(table, c)
    parts = list(evaluate_blocks(table, c, rows=5))
    assert [start for start, _ in parts] == [0, 5, 10, 15, 20]
    assert np.array_equal(np.concatenate([r.unmet for _, r in parts]), whole.unmet)
    assert whole.eligible[:, 0].tolist() == [g in GRADES[:4] for g in GRADES] * 3
    assert whole.unmet_counts().max() == 1


def test_empty_catalogue_and_empty_table() -> None:
    from tests.domain.matching.helpers import GOOD
    from xinyidai.domain.matching import estimate, match_facts

    assert match_facts(GOOD, catalogue()) == []
    empty = FactTable.from_facts([])
    c = catalogue(product({"min_grade": "A"}))
    assert evaluate(empty, c).unmet.shape == (0, 1)
    assert estimate(empty, c).limit.shape == (0, 1)
