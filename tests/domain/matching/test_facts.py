"""Facts from a snapshot and a score, and the columnar table."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import pytest

from tests.domain.matching.helpers import GOOD, months, record, snapshot
from xinyidai.domain.matching import Facts, FactTable, facts_of
from xinyidai.domain.matching.facts import SnapshotFormatError
from xinyidai.domain.products.schemas import Exclusion, Flag
from xinyidai.domain.scoring.schemas import ScoreSummary
from xinyidai.enums import Family


def _score(grade: str, pd: float) -> ScoreSummary:
    return ScoreSummary(
        score_id=uuid.uuid4(),
        snapshot_version=1,
        model_version="m1",
        score=700,
        grade=grade,
        pd=pd,
        scored_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    )


def test_registration_and_score() -> None:
    facts = facts_of(snapshot(founded_on="2016-11-21"), _score("BBB", 0.021))
    assert facts.grade == "BBB"
    assert facts.pd == pytest.approx(0.021)
    assert (facts.section, facts.division, facts.district) == ("C", "26", "440103")
    assert facts.years_operating == pytest.approx(10.0, abs=0.01)
    assert facts.founded_on == dt.date(2016, 11, 21)


def test_nothing_authorised_is_unknown_not_zero() -> None:
    facts = facts_of(snapshot(), None)
    assert facts.grade is None
    assert facts.pd is None
    assert facts.families == frozenset()
    assert facts.tax_months is None
    assert facts.revenue_12m is None
    assert facts.headcount is None
    assert facts.arrears_months_12m is None
    assert facts.penalties_12m == 0


def _tax(arrears_from: str | None = None) -> dict[str, object]:
    rows = months("2023-11", 36, vat_sales="100000.00", arrears="0.00")
    for row in rows:
        if arrears_from and row["period"] >= arrears_from:
            row["arrears"] = "10.00"
    return {
        "authorised": True,
        "months": rows,
        "summary": {"months_present": 36, "vat_sales_last_12": "1200000.00"},
    }


def test_authorised_families() -> None:
    social = {
        "authorised": True,
        "months": months("2025-11", 12, insured_headcount=30, arrears="0.00")[:-3]
        + months("2026-08", 3, insured_headcount=33, arrears="5.00"),
        "summary": {"insured_headcount_latest": 33},
    }
    facts = facts_of(
        snapshot(families={"tax": _tax(arrears_from="2026-07"), "social_insurance": social})
    )
    assert facts.families == frozenset({Family.TAX, Family.SOCIAL_INSURANCE})
    assert facts.tax_months == 36
    assert facts.revenue_12m == Decimal("1200000.00")
    assert facts.headcount == 33
    # Tax arrears in 2026-07 … 2026-10, social insurance in 2026-08 … 2026-10: 4 months, once.
    assert facts.arrears_months_12m == 4


def test_revenue_from_months_without_a_summary() -> None:
    tax = {"authorised": True, "months": months("2025-09", 14, vat_sales="50000.50")}
    facts = facts_of(snapshot(families={"tax": tax}))
    assert facts.tax_months == 14
    assert facts.revenue_12m == Decimal("600006.00")  # 2025-11 … 2026-10


def test_arrears_older_than_12_months_do_not_count() -> None:
    facts = facts_of(snapshot(families={"tax": _tax(arrears_from="2023-11")}))
    assert facts.arrears_months_12m == 12
    rows = _tax()
    for row in rows["months"]:  # type: ignore[attr-defined]
        if row["period"] <= "2025-10":
            row["arrears"] = "1.00"
    assert facts_of(snapshot(families={"tax": rows})).arrears_months_12m == 0


def test_records() -> None:
    items = [
        record("admin_penalty", "2025-11-21", severity="general"),  # exactly a year: out
        record("admin_penalty", "2025-11-22", severity="minor", disputed=True),  # disputed: in
        record("admin_penalty", "2026-10-01", severity="general"),
        record("admin_penalty", "2026-12-01", severity="general"),  # after as_of: out
        record("abnormal_operation", "2024-01-01", severity="general"),
        record("dishonest_debtor", "2020-01-01", publish_until="2023-01-01"),  # expired: out
        record("tax_grade", "2025-04-10", grade="A"),
        record("tax_grade", "2026-04-10", grade="B"),
        record("red_list", "2025-06-01", description="获评广东省专精特新中小企业"),
        record("red_list", "2025-06-01", description="获评广州市诚信示范企业"),
        record("environmental_grade", "2025-06-10", grade="green"),
    ]
    facts = facts_of(snapshot(items=items))
    assert facts.penalties_12m == 2
    assert facts.exclusions == frozenset({Exclusion.ABNORMAL_OPERATION})
    assert facts.tax_grade == "B"
    assert facts.flags == frozenset({Flag.SPECIALISED, Flag.GREEN})


def test_flags_from_honours_and_the_latest_environmental_grade() -> None:
    items = [
        record("red_list", "2025-06-01", description="认定为国家高新技术企业"),
        record("environmental_grade", "2024-06-10", grade="green"),
        record("environmental_grade", "2025-06-10", grade="blue"),
        record("admin_licence", "2025-06-01", description="专精特新"),  # not an honour
    ]
    assert facts_of(snapshot(items=items)).flags == frozenset({Flag.HIGH_TECH})


def test_format_is_checked() -> None:
    content = snapshot()
    content["format"] = "xinyidai.profile/2"
    with pytest.raises(SnapshotFormatError):
        facts_of(content)


def test_an_unknown_grade_is_no_grade() -> None:
    assert facts_of(snapshot(), _score("Z", 0.5)).grade is None


def test_table_columns() -> None:
    unknown = Facts()
    table = FactTable.from_facts([GOOD, unknown])
    assert len(table) == 2
    assert table.grade.tolist() == [2, -1]
    assert table.tax_grade.tolist() == [0, -1]
    assert table.industry.tolist()[0] == 26
    assert table.district.tolist() == [440106, -1]
    assert table.families.tolist() == [0b111111, 0]
    assert table.tax_months.tolist() == [36, -1]
    assert table.arrears.tolist() == [0, -1]
    assert np.isnan(table.revenue[1])
    assert np.isnan(table.headcount[1])
    assert table.revenue[0] == 12_000_000.0
    picked = table.take(np.array([1, 0]))
    assert picked.facts == (unknown, GOOD)
    assert picked.grade.tolist() == [-1, 2]
