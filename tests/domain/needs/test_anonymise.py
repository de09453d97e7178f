"""The k-anonymity ladder and the bands, as pure functions, on generated registries where
districts hold only one to four firms of an industry; and the working-day arithmetic."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyidai.dates import add_working_days
from xinyidai.domain.enterprises.codes import section_of_division
from xinyidai.domain.needs import anonymise
from xinyidai.domain.needs.anonymise import (
    LADDER,
    Generalisation,
    K,
    RegistryCounts,
    SizeBand,
    generalise,
)

DIVISIONS = ["13", "26", "39", "51", "52", "65", "72"]  # C, C, C, F, F, I, L
DISTRICTS = ["440103", "440104", "440106", "440113", "440305", "440306"]  # Guangzhou, Shenzhen


def _members(
    firms: list[tuple[str, str]], level: Generalisation, division: str, district: str
) -> int:
    """How many firms share what ``level`` shows of (division, district), counted the slow way."""
    want = RegistryCounts.key(level, division, district)
    return sum(1 for d, x in firms if RegistryCounts.key(level, d, x) == want)


def _registry(rng: random.Random) -> list[tuple[str, str]]:
    """A registry where most (division, district) cells are thin: 0 to 4 firms, a few dense."""
    firms = []
    for division in DIVISIONS:
        for district in DISTRICTS:
            n = rng.choice([0, 1, 1, 2, 3, 4, 4, 6, 12])
            firms += [(division, district)] * n
    return firms


@pytest.mark.parametrize("seed", range(40))
def test_every_listing_shows_a_group_of_at_least_k_registered_firms(seed: int) -> None:
    rng = random.Random(seed)
    firms = _registry(rng)
    counts = RegistryCounts((d, x, n) for (d, x), n in Counter(firms).items())
    thin = [(d, x) for (d, x), n in Counter(firms).items() if n < K]
    assert thin, "the generated registry has thin cells"
    for division, district in set(firms):
        shown = generalise(counts, division, district)
        if shown is None:  # withheld: even the whole city has fewer than K
            assert _members(firms, Generalisation.CITY, division, district) < K
            continue
        members = _members(firms, shown.level, division, district)
        assert shown.k == members >= K
        # it is the finest step that reaches K
        for finer in LADDER[: LADDER.index(shown.level)]:
            assert _members(firms, finer, division, district) < K
        # and it shows what the step says, and nothing finer
        if shown.level is Generalisation.DIVISION_DISTRICT:
            assert (shown.industry, shown.district) == (division, district)
        elif shown.level is Generalisation.SECTION_DISTRICT:
            assert (shown.industry, shown.district) == (section_of_division(division), district)
        elif shown.level is Generalisation.SECTION_CITY:
            assert (shown.industry, shown.district) == (
                section_of_division(division),
                district[:4] + "00",
            )
        else:
            assert (shown.industry, shown.district) == (None, district[:4] + "00")


def test_a_district_with_one_to_four_firms_of_an_industry_climbs_the_ladder() -> None:
    firms = (
        [("39", "440106")] * 3  # three of division 39 in Tianhe
        + [("26", "440106")] * 2  # section C has five in Tianhe
        + [("51", "440103")] * 1  # one wholesaler in Liwan
        + [("65", "440104")] * 4  # IT: four in Yuexiu...
        + [("65", "440113")] * 1  # ...and one in Panyu: five in the city
        + [("72", "440305")] * 2  # two in Shenzhen, alone there
    )
    counts = RegistryCounts((d, x, n) for (d, x), n in Counter(firms).items())
    assert generalise(counts, "39", "440106") == anonymise.Shown(
        Generalisation.SECTION_DISTRICT, "C", "440106", 5
    )
    assert generalise(counts, "65", "440104") == anonymise.Shown(
        Generalisation.SECTION_CITY, "I", "440100", 5
    )
    # the lone wholesaler: section F has one firm in the city; the city has 11
    assert generalise(counts, "51", "440103") == anonymise.Shown(
        Generalisation.CITY, None, "440100", 11
    )
    assert generalise(counts, "72", "440305") is None  # Shenzhen holds two: withheld
    dense = RegistryCounts([("39", "440106", 5)])
    assert generalise(dense, "39", "440106") == anonymise.Shown(
        Generalisation.DIVISION_DISTRICT, "39", "440106", 5
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(DIVISIONS), st.sampled_from(DISTRICTS)), max_size=80),
    st.lists(st.tuples(st.sampled_from(DIVISIONS), st.sampled_from(DISTRICTS)), max_size=40),
    st.sampled_from(DIVISIONS),
    st.sampled_from(DISTRICTS),
)
def test_two_views_of_one_listing_never_intersect_below_k(
    before: list[tuple[str, str]],
    added: list[tuple[str, str]],
    division: str,
    district: str,
) -> None:
    """The ladder is a chain: whatever the registry did between two looks at a listing, the
    firms matching both views are the firms matching the finer one, which had K or more."""
    firms = [*before, (division, district)]
    later = firms + added
    first = generalise(RegistryCounts((d, x, 1) for d, x in firms), division, district)
    second = generalise(RegistryCounts((d, x, 1) for d, x in later), division, district)
    if first is None or second is None:
        return
    finer = min(first, second, key=lambda s: LADDER.index(s.level))
    both = [
        f
        for f in later
        if RegistryCounts.key(first.level, *f) == (first.industry, first.district)
        and RegistryCounts.key(second.level, *f) == (second.industry, second.district)
    ]
    assert len(both) == _members(later, finer.level, division, district) >= finer.k >= K


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1", "lt_500k"),
        ("499999.99", "lt_500k"),
        ("500000", "500k_1m"),
        ("1234567.89", "1m_3m"),
        ("3000000", "3m_5m"),
        ("9999999.99", "5m_10m"),
        ("10000000", "10m_30m"),
        ("30000000", "30m_plus"),
        ("90000000000", "30m_plus"),
    ],
)
def test_amount_bands(amount: str, code: str) -> None:
    assert anonymise.amount_band(Decimal(amount)).code == code


@pytest.mark.parametrize(
    ("rate", "code"),
    [
        ("0.001", "to_3_5"),
        ("0.035", "to_3_5"),
        ("0.035001", "3_5_to_4_5"),
        ("0.0437", "3_5_to_4_5"),
        ("0.06", "4_5_to_6"),
        ("0.0799", "6_to_8"),
        ("0.36", "over_8"),
    ],
)
def test_rate_cap_bands(rate: str, code: str) -> None:
    assert anonymise.rate_band(Decimal(rate)).code == code


@pytest.mark.parametrize(
    ("revenue", "headcount", "band"),
    [
        (None, None, SizeBand.UNKNOWN),
        ("2999999", None, SizeBand.MICRO),
        ("3000000", None, SizeBand.SMALL),
        ("50000000", None, SizeBand.MEDIUM),
        ("400000000", None, SizeBand.LARGE),
        (None, 19, SizeBand.MICRO),
        (None, 20, SizeBand.SMALL),
        (None, 999, SizeBand.MEDIUM),
        ("50000000", 12, SizeBand.MICRO),  # a class needs both: the smaller one
        ("1000000", 500, SizeBand.MICRO),
        ("12345678.9", 350, SizeBand.SMALL),
    ],
)
def test_size_bands(revenue: str | None, headcount: int | None, band: SizeBand) -> None:
    assert anonymise.size_band(Decimal(revenue) if revenue else None, headcount) is band


def test_size_inputs_read_only_authorised_families_with_recent_figures() -> None:
    families = {
        "tax": {"authorised": True, "summary": {"months_last_12": 3, "vat_sales_last_12": "42"}},
        "social_insurance": {"authorised": False},
    }
    assert anonymise.size_inputs(families) == (Decimal(42), None)
    families["tax"]["summary"]["months_last_12"] = 0  # type: ignore[index]
    assert anonymise.size_inputs(families) == (None, None)
    assert anonymise.size_inputs(None) == (None, None)


def test_grade_bands() -> None:
    assert [anonymise.grade_band(g) for g in ("AAA", "BBB", "B", "C", None)] == [
        "AAA-AA",
        "A-BBB",
        "BB-B",
        "CCC-C",
        "unrated",
    ]


def _working_days_slowly(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


@given(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 60))
def test_working_days_count_monday_to_friday(day: dt.date, n: int) -> None:
    assert add_working_days(day, n) == _working_days_slowly(day, n)


def test_friday_and_saturday_plus_one_working_day_is_monday() -> None:
    friday, saturday = dt.date(2026, 12, 4), dt.date(2026, 12, 5)
    assert add_working_days(friday, 1) == add_working_days(saturday, 1) == dt.date(2026, 12, 7)
