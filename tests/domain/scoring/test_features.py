"""The feature contract: a snapshot becomes one ordered vector, point in time, with missing
values (never zeros) for what the SME did not authorize."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from xinyidai.domain.scoring import features as fx


def month(period: str, **values: Any) -> dict[str, Any]:
    return {"period": period, **values}


def periods(last: str, n: int) -> list[str]:
    year, mon = int(last[:4]), int(last[5:7])
    index = year * 12 + mon - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - n + 1, index + 1)]


def snapshot(**families: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "format": "xinyidai.profile/1",
        "as_of": "2026-11-21",
        "enterprise": {
            "id": "e",
            "uscc": "91440103LUY3W7WK7F",
            "name": "广州测试有限公司",
            "status": "active",
            "founded_on": "2016-11-21",
            "age_years": 10.0,
            "registered_capital": "5000000.00",
            "industry": {"section": "C", "division": "26", "name_zh": "制造业", "name_en": "M"},
            "district_code": "440103",
        },
        "public_records": {"items": [], "counts": {}, "latest_grades": {}},
        "families": {name: {"authorised": False} for name in fx.FAMILIES},
    }
    base["families"].update(families)
    return base


def electricity(days_late: dict[str, int], extra: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    months = [
        month(p, kwh="1000.00", amount="800.00", days_late=days_late.get(p, 0))
        for p in periods("2026-10", 36)
    ]
    return {"authorised": True, "months": months + list(extra)}


def record(kind: str, decided: str, until: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "r",
        "type": kind,
        "severity": extra.pop("severity", None),
        "grade": extra.pop("grade", None),
        "document_no": f"{kind}-{decided}",
        "decision_date": decided,
        "publish_until": until,
        "authority": "a",
        "description": "d",
        "negative": kind in fx.NEGATIVE_TYPES,
        "disputed": False,
    }


def value(vector: np.ndarray, name: str) -> float:
    return float(vector[fx.INDEX[name]])


def test_the_vector_follows_the_declared_order() -> None:
    vector = fx.vector(snapshot())
    assert vector.shape == (len(fx.FEATURE_NAMES),)
    assert vector.dtype == np.float64
    assert fx.matrix([snapshot(), snapshot()]).shape == (2, len(fx.FEATURE_NAMES))
    assert len(set(fx.FEATURE_NAMES)) == len(fx.FEATURE_NAMES)


def test_unauthorized_families_are_missing_not_zero() -> None:
    vector = fx.vector(snapshot())
    for feature in fx.FEATURES:
        if feature.source in fx.FAMILIES:
            assert math.isnan(value(vector, feature.name)), feature.name
    assert value(vector, "families_authorised") == 0
    authorized = fx.vector(snapshot(electricity=electricity({})))
    assert value(authorized, "electricity_late_6m") == 0
    assert value(authorized, "families_authorised") == 1


def test_late_payments_are_counted_in_their_window() -> None:
    late = {"2026-10": 5, "2026-08": 12, "2026-05": 3, "2026-02": 40}  # 3 in the last 6 months
    vector = fx.vector(snapshot(electricity=electricity(late)))
    assert value(vector, "electricity_late_6m") == 3
    assert value(vector, "electricity_late_12m") == 4
    assert value(vector, "electricity_max_days_late_12m") == 40


def test_nothing_after_the_as_of_date_is_used() -> None:
    future = [month("2026-11", kwh="1.00", amount="1.00", days_late=30),
              month("2027-01", kwh="1.00", amount="1.00", days_late=30)]  # fmt: skip
    with_future = snapshot(electricity=electricity({}, future))
    with_future["public_records"]["items"] = [
        record("admin_penalty", "2026-12-01", "2027-12-01", severity="general"),
        record("tax_grade", "2027-04-01", grade="D"),
    ]
    assert np.array_equal(
        fx.vector(with_future), fx.vector(snapshot(electricity=electricity({}))), equal_nan=True
    )


def test_records_count_only_while_published() -> None:
    snap = snapshot()
    snap["public_records"]["items"] = [
        record("admin_penalty", "2025-03-01", "2026-03-01", severity="general"),  # expired
        record("admin_penalty", "2026-06-01", "2027-06-01", severity="serious"),
        record("dishonest_debtor", "2024-06-01", None),
        record("tax_grade", "2024-04-01", grade="B"),
        record("tax_grade", "2025-04-01", grade="C"),  # the latest grade counts
    ]
    vector = fx.vector(snap)
    assert value(vector, "penalties_36m") == 1
    assert value(vector, "serious_negative") == 1
    assert value(vector, "dishonest_debtor") == 1
    assert value(vector, "months_since_negative") == 5  # 2026-06 → 2026-11
    assert value(vector, "tax_grade") == fx.TAX_GRADES["C"]
    assert math.isnan(value(vector, "customs_grade"))


def test_tax_growth_needs_two_full_years() -> None:
    months = [
        month(p, vat_sales="100.00" if i < 12 else "150.00", tax_paid="10.00",
              invoices_issued=1, invoices_received=1, arrears="0.00")
        for i, p in enumerate(periods("2026-10", 24))
    ]  # fmt: skip
    vector = fx.vector(snapshot(tax={"authorised": True, "months": months}))
    assert value(vector, "sales_growth_yoy") == 0.5
    assert value(vector, "tax_months_missing_12m") == 0
    short = {"authorised": True, "months": months[6:]}
    assert math.isnan(value(fx.vector(snapshot(tax=short)), "sales_growth_yoy"))


def test_a_snapshot_read_back_from_json_gives_the_same_vector() -> None:
    snap = snapshot(electricity=electricity({"2026-09": 3}))
    stored = json.loads(json.dumps(copy.deepcopy(snap)))  # what JSONB hands back
    assert np.array_equal(fx.vector(snap), fx.vector(stored), equal_nan=True)


def test_every_feature_declares_a_direction_and_explains_itself() -> None:
    for feature in fx.FEATURES:
        assert feature.direction in (-1, 0, 1)
        assert not (feature.categorical and feature.direction)
        zh, en = fx.describe(feature, 1.0 if feature.show != "section" else 2.0)
        assert zh and en and "{" not in zh + en
        zh, en = fx.describe(feature, math.nan)
        assert zh and en
    assert fx.MONOTONE_CONSTRAINTS[fx.INDEX["tax_paid_12m_log"]] == -1
    assert fx.MONOTONE_CONSTRAINTS[fx.INDEX["penalties_36m"]] == 1


def test_reasons_read_as_plain_sentences() -> None:
    feature = fx.FEATURES[fx.INDEX["electricity_late_6m"]]
    assert fx.describe(feature, 3.0) == (
        "电费缴纳近6个月有3次逾期",
        "3 late electricity payments in 6 months",
    )
    tax = fx.FEATURES[fx.INDEX["tax_paid_12m_log"]]
    assert fx.describe(tax, math.nan) == (
        "未授权或缺少税务数据",
        "No tax data authorized or available",
    )


def test_the_feature_hash_is_the_hash_of_the_feature_code() -> None:
    source = Path(fx.__file__).read_text(encoding="utf-8")
    assert hashlib.sha256(source.encode("utf-8")).hexdigest() == fx.FEATURE_HASH


def test_arrears_and_late_bills_are_also_counted_across_families() -> None:
    tax = {
        "authorised": True,
        "months": [
            month(p, vat_sales="100.00", tax_paid="10.00", invoices_issued=1,
                  invoices_received=1, arrears="50.00" if p in ("2026-09", "2026-10") else "0.00")
            for p in periods("2026-10", 12)
        ],
    }  # fmt: skip
    social = {
        "authorised": True,
        "months": [
            month(p, insured_headcount=10, contributions="1000.00",
                  arrears="20.00" if p in ("2026-10", "2026-03") else "0.00")
            for p in periods("2026-10", 12)
        ],
    }  # fmt: skip
    water = {
        "authorised": True,
        "months": [
            month(p, cubic_metres="1.00", amount="1.00", days_late=3 if p == "2026-09" else 0)
            for p in periods("2026-10", 12)
        ],
    }  # fmt: skip
    vector = fx.vector(
        snapshot(tax=tax, social_insurance=social, water=water,
                 electricity=electricity({"2026-09": 2, "2026-01": 4}))
    )  # fmt: skip
    assert value(vector, "arrears_months_12m") == 3  # 2026-03, 2026-09, 2026-10
    assert value(vector, "utility_late_months_12m") == 2  # 2026-01, 2026-09
    assert math.isnan(value(fx.vector(snapshot()), "arrears_months_12m"))
