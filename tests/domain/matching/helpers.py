"""Builders for the matching tests: products, catalogues, facts and snapshots."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import msgspec

from xinyidai.domain.matching import Catalogue, CatalogueItem, Facts
from xinyidai.domain.products.schemas import Eligibility, ProductIn
from xinyidai.domain.products.validation import check_product
from xinyidai.enums import Family

ALL_FAMILIES = frozenset(Family)


def product(
    eligibility: dict[str, Any] | None = None, name: str = "测试产品", **fields: Any
) -> ProductIn:
    """A valid product (checked like the API checks it) with ``eligibility`` as JSON-ish data."""
    data: dict[str, Any] = {
        "name_zh": name,
        "name_en": "Test product",
        "type": "credit",
        "amount_min": "100000",
        "amount_max": "3000000",
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_floor": "0.0350",
        "rate_ceiling": "0.0750",
        "repayment_methods": ["equal_instalment"],
        "guarantee": "none",
        "response_days": 3,
        "eligibility": eligibility or {},
        **fields,
    }
    out = msgspec.convert(data, ProductIn, strict=False)
    check_product(out)
    return out


def item(p: ProductIn) -> CatalogueItem:
    return CatalogueItem(id=uuid.uuid4(), version_id=uuid.uuid4(), product=p)


def catalogue(*products: ProductIn) -> Catalogue:
    return Catalogue([item(p) for p in products])


def rule(**criteria: Any) -> Eligibility:
    return msgspec.convert(criteria, Eligibility, strict=False)


GOOD = Facts(
    grade="A",
    pd=0.01,
    section="C",
    division="26",
    district="440106",
    years_operating=8.0,
    tax_grade="A",
    families=ALL_FAMILIES,
    tax_months=36,
    revenue_12m=Decimal("12000000.00"),
    headcount=40,
    arrears_months_12m=0,
    penalties_12m=0,
    founded_on=dt.date(2018, 1, 1),
)
"""An SME that meets every rule the tests state, unless one of its values is replaced."""


def snapshot(
    *,
    as_of: str = "2026-11-21",
    items: list[dict[str, Any]] | None = None,
    families: dict[str, Any] | None = None,
    founded_on: str = "2014-12-18",
) -> dict[str, Any]:
    """A ``xinyidai.profile/1`` document with the given records and families (the others
    unauthorised)."""
    all_families: dict[str, Any] = {f.value: {"authorised": False} for f in Family}
    all_families.update(families or {})
    return {
        "format": "xinyidai.profile/1",
        "as_of": as_of,
        "enterprise": {
            "id": str(uuid.uuid4()),
            "uscc": "91440103LUY3W7WK7F",
            "name": "广州测试有限公司",
            "status": "active",
            "founded_on": founded_on,
            "age_years": 11.93,
            "registered_capital": "50000000.00",
            "industry": {"section": "C", "division": "26", "name_zh": "制造业", "name_en": "x"},
            "district_code": "440103",
        },
        "public_records": {"items": items or [], "counts": {}, "latest_grades": {}},
        "families": all_families,
    }


def record(kind: str, decided: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "severity": fields.pop("severity", None),
        "grade": fields.pop("grade", None),
        "document_no": fields.pop("document_no", f"穗〔{decided[:4]}〕1号"),
        "decision_date": decided,
        "publish_until": fields.pop("publish_until", None),
        "authority": "广州市",
        "description": fields.pop("description", ""),
        "negative": kind in {"admin_penalty", "serious_dishonesty", "dishonest_debtor",
                             "abnormal_operation"},
        "disputed": fields.pop("disputed", False),
    }  # fmt: skip


def months(first: str, count: int, **values: Any) -> list[dict[str, Any]]:
    """``count`` consecutive months from ``first`` (YYYY-MM) with the same values."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    for _ in range(count):
        out.append({"period": f"{year:04d}-{month:02d}", **values})
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out
