"""The simulated city's monthly figures are a pure, seeded function of (USCC, month, seed)."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from xinyidai.dates import months_back
from xinyidai.enums import Family
from xinyidai.models.credit_data import SERIES_MODELS
from xinyidai.simulation import (
    FAMILY_COLUMNS,
    families_of,
    firm_traits,
    is_active,
    monthly_values,
)
from xinyidai.simulation.registry import make_uscc

SEED = 2026
PROVENANCE = {"enterprise_id", "period", "source", "provider_ref", "fetched_at", "authorization_id"}
FIRMS = [make_uscc(random.Random(f"generator-{n}"), "440111") for n in range(60)]
LAST_FIVE_YEARS = months_back(date(2025, 12, 1), 60)


def active_months(uscc: str, months: list[date] = LAST_FIVE_YEARS) -> list[date]:
    traits = firm_traits(uscc, SEED)
    return [m for m in months if is_active(traits, m)]


def test_same_inputs_give_the_same_values_and_other_seeds_other_values() -> None:
    uscc, period = FIRMS[0], date(2024, 5, 1)
    first = monthly_values(uscc, period, SEED)
    assert first and monthly_values(uscc, period, SEED) == first
    assert monthly_values(uscc, period, SEED + 1) != first
    assert monthly_values(FIRMS[1], period, SEED) != first
    assert monthly_values(uscc, date(2024, 6, 1), SEED) != first


def test_values_do_not_depend_on_the_process_or_on_pythons_hash_salt() -> None:
    script = (
        "import json, datetime as d;"
        "from xinyidai.simulation import monthly_values;"
        f"v = monthly_values({FIRMS[2]!r}, d.date(2023, 2, 1), {SEED});"
        "print(json.dumps({f: {k: str(x) for k, x in c.items()} for f, c in v.items()}))"
    )
    here = {f: {k: str(x) for k, x in c.items()} for f, c in monthly_values(
        FIRMS[2], date(2023, 2, 1), SEED
    ).items()}  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "4242"}  # this process has another (random) salt
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == here


def test_the_generator_is_pure() -> None:
    """No hidden state: order of calls, other firms and the global random state change nothing."""
    uscc, period = FIRMS[3], date(2022, 11, 1)
    global_state = random.getstate()
    alone = monthly_values(uscc, period, SEED)
    for other in FIRMS[4:10]:
        monthly_values(other, date(2021, 1, 1), SEED + 7)
    random.seed(12345)
    random.random()
    assert monthly_values(uscc, period, SEED) == alone
    random.setstate(global_state)
    assert firm_traits(uscc, SEED) == firm_traits(uscc, SEED)
    with pytest.raises(AttributeError):
        firm_traits(uscc, SEED).size = 1.0  # type: ignore[misc]


def test_every_family_has_exactly_its_model_columns() -> None:
    for family, model in SERIES_MODELS.items():
        model_columns = [c.name for c in model.__table__.columns if c.name not in PROVENANCE]
        assert list(FAMILY_COLUMNS[family]) == model_columns
    seen: set[Family] = set()
    for uscc in FIRMS:
        for family, values in monthly_values(uscc, date(2025, 3, 1), SEED).items():
            assert list(values) == list(FAMILY_COLUMNS[family])
            seen.add(family)
    assert seen == set(Family)


def test_values_have_the_right_types_ranges_and_two_decimal_places() -> None:
    rows = [
        (uscc, month, monthly_values(uscc, month, SEED))
        for uscc in FIRMS[:30]
        for month in active_months(uscc, LAST_FIVE_YEARS[::5])
    ]
    assert len(rows) > 200
    late = arrears = bills = 0
    for _, _, month in rows:
        for family, values in month.items():
            for name, value in values.items():
                model_type = SERIES_MODELS[family].__table__.columns[name].type.python_type
                if model_type is int:
                    assert type(value) is int and value >= 0, (family, name)
                else:
                    assert isinstance(value, Decimal), (family, name)
                    assert value >= 0 and value.as_tuple().exponent == -2, (family, name)
            if "days_late" in values:
                bills += 1
                late += values["days_late"] > 0
                assert 0 <= values["days_late"] <= 30
        tax = month[Family.TAX]
        assert Decimal(10_000) <= tax["vat_sales"] <= Decimal(25_000_000)
        assert tax["tax_paid"] < tax["vat_sales"] * Decimal("0.1")
        assert tax["invoices_issued"] >= 1
        arrears += tax["arrears"] > 0
        power = month[Family.ELECTRICITY]
        assert Decimal("0.5") <= power["amount"] / power["kwh"] <= Decimal("1.1")
        insurance = month[Family.SOCIAL_INSURANCE]
        assert 1 <= insurance["insured_headcount"] <= 500
        per_head = insurance["contributions"] / insurance["insured_headcount"]
        assert Decimal(800) <= per_head <= Decimal(2700)
        if Family.HOUSING_FUND in month:
            assert month[Family.HOUSING_FUND]["headcount"] <= insurance["insured_headcount"] + 1
    assert late < bills * 0.2, "most bills are paid on time"
    assert arrears < len(rows) * 0.1, "most months carry no tax arrears"


def test_firms_differ_in_size_and_in_the_families_they_have() -> None:
    sales = [monthly_values(u, date(2025, 6, 1), SEED)[Family.TAX]["vat_sales"] for u in FIRMS]
    assert min(sales) < Decimal(200_000) and max(sales) > Decimal(2_000_000)
    traits = [firm_traits(u, SEED) for u in FIRMS]
    assert any(t.has_gas for t in traits) and not all(t.has_gas for t in traits)
    assert any(t.has_housing_fund for t in traits) and not all(t.has_housing_fund for t in traits)
    assert any(t.shock_month is not None for t in traits)
    for t in traits:
        values = monthly_values(t.uscc, date(2025, 6, 1), SEED)
        assert set(values) == set(families_of(t))
        assert (Family.GAS in values) == t.has_gas
        assert (Family.HOUSING_FUND in values) == t.has_housing_fund


def test_there_are_no_figures_before_a_firm_was_founded() -> None:
    traits = next(t for t in map(lambda u: firm_traits(u, SEED), FIRMS) if t.founded.year >= 2019)
    before = months_back(traits.founded, 2)[0]
    assert monthly_values(traits.uscc, before, SEED) == {}
    assert monthly_values(traits.uscc, traits.founded, SEED)


def test_chinese_new_year_months_are_below_the_firms_median() -> None:
    below = counted = 0
    for uscc in FIRMS[:45]:
        months = active_months(uscc)
        if len(months) < 36:
            continue
        sales = {m: Decimal(monthly_values(uscc, m, SEED)[Family.TAX]["vat_sales"]) for m in months}
        new_year = [v for m, v in sales.items() if m.month in (1, 2)]
        counted += 1
        below += statistics.mean(new_year) < statistics.median(sales.values())
    assert counted >= 30
    assert below >= 0.8 * counted


def test_months_back_counts_whole_months_backwards() -> None:
    assert months_back(date(2024, 3, 15), 3) == [
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]
    assert months_back(date(2024, 1, 31), 2) == [date(2023, 12, 1), date(2024, 1, 1)]
    assert months_back(date(2024, 1, 1), 0) == []
    assert len(set(months_back(date(2026, 6, 1), 60))) == 60
    with pytest.raises(ValueError, match="negative"):
        months_back(date(2024, 1, 1), -1)


def test_the_vectorised_engine_and_the_one_firm_wrappers_agree() -> None:
    """One engine: a batch of firms × months gives exactly what the scalar API gives."""
    from xinyidai.simulation.generator import family_series, month_rows, panel
    from xinyidai.simulation.traits import TraitArrays, city_traits

    usccs = FIRMS[:12]
    batch = city_traits(usccs, SEED)
    assert [batch.row(i) for i in range(len(usccs))] == [firm_traits(u, SEED) for u in usccs]
    assert TraitArrays.of([batch.row(i) for i in range(3)]).row(2) == batch.row(2)
    first, last = date(2022, 1, 1), date(2024, 12, 1)
    grid = panel(batch, first, last)
    assert grid.sales.shape == (12, 36)
    for i, uscc in enumerate(usccs):
        for family in families_of(batch.row(i)):
            rows = month_rows(grid, i, family)
            assert rows == family_series(uscc, family, first, last, SEED)
            for period, values in rows[::11]:
                assert monthly_values(uscc, period, SEED)[family] == values
    # A firm's figures do not depend on the other firms or months evaluated with it.
    alone = panel(batch.take([5]), date(2023, 6, 1), date(2023, 8, 1))
    assert (alone.sales[0] == grid.sales[5, 17:20]).all()
