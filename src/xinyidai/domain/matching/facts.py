"""What matching knows of an SME: the values every eligibility criterion reads, taken from its
latest profile snapshot (``xinyidai.profile/1``) and its latest score.

:func:`facts_of` turns one snapshot into a :class:`Facts` (plain Python values, ``None`` where a
value is unknown); :meth:`FactTable.from_facts` stacks many into columns (numpy arrays, one row
per SME), which is all the engine reads: the one-SME view is a table of one row.

Rules:

* **Unknown is not zero.** Revenue is ``None`` when tax is not authorised, the headcount when
  social insurance is not, the arrears months when neither is, the months of tax figures when tax
  is not; the engine then counts the criterion as unmet and says why.
* **Point in time.** Only records decided on or before ``as_of`` and still published then count
  (the snapshot builder guarantees it; read again here, as the feature contract does).
* **Disputed records count** until the dispute is resolved (they are still shown and used, only
  marked); a withdrawn or repaired record is absent from the snapshot.
* **Arrears months** are the months of the last 12 (the 12 complete months before ``as_of``) with
  tax or social-insurance arrears above zero, each month counted once.
* **Penalties in the last 12 months**: administrative penalties decided in the year up to
  ``as_of`` (after the same day a year before).
* **Flags** come from public records: a red-list / honour record whose text names 专精特新
  (specialised) or 高新技术企业 (high-tech), and green from the latest environmental credit grade
  ``green`` (绿牌).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from xinyidai.domain.products.schemas import GRADES, TAX_GRADES, Exclusion, Flag
from xinyidai.enums import Family, RecordType

FORMAT = "xinyidai.profile/1"

SECTIONS = "ABCDEFGHIJKLMNOPQRST"
FAMILIES: tuple[Family, ...] = tuple(Family)
EXCLUSIONS: tuple[Exclusion, ...] = tuple(Exclusion)
FLAGS: tuple[Flag, ...] = tuple(Flag)
GRADE_RANK = {g: i for i, g in enumerate(GRADES)}  # 0 = AAA (best)
TAX_GRADE_RANK = {g: i for i, g in enumerate(TAX_GRADES)}  # 0 = A (best)

# Words in an honour's text that mark a flag (the record's description or document).
FLAG_WORDS: dict[Flag, tuple[str, ...]] = {
    Flag.SPECIALISED: ("专精特新",),
    Flag.HIGH_TECH: ("高新技术企业",),
}
GREEN_GRADE = "green"


class ScoreLike(Protocol):
    """A stored score, a score summary, or any object with a grade and a PD."""

    @property
    def grade(self) -> str: ...
    @property
    def pd(self) -> float | Decimal: ...


class SnapshotFormatError(ValueError):
    """The snapshot is not in a format matching can read."""


@dataclass(frozen=True, slots=True)
class Facts:
    """One SME as matching sees it. ``None``: unknown (not authorised, or never received)."""

    grade: str | None = None
    pd: float | None = None
    section: str | None = None
    division: str | None = None
    district: str | None = None
    years_operating: float | None = None
    tax_grade: str | None = None
    families: frozenset[Family] = frozenset()
    tax_months: int | None = None  # months of tax figures in the 36-month window
    revenue_12m: Decimal | None = None  # invoiced (VAT) sales, trailing 12 months
    headcount: int | None = None  # insured headcount, latest month held
    arrears_months_12m: int | None = None  # tax or social insurance
    penalties_12m: int = 0
    exclusions: frozenset[Exclusion] = frozenset()
    flags: frozenset[Flag] = frozenset()
    founded_on: dt.date | None = field(default=None, compare=False)


# --- one snapshot -------------------------------------------------------------------------------
def _month_index(text: str) -> int:
    return int(text[0:4]) * 12 + int(text[5:7]) - 1


def _years_between(start: dt.date, end: dt.date) -> float:
    return round(max((end - start).days, 0) / 365.25, 2)


def _a_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _visible(items: Iterable[Mapping[str, Any]], as_of: str) -> list[Mapping[str, Any]]:
    return [
        item
        for item in items
        if item["decision_date"] <= as_of
        and (item.get("publish_until") is None or item["publish_until"] >= as_of)
    ]


def _latest_grade(items: Sequence[Mapping[str, Any]], kind: str) -> str | None:
    latest: tuple[str, str] | None = None
    for item in items:
        if (
            item["type"] == kind
            and item.get("grade")
            and (latest is None or item["decision_date"] >= latest[0])
        ):
            latest = (item["decision_date"], item["grade"])
    return None if latest is None else latest[1]


def _period(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _arrears_months(family: Mapping[str, Any], last: int) -> set[str] | None:
    """Periods (``YYYY-MM``) of the last 12 months with arrears above zero; None if the family
    is not authorised."""
    if not family.get("authorised"):
        return None
    first_period, last_period = _period(last - 11), _period(last)
    out: set[str] = set()
    for month in family.get("months", ()):
        period = month["period"][:7]
        if first_period <= period <= last_period and float(month.get("arrears") or 0) > 0:
            out.add(period)
    if not family.get("months"):  # a summary without months: its own count is the best known
        count = int(family.get("summary", {}).get("months_in_arrears_last_12", 0))
        out = {_period(index) for index in range(last - count + 1, last + 1)}
    return out


def _tax(tax: Mapping[str, Any], last: int) -> tuple[int | None, Decimal | None]:
    """(months of tax figures in the window, trailing-12-month sales); both None unauthorised."""
    if not tax.get("authorised"):
        return None, None
    months = tax.get("months", ())
    summary = tax.get("summary", {})
    present = int(summary.get("months_present", len(months)))
    if "vat_sales_last_12" in summary:
        sales = Decimal(str(summary["vat_sales_last_12"]))
    else:
        first_period, last_period = _period(last - 11), _period(last)
        sales = sum(
            (
                Decimal(str(m["vat_sales"]))
                for m in months
                if first_period <= m["period"][:7] <= last_period
            ),
            Decimal(0),
        )
    return present, sales


def _headcount(social: Mapping[str, Any]) -> int | None:
    if not social.get("authorised"):
        return None
    summary = social.get("summary", {})
    if "insured_headcount_latest" in summary:
        return int(summary["insured_headcount_latest"])
    months = social.get("months", ())
    return int(months[-1]["insured_headcount"]) if months else 0


def _flags(items: Sequence[Mapping[str, Any]]) -> frozenset[Flag]:
    flags: set[Flag] = set()
    for item in items:
        if item["type"] != RecordType.RED_LIST:
            continue
        text = f"{item.get('description') or ''} {item.get('document_no') or ''}"
        for flag, words in FLAG_WORDS.items():
            if any(word in text for word in words):
                flags.add(flag)
    if _latest_grade(items, RecordType.ENVIRONMENTAL_GRADE) == GREEN_GRADE:
        flags.add(Flag.GREEN)
    return frozenset(flags)


def _score(score: ScoreLike | None) -> tuple[str | None, float | None]:
    if score is None:
        return None, None
    grade = score.grade if score.grade in GRADE_RANK else None
    return grade, float(score.pd)


def facts_of(content: Mapping[str, Any], score: ScoreLike | None = None) -> Facts:
    """The facts of one snapshot document and its score (``None``: not scored yet)."""
    if content.get("format") != FORMAT:
        raise SnapshotFormatError(f"matching reads {FORMAT}, not {content.get('format')!r}")
    as_of_text: str = content["as_of"]
    as_of = dt.date.fromisoformat(as_of_text[:10])
    last = _month_index(as_of_text) - 1  # the last complete month
    enterprise = content["enterprise"]
    industry = enterprise.get("industry") or {}
    founded_text = enterprise.get("founded_on")
    founded = dt.date.fromisoformat(founded_text) if founded_text else None
    families = content["families"]
    records = content["public_records"]
    items = _visible(records.get("items", ()), as_of_text)

    tax_months, revenue = _tax(families.get(Family.TAX, {}), last)
    tax_arrears = _arrears_months(families.get(Family.TAX, {}), last)
    si_arrears = _arrears_months(families.get(Family.SOCIAL_INSURANCE, {}), last)
    arrears = (
        None
        if tax_arrears is None and si_arrears is None
        else len((tax_arrears or set()) | (si_arrears or set()))
    )
    year_ago = _a_year_before(as_of).isoformat()
    penalties = sum(
        1
        for item in items
        if item["type"] == RecordType.ADMIN_PENALTY and item["decision_date"] > year_ago
    )
    present_types = {item["type"] for item in items}
    grade, pd = _score(score)
    tax_grade = _latest_grade(items, RecordType.TAX_GRADE)
    return Facts(
        grade=grade,
        pd=pd,
        section=industry.get("section") or None,
        division=industry.get("division") or None,
        district=enterprise.get("district_code") or None,
        years_operating=_years_between(founded, as_of) if founded else None,
        tax_grade=tax_grade if tax_grade in TAX_GRADE_RANK else None,
        families=frozenset(f for f in FAMILIES if families.get(f, {}).get("authorised")),
        tax_months=tax_months,
        revenue_12m=revenue,
        headcount=_headcount(families.get(Family.SOCIAL_INSURANCE, {})),
        arrears_months_12m=arrears,
        penalties_12m=penalties,
        exclusions=frozenset(e for e in EXCLUSIONS if e in present_types),
        flags=_flags(items),
        founded_on=founded,
    )


# --- many SMEs as columns -----------------------------------------------------------------------
I8 = NDArray[np.int8]
I16 = NDArray[np.int16]
I32 = NDArray[np.int32]
U8 = NDArray[np.uint8]
F64 = NDArray[np.float64]

MISSING = -1
# Industry key: the division number (1..97), 100 + section index for a section without a
# division, INDUSTRY_UNKNOWN when neither is known.
INDUSTRY_SECTION_BASE = 100
INDUSTRY_UNKNOWN = INDUSTRY_SECTION_BASE + len(SECTIONS)
INDUSTRY_KEYS = INDUSTRY_UNKNOWN + 1


def _bits(values: Iterable[Any], order: Sequence[Any]) -> int:
    present = set(values)
    return sum(1 << i for i, v in enumerate(order) if v in present)


def industry_key(section: str | None, division: str | None) -> int:
    """The industry column's value for a section and division."""
    if division and division.isdigit() and 0 < int(division) < INDUSTRY_SECTION_BASE:
        return int(division)
    if section and section in SECTIONS:
        return INDUSTRY_SECTION_BASE + SECTIONS.index(section)
    return INDUSTRY_UNKNOWN


