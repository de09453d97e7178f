"""The dimensions statistics group and filter by, and the rollups' projections of them.

A rollup row keeps some of the five key dimensions (its ``dims`` bit mask) and holds a
placeholder for the others. Every event adds to the full row and to every projection on at most
two dimensions; a query reads the smallest projection that keeps every dimension it groups or
filters by (``projection_for``), the full rows when it needs three or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from xinyidai.models import Application, Loan


class Dimension(StrEnum):
    """A dimension's key in the API (``group_by`` and the filters)."""

    BANK = "bank"
    PRODUCT_TYPE = "product_type"
    INDUSTRY = "industry"
    DISTRICT = "district"
    GRADE = "grade"
    MONTH = "month"


D = Dimension

# The key dimensions: their bit in ``dims`` and their column in the rollups.
BITS: dict[Dimension, int] = {
    D.BANK: 1,
    D.PRODUCT_TYPE: 2,
    D.INDUSTRY: 4,
    D.DISTRICT: 8,
    D.GRADE: 16,
}
COLUMNS: dict[Dimension, str] = {
    D.BANK: "bank_id",
    D.PRODUCT_TYPE: "product_type",
    D.INDUSTRY: "industry_section",
    D.DISTRICT: "district_code",
    D.GRADE: "grade",
}
KEY_DIMENSIONS = tuple(BITS)
FULL = 31
PROJECTIONS: tuple[int, ...] = tuple(
    sorted(
        {0, FULL}
        | {BITS[d] for d in KEY_DIMENSIONS}
        | {BITS[a] | BITS[b] for a, b in combinations(KEY_DIMENSIONS, 2)}
    )
)
"""Every projection an event adds to: the total, each dimension, each pair, the full key."""

NIL = UUID(int=0)
"""The bank of a row that does not keep the bank."""
UNGRADED = "ungraded"
"""The grade of an application made without a score (in the rollups and in the API)."""


def projection_for(dimensions: set[Dimension]) -> int:
    """The smallest projection keeping every one of ``dimensions`` (the month is every row's)."""
    mask = 0
    for dimension in dimensions:
        mask |= BITS.get(dimension, 0)
    return mask if mask in PROJECTIONS else FULL


@dataclass(frozen=True, slots=True)
class Key:
    """The full key of an application or a loan (its snapshotted dimensions)."""

    bank_id: UUID
    product_type: str
    industry_section: str
    district_code: str
    grade: str

    @classmethod
    def of(cls, row: Application | Loan) -> Key:
        return cls(
            bank_id=row.bank_id,
            product_type=row.product_type,
            industry_section=row.industry_section,
            district_code=row.district_code,
            grade=row.grade or UNGRADED,
        )
