"""The demo city's loan products: each of the five demo banks offers six to eight products
drawn from the kinds Guangzhou's banks offer SMEs (tax-based, utility-based, first loans,
renewals, 专精特新 and green loans, IP pledges, receivables), each bank with its own brand,
prices and a few rules of its own. Deterministic: the same city every time."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import func, select

from xinyidai.domain.demo.city import BANKS
from xinyidai.domain.products.schemas import ProductIn
from xinyidai.domain.products.services import ProductService
from xinyidai.models import Bank, Product

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

# (brand zh, brand en, which templates, rate offset in percentage points, districts it favours)
_BRANDS: dict[str, tuple[str, str, tuple[int, ...], str]] = {
    "ICBC_GZ": ("工银", "ICBC", (0, 1, 2, 3, 4, 5, 6, 7), "0.00"),
    "CCB_GZ": ("建行", "CCB", (0, 1, 2, 4, 5, 6, 8), "0.05"),
    "ABC_GZ": ("农银", "ABC", (0, 1, 3, 5, 6, 9), "0.10"),
    "GRCB": ("广州农商", "GRCB", (0, 1, 2, 3, 6, 9, 10), "0.35"),
    "CMB_GZ": ("招行", "CMB", (0, 1, 4, 7, 8, 10), "0.20"),
}
_RURAL = ["440114", "440117", "440118"]  # 花都, 从化, 增城

# name zh, name en, type, guarantee, amount range, term range, rate floor/ceiling (%), rule,
# summary zh, summary en
_TEMPLATES: list[dict[str, Any]] = [
    {
        "zh": "税易贷",
        "en": "Tax Easy Loan",
        "type": "tax_based",
        "guarantee": "none",
        "amount": ("100000", "3000000"),
        "term": (6, 36),
        "rate": ("3.45", "6.00"),
        "rule": {
            "min_grade": "BBB",
            "min_tax_grade": "B",
            "required_families": ["tax"],
            "min_tax_months": 12,
            "revenue": {"min": "1000000"},
            "exclusions": ["serious_dishonesty", "dishonest_debtor"],
        },
        "by_grade": {"AAA": "3.45", "AA": "3.65", "A": "3.95", "BBB": "4.60"},
        "szh": "凭纳税信用和开票记录授信，全程线上，无需抵押。",
        "sen": "Credit on your tax record and invoices, online end to end, no collateral.",
    },
    {
        "zh": "经营快贷",
        "en": "Business Quick Loan",
        "type": "credit",
        "guarantee": "none",
        "amount": ("50000", "1000000"),
        "term": (3, 12),
        "rate": ("3.80", "7.50"),
        "rule": {
            "min_grade": "BB",
            "min_years_operating": 1,
            "max_penalties_12m": 1,
            "exclusions": ["serious_dishonesty", "dishonest_debtor", "abnormal_operation"],
        },
        "szh": "小额纯信用经营贷，随借随还。",
        "sen": "A small unsecured business loan; draw and repay any time.",
        "repay": ["revolving", "interest_first"],
    },
    {
        "zh": "电e贷",
        "en": "Power e-Loan",
        "type": "utility_based",
        "guarantee": "none",
        "amount": ("50000", "1000000"),
        "term": (12, 12),
        "rate": ("4.20", "7.20"),
        "rule": {
            "min_grade": "BB",
            "required_families": ["electricity"],
            "max_arrears_months": 2,
            "exclusions": ["serious_dishonesty"],
        },
        "szh": "以用电量和电费缴纳记录评估经营状况。",
        "sen": "Your electricity use and bill payments show how the business runs.",
    },
    {
        "zh": "首贷通",
        "en": "First Loan Pass",
        "type": "first_loan",
        "guarantee": "none",
        "amount": ("30000", "500000"),
        "term": (6, 12),
        "rate": ("4.35", "8.00"),
        "rule": {
            "min_grade": "B",
            "min_years_operating": 1,
            "headcount": {"max": 100},
            "exclusions": ["serious_dishonesty", "dishonest_debtor"],
        },
        "szh": "专为从未在银行贷款的小微企业设计。",
        "sen": "For small businesses that have never borrowed from a bank.",
    },
    {
        "zh": "专精特新贷",
        "en": "Specialised & Innovative Loan",
        "type": "credit",
        "guarantee": "none",
        "amount": ("500000", "10000000"),
        "term": (12, 36),
        "rate": ("3.20", "5.00"),
        "rule": {
            "min_grade": "A",
            "flags": ["specialised"],
            "industries": {"mode": "include", "codes": ["C", "I", "M"]},
            "exclusions": ["serious_dishonesty", "dishonest_debtor"],
        },
        "szh": "面向专精特新中小企业的中长期信用贷款。",
        "sen": "Medium-term unsecured credit for specialised and innovative SMEs.",
    },
    {
        "zh": "穗碳绿色贷",
        "en": "Green Carbon Loan",
        "type": "credit",
        "guarantee": "none",
        "amount": ("200000", "5000000"),
        "term": (12, 36),
        "rate": ("3.30", "5.50"),
        "rule": {"min_grade": "BBB", "flags": ["green"], "exclusions": ["serious_dishonesty"]},
        "szh": "支持环境信用良好的企业节能减排、绿色转型。",
        "sen": "For firms with a good environmental record investing in cleaner operations.",
    },
    {
        "zh": "续贷通",
        "en": "Renewal Pass",
        "type": "renewal",
        "guarantee": "none",
        "amount": ("100000", "3000000"),
        "term": (12, 12),
        "rate": ("3.90", "6.50"),
        "rule": {
            "min_grade": "BBB",
            "min_years_operating": 3,
            "required_families": ["tax", "social_insurance"],
            "max_arrears_months": 0,
            "exclusions": ["serious_dishonesty", "dishonest_debtor", "abnormal_operation"],
        },
        "szh": "到期无还本续贷，避免过桥资金。",
        "sen": "Renew at maturity without repaying first; no bridge loans needed.",
    },
    {
        "zh": "知识产权质押贷",
        "en": "IP Pledge Loan",
        "type": "ip_pledge",
        "guarantee": "collateral",
        "amount": ("300000", "5000000"),
        "term": (12, 36),
        "rate": ("3.60", "6.00"),
        "rule": {
            "min_grade": "BB",
            "industries": {"mode": "include", "codes": ["C", "I", "M"]},
            "exclusions": ["serious_dishonesty"],
        },
        "szh": "以专利、商标等知识产权质押融资。",
        "sen": "Borrow against patents, trademarks and other intellectual property.",
    },
    {
        "zh": "应收账款融资",
        "en": "Receivables Finance",
        "type": "receivables",
        "guarantee": "collateral",
        "amount": ("100000", "5000000"),
        "term": (3, 12),
        "rate": ("3.80", "6.80"),
        "rule": {
            "min_grade": "BB",
            "min_years_operating": 2,
            "revenue": {"min": "3000000"},
            "required_families": ["tax"],
        },
        "szh": "以对核心企业的应收账款质押融资。",
        "sen": "Finance against receivables from larger buyers.",
        "repay": ["bullet", "interest_first"],
    },
    {
        "zh": "整村授信贷",
        "en": "Village Credit Loan",
        "type": "credit",
        "guarantee": "guarantor",
        "amount": ("30000", "800000"),
        "term": (6, 24),
        "rate": ("4.50", "7.80"),
        "rule": {
            "min_grade": "B",
            "districts": _RURAL,
            "exclusions": ["serious_dishonesty", "dishonest_debtor"],
        },
        "szh": "服务花都、从化、增城的涉农及乡村小微企业。",
        "sen": "For farm and village businesses in Huadu, Conghua and Zengcheng.",
        "served": _RURAL,
    },
    {
        "zh": "科创信用贷",
        "en": "Tech Credit Loan",
        "type": "credit",
        "guarantee": "none",
        "amount": ("200000", "3000000"),
        "term": (12, 36),
        "rate": ("3.50", "5.80"),
        "rule": {
            "min_grade": "BBB",
            "industries": {"mode": "include", "codes": ["I", "M"]},
            "min_years_operating": 2,
            "required_families": ["tax", "social_insurance"],
            "headcount": {"min": 5},
            "exclusions": ["serious_dishonesty"],
        },
        "szh": "面向软件、信息技术和科研服务企业。",
        "sen": "For software, IT and research services firms.",
    },
]


def _pct(value: str, offset: Decimal) -> str:
    return str((Decimal(value) + offset) / 100)


def demo_products(code: str) -> list[ProductIn]:
    """The products one demo bank offers."""
    brand_zh, brand_en, chosen, offset_text = _BRANDS[code]
    offset = Decimal(offset_text)
    products = []
    for n, index in enumerate(chosen):
        template = _TEMPLATES[index]
        floor, ceiling = template["rate"]
        by_grade = {
            grade: _pct(rate, offset) for grade, rate in template.get("by_grade", {}).items()
        }
        products.append(
            msgspec.convert(
                {
                    "name_zh": f"{brand_zh}{template['zh']}",
                    "name_en": f"{brand_en} {template['en']}",
                    "type": template["type"],
                    "summary_zh": template["szh"],
                    "summary_en": template["sen"],
                    "amount_min": template["amount"][0],
                    "amount_max": template["amount"][1],
                    "term_min_months": template["term"][0],
                    "term_max_months": template["term"][1],
                    "rate_floor": _pct(floor, offset),
                    "rate_ceiling": _pct(ceiling, offset),
                    "rates_by_grade": by_grade,
                    "repayment_methods": template.get(
                        "repay", ["equal_instalment", "interest_first"]
                    ),
                    "guarantee": template["guarantee"],
                    "districts_served": template.get("served", []),
                    "response_days": 2 + (n + len(code)) % 4,
                    "eligibility": template["rule"],
                },
                ProductIn,
            )
        )
    return products


async def seed_demo_products(session: AsyncSession, redis: Redis) -> int:
    """Publish the demo banks' products, unless any product exists. Returns how many."""
    if await session.scalar(select(func.count()).select_from(Product)):
        return 0
    service = ProductService(session, redis)
    published = 0
    for code, _, _ in BANKS:
        bank_id = await session.scalar(select(Bank.id).where(Bank.short_code == code))
        if bank_id is None:
            continue
        for product in demo_products(code):
            await service.publish(bank_id, product)
            published += 1
    return published