@dataclass(frozen=True, slots=True)
class FactTable:
    """Facts of many SMEs, one row each, a numpy column per value (``MISSING`` = -1 or NaN
    where unknown). Families, exclusions and flags are bit sets in ``FAMILIES``, ``EXCLUSIONS``
    and ``FLAGS`` order."""

    grade: I8  # GRADE_RANK, -1 unknown
    pd: F64  # NaN unknown
    industry: I16  # industry_key
    district: I32  # the 6-digit code as a number, -1 unknown
    years: F64  # NaN unknown
    tax_grade: I8  # TAX_GRADE_RANK, -1 unknown
    families: U8
    tax_months: I16  # -1: tax not authorised
    revenue: F64  # yuan; NaN: tax not authorised
    headcount: F64  # NaN: social insurance not authorised
    arrears: I16  # -1: neither tax nor social insurance authorised
    penalties: I16
    exclusions: U8
    flags: U8
    facts: tuple[Facts, ...] = ()  # the rows' Facts, when built from them (for sentences)

    def __len__(self) -> int:
        return int(self.grade.shape[0])

    @classmethod
    def from_facts(cls, rows: Sequence[Facts]) -> FactTable:
        """One row per :class:`Facts`, in order."""
        n = len(rows)
        grade = np.fromiter(
            (GRADE_RANK.get(f.grade, MISSING) if f.grade else MISSING for f in rows), np.int8, n
        )
        tax = np.fromiter(
            (TAX_GRADE_RANK.get(f.tax_grade, MISSING) if f.tax_grade else MISSING for f in rows),
            np.int8,
            n,
        )
        return cls(
            grade=grade,
            pd=np.fromiter((np.nan if f.pd is None else f.pd for f in rows), np.float64, n),
            industry=np.fromiter((industry_key(f.section, f.division) for f in rows), np.int16, n),
            district=np.fromiter(
                (int(f.district) if f.district and f.district.isdigit() else MISSING for f in rows),
                np.int32,
                n,
            ),
            years=np.fromiter(
                (np.nan if f.years_operating is None else f.years_operating for f in rows),
                np.float64,
                n,
            ),
            tax_grade=tax,
            families=np.fromiter((_bits(f.families, FAMILIES) for f in rows), np.uint8, n),
            tax_months=np.fromiter(
                (MISSING if f.tax_months is None else f.tax_months for f in rows), np.int16, n
            ),
            revenue=np.fromiter(
                (np.nan if f.revenue_12m is None else float(f.revenue_12m) for f in rows),
                np.float64,
                n,
            ),
            headcount=np.fromiter(
                (np.nan if f.headcount is None else float(f.headcount) for f in rows),
                np.float64,
                n,
            ),
            arrears=np.fromiter(
                (MISSING if f.arrears_months_12m is None else f.arrears_months_12m for f in rows),
                np.int16,
                n,
            ),
            penalties=np.fromiter((f.penalties_12m for f in rows), np.int16, n),
            exclusions=np.fromiter((_bits(f.exclusions, EXCLUSIONS) for f in rows), np.uint8, n),
            flags=np.fromiter((_bits(f.flags, FLAGS) for f in rows), np.uint8, n),
            facts=tuple(rows),
        )

    def take(self, rows: slice | NDArray[np.intp]) -> FactTable:
        """The rows selected (a slice or an index array) as a table of their own."""
        picked = (
            self.facts[rows]
            if isinstance(rows, slice)
            else tuple(self.facts[int(i)] for i in rows)
            if self.facts
            else ()
        )
        return FactTable(
            grade=self.grade[rows],
            pd=self.pd[rows],
            industry=self.industry[rows],
            district=self.district[rows],
            years=self.years[rows],
            tax_grade=self.tax_grade[rows],
            families=self.families[rows],
            tax_months=self.tax_months[rows],
            revenue=self.revenue[rows],
            headcount=self.headcount[rows],
            arrears=self.arrears[rows],
            penalties=self.penalties[rows],
            exclusions=self.exclusions[rows],
            flags=self.flags[rows],
            facts=picked,
        )
