"""How a need appears in the pool: bands instead of figures, and the k-anonymity ladder that
generalises its industry and district. Pure functions of their arguments (no database).

**The ladder.** A listing shows the poster's industry and district at the first of these levels
at which at least ``K`` (5) enterprises of the registry share the pair shown:

====  ==========================  ===================================
step  industry shown              district shown
====  ==========================  ===================================
0     GB/T 4754 division (``39``)   the district (``440106``)
1     section (``C``)               the district
2     section                       the city (``440100``: the first four digits)
3     nothing                       the city
====  ==========================  ===================================

and the listing is withheld from the pool altogether when even the city has fewer than ``K``.
Each step's group contains the one before it (a division lies in one section, a district in one
city), so the ladder is a chain: a bank that sees one listing at two levels (the registry grew
or shrank in between) learns no more than the finer of the two, which had ``K`` members when it
was shown. A ladder with a branch (division + city beside section + district) would let the two
views be intersected into a group smaller than ``K``.

The registry counted is the enterprises whose registration is ``active``: a deregistered or
revoked firm cannot be the poster, so counting it would overstate the group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from xinyidai.domain.enterprises.codes import section_of_division

K = 5
"""The least number of registered enterprises any listing's industry and district describe."""


class Generalisation(StrEnum):
    """A step of the ladder, finest first."""

    DIVISION_DISTRICT = "division_district"
    SECTION_DISTRICT = "section_district"
    SECTION_CITY = "section_city"
    CITY = "city"


LADDER: tuple[Generalisation, ...] = tuple(Generalisation)


def city_of(district: str) -> str:
    """The prefecture-level city a district code belongs to (``440106`` → ``440100``)."""
    return district[:4] + "00"


@dataclass(frozen=True, slots=True)
class Shown:
    """What a listing shows of where the poster is: ``industry`` is a division, a section or
    ``None``; ``district`` a district or a city code; ``k`` how many registered enterprises
    share that pair."""

    level: Generalisation
    industry: str | None
    district: str
    k: int


class RegistryCounts:
    """Active registered enterprises counted per (division, district) cell, summed up the
    ladder's groups once, so that each listing is placed with dictionary lookups."""

    def __init__(self, cells: Iterable[tuple[str, str, int]]) -> None:
        self.by_level: dict[Generalisation, dict[tuple[str | None, str], int]] = {
            level: defaultdict(int) for level in LADDER
        }
        for division, district, count in cells:
            section = section_of_division(division)
            city = city_of(district)
            self.by_level[Generalisation.DIVISION_DISTRICT][division, district] += count
            self.by_level[Generalisation.SECTION_DISTRICT][section, district] += count
            self.by_level[Generalisation.SECTION_CITY][section, city] += count
            self.by_level[Generalisation.CITY][None, city] += count

    @staticmethod
    def key(level: Generalisation, division: str, district: str) -> tuple[str | None, str]:
        """The group of ``level`` that an enterprise of (division, district) belongs to."""
        if level is Generalisation.DIVISION_DISTRICT:
            return division, district
        if level is Generalisation.SECTION_DISTRICT:
            return section_of_division(division), district
        if level is Generalisation.SECTION_CITY:
            return section_of_division(division), city_of(district)
        return None, city_of(district)

    def count(self, level: Generalisation, division: str, district: str) -> int:
        return self.by_level[level].get(self.key(level, division, district), 0)


def generalise(counts: RegistryCounts, division: str, district: str, k: int = K) -> Shown | None:
    """The finest step of the ladder at which ``k`` or more registered enterprises share what
    is shown; ``None`` when not even the city has ``k`` (the listing is then withheld)."""
    for level in LADDER:
        n = counts.count(level, division, district)
        if n >= k:
            industry, shown_district = RegistryCounts.key(level, division, district)
            return Shown(level=level, industry=industry, district=shown_district, k=n)
    return None


# --- bands --------------------------------------------------------------------------------------
class AmountBand(StrEnum):
    """Amounts asked, in yuan: ``low <= amount < high``."""

    UNDER_500K = "lt_500k"
    FROM_500K = "500k_1m"
    FROM_1M = "1m_3m"
    FROM_3M = "3m_5m"
    FROM_5M = "5m_10m"
    FROM_10M = "10m_30m"
    FROM_30M = "30m_plus"


class RateBand(StrEnum):
    """Highest acceptable annual rates: ``low < rate <= high``."""

    TO_3_5 = "to_3_5"
    TO_4_5 = "3_5_to_4_5"
    TO_6 = "4_5_to_6"
    TO_8 = "6_to_8"
    OVER_8 = "over_8"


