"""A realistic product as a bank states it, for tests to vary."""

from __future__ import annotations

from typing import Any


def product_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name_zh": "税易贷",
        "name_en": "Tax Easy Loan",
        "type": "tax_based",
        "summary_zh": "按纳税记录授信，无需抵押。",
        "summary_en": "Credit on your tax record, no collateral.",
        "amount_min": "100000",
        "amount_max": "3000000",
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_floor": "0.0345",
        "rate_ceiling": "0.0600",
        "rates_by_grade": {"AAA": "0.0345", "A": "0.0420", "BBB": "0.0500"},
        "repayment_methods": ["equal_instalment", "interest_first"],
        "guarantee": "none",
        "districts_served": [],
        "response_days": 3,
        "eligibility": {
            "min_grade": "BBB",
            "min_tax_grade": "B",
            "required_families": ["tax"],
            "min_tax_months": 12,
            "revenue": {"min": "1000000"},
            "exclusions": ["serious_dishonesty", "dishonest_debtor"],
        },
    }
    payload.update(changes)
    return payload