@dataclass(frozen=True, slots=True)
class Band:
    code: str
    low: Decimal | None  # amounts: inclusive; rates: exclusive
    high: Decimal | None  # amounts: exclusive; rates: inclusive


def _bands(codes: type[StrEnum], bounds: list[str]) -> tuple[Band, ...]:
    """Bands named by ``codes`` in order, between consecutive ``bounds`` (open at both ends)."""
    edges: list[Decimal | None] = [None, *(Decimal(b) for b in bounds), None]
    return tuple(Band(code.value, edges[n], edges[n + 1]) for n, code in enumerate(codes))


AMOUNT_BANDS = _bands(
    AmountBand, ["500000", "1000000", "3000000", "5000000", "10000000", "30000000"]
)
RATE_BANDS = _bands(RateBand, ["0.035", "0.045", "0.06", "0.08"])


def amount_band(amount: Decimal) -> Band:
    for band in AMOUNT_BANDS:
        if band.high is None or amount < band.high:
            return band
    raise AssertionError("the last band is open")  # pragma: no cover


def rate_band(rate: Decimal) -> Band:
    for band in RATE_BANDS:
        if band.high is None or rate <= band.high:
            return band
    raise AssertionError("the last band is open")  # pragma: no cover


class SizeBand(StrEnum):
    """The enterprise's size after the industrial thresholds of the 2011 SME classification
    (工信部联企业〔2011〕300号), applied to every industry: revenue over the trailing 12 months
    (tax) under 3 m yuan is micro, under 20 m small, under 400 m medium; insured headcount
    (social insurance, latest month) under 20 micro, under 300 small, under 1,000 medium. With
    both known, the smaller class (a class needs both thresholds); with neither authorised,
    ``unknown``."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    UNKNOWN = "unknown"


_SIZE_ORDER = (SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM, SizeBand.LARGE)
_REVENUE_STEPS = (Decimal(3_000_000), Decimal(20_000_000), Decimal(400_000_000))
_HEADCOUNT_STEPS = (20, 300, 1000)


def _step(value: Decimal | int, steps: tuple[Any, ...]) -> int:
    return next((n for n, limit in enumerate(steps) if value < limit), len(steps))


def size_band(revenue_12m: Decimal | None, headcount: int | None) -> SizeBand:
    """The size band from what the latest profile snapshot holds (either may be missing)."""
    classes = []
    if revenue_12m is not None:
        classes.append(_step(revenue_12m, _REVENUE_STEPS))
    if headcount is not None:
        classes.append(_step(headcount, _HEADCOUNT_STEPS))
    return _SIZE_ORDER[min(classes)] if classes else SizeBand.UNKNOWN


def size_inputs(families: Mapping[str, Any] | None) -> tuple[Decimal | None, int | None]:
    """Revenue (tax ``vat_sales_last_12``) and headcount (social insurance
    ``insured_headcount_latest``) from a snapshot document's ``families`` (the two families
    are enough), where authorised with figures in the last 12 months."""
    if not families:
        return None, None

    def summary(family: str) -> Mapping[str, Any] | None:
        shown = families.get(family) or {}
        found = shown.get("summary")
        if not shown.get("authorised") or not isinstance(found, Mapping):
            return None
        return found if found.get("months_last_12") else None

    revenue = headcount = None
    tax = summary("tax")
    if tax is not None and tax.get("vat_sales_last_12") is not None:
        revenue = Decimal(str(tax["vat_sales_last_12"]))
    social = summary("social_insurance")
    if social is not None and social.get("insured_headcount_latest") is not None:
        headcount = int(social["insured_headcount_latest"])
    return revenue, headcount


class GradeBand(StrEnum):
    """The risk grade in four bands (best first), or ``unrated`` without a score."""

    AAA_AA = "AAA-AA"
    A_BBB = "A-BBB"
    BB_B = "BB-B"
    CCC_C = "CCC-C"
    UNRATED = "unrated"


_GRADE_BANDS = {
    "AAA": GradeBand.AAA_AA,
    "AA": GradeBand.AAA_AA,
    "A": GradeBand.A_BBB,
    "BBB": GradeBand.A_BBB,
    "BB": GradeBand.BB_B,
    "B": GradeBand.BB_B,
    "CCC": GradeBand.CCC_C,
    "C": GradeBand.CCC_C,
}


def grade_band(grade: str | None) -> GradeBand:
    return _GRADE_BANDS.get(grade or "", GradeBand.UNRATED)
