"""Product contracts, and the eligibility rule: structured data, never code.

An :class:`Eligibility` is what a bank states about who may borrow; every criterion is optional
and an absent one is no constraint. Its JSON Schema (``eligibility_schema``) is published at
``GET /api/v1/products/eligibility-schema`` so banks' systems and the portal's rule editor can
check a rule before sending it. msgspec checks the shapes and bounds; ``check_product`` the rules
between fields (min ≤ max, ceiling ≥ floor, known industry and district codes), naming the path
of the first failing value, e.g. ``eligibility.revenue.min``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.enums import Family

GRADES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "C")
"""The platform's risk grades, best first (the model bundle's ``grades`` use these names)."""
TAX_GRADES: tuple[str, ...] = ("A", "B", "M", "C", "D")
"""Tax credit grades (纳税信用等级), best first."""


class Grade(StrEnum):
    """A risk grade; best to worst: AAA, AA, A, BBB, BB, B, CCC, C."""

    AAA = "AAA"
    AA = "AA"
    A = "A"
    BBB = "BBB"
    BB = "BB"
    B = "B"
    CCC = "CCC"
    C = "C"


class TaxGrade(StrEnum):
    """A tax credit grade; best to worst: A, B, M, C, D."""

    A = "A"
    B = "B"
    M = "M"
    C = "C"
    D = "D"


class ProductType(StrEnum):
    CREDIT = "credit"  # 信用贷
    TAX_BASED = "tax_based"  # 税易贷 / 银税互动
    UTILITY_BASED = "utility_based"  # 水电气贷
    FIRST_LOAN = "first_loan"  # 首贷
    RENEWAL = "renewal"  # 续贷
    RECEIVABLES = "receivables"  # 应收账款融资
    IP_PLEDGE = "ip_pledge"  # 知识产权质押


class RepaymentMethod(StrEnum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本
    BULLET = "bullet"  # 到期一次还本付息
    REVOLVING = "revolving"  # 随借随还


class Guarantee(StrEnum):
    NONE = "none"  # 信用（无担保）
    GUARANTOR = "guarantor"  # 保证
    COLLATERAL = "collateral"  # 抵质押


class ProductStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # hidden from the catalogue and matching; the bank may resume it
    RETIRED = "retired"  # for good; its versions stay for what points at them


class ProductAction(StrEnum):
    """What a bank does to a product's status (``POST …/products/{id}/{action}``)."""

    PAUSE = "pause"
    RESUME = "resume"
    RETIRE = "retire"


class Exclusion(StrEnum):
    """Records that exclude an SME outright."""

    SERIOUS_DISHONESTY = "serious_dishonesty"  # 严重失信主体名单
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人
    ABNORMAL_OPERATION = "abnormal_operation"  # 经营异常名录


class Flag(StrEnum):
    """Recognitions a product may require (all of those listed)."""

    SPECIALISED = "specialised"  # 专精特新
    HIGH_TECH = "high_tech"  # 高新技术企业
    GREEN = "green"  # 绿色企业（环境信用绿牌等）


class IndustryMode(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


MAX_MONEY = Decimal("100000000000")  # ¥100 bn: far above any SME loan
MAX_RATE = Decimal("0.36")  # the judicial ceiling on private lending rates is far below
# msgspec bounds only ints and floats: ``check_product`` bounds these two.
Money = Annotated[Decimal, Meta(description="Yuan, 0 to 100,000,000,000")]
Rate = Annotated[
    Decimal,
    Meta(description="Annual rate as a fraction, e.g. 0.0385 for 3.85%; above 0, at most 0.36"),
]
IndustryCode = Annotated[
    str,
    Meta(
        pattern=r"^([A-T]|\d{2})$",
        description="A GB/T 4754-2017 section letter (C) or two-digit division (39)",
    ),
]
DistrictCode = Annotated[
    str, Meta(pattern=r"^\d{6}$", description="A 6-digit administrative division code")
]


class MoneyRange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    min: Money | None = None
    max: Money | None = None


class CountRange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    min: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None
    max: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None


class IndustryRule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    mode: IndustryMode
    codes: Annotated[list[IndustryCode], Meta(min_length=1, max_length=100)]


class Eligibility(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Who may borrow. Every criterion is optional; an absent one is no constraint."""

    min_grade: Annotated[Grade | None, Meta(description="The worst grade accepted")] = None
    max_pd: (
        Annotated[float, Meta(gt=0, lt=1, description="The highest probability of default")] | None
    ) = None
    industries: IndustryRule | None = None
    districts: (
        Annotated[
            list[DistrictCode],
            Meta(min_length=1, max_length=50, description="Registered in one of these"),
        ]
        | None
    ) = None
    min_years_operating: Annotated[float, Meta(ge=0, le=100)] | None = None
    min_tax_grade: Annotated[TaxGrade | None, Meta(description="The worst tax grade")] = None
    required_families: (
        Annotated[
            list[Family], Meta(max_length=6, description="Families the SME must have authorised")
        ]
        | None
    ) = None
    min_tax_months: (
        Annotated[int, Meta(ge=1, le=36, description="Months of tax figures in the window")] | None
    ) = None
    revenue: Annotated[
        MoneyRange | None, Meta(description="Invoiced sales over the trailing 12 months (tax)")
    ] = None
    headcount: Annotated[
        CountRange | None, Meta(description="Insured headcount, latest month (social insurance)")
    ] = None
    max_arrears_months: (
        Annotated[
            int,
            Meta(
                ge=0,
                le=12,
                description="Months in arrears (tax or social insurance) in the last 12",
            ),
        ]
        | None
    ) = None
    max_penalties_12m: (
        Annotated[
            int, Meta(ge=0, le=100, description="Administrative penalties in the last 12 months")
        ]
        | None
    ) = None
    exclusions: Annotated[list[Exclusion], Meta(max_length=3)] = msgspec.field(default_factory=list)
    flags: Annotated[list[Flag], Meta(max_length=3, description="All of these required")] = (
        msgspec.field(default_factory=list)
    )


class ProductIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A product as the bank states it; every edit is a whole new version."""

    name_zh: Annotated[str, Meta(min_length=2, max_length=100)]
    name_en: Annotated[str, Meta(min_length=2, max_length=150)]
    type: ProductType
    summary_zh: Annotated[str, Meta(max_length=500)] = ""
    summary_en: Annotated[str, Meta(max_length=800)] = ""
    amount_min: Money
    amount_max: Money
    term_min_months: Annotated[int, Meta(ge=1, le=360)]
    term_max_months: Annotated[int, Meta(ge=1, le=360)]
    rate_floor: Rate
    rate_ceiling: Rate
    rates_by_grade: Annotated[
        dict[Grade, Rate],
        Meta(description="Optional: the annual rate offered to each grade (within floor..ceiling)"),
    ] = msgspec.field(default_factory=dict)
    repayment_methods: Annotated[list[RepaymentMethod], Meta(min_length=1, max_length=5)]
    guarantee: Guarantee
    districts_served: Annotated[
        list[DistrictCode], Meta(max_length=50, description="Empty: the whole city")
    ] = msgspec.field(default_factory=list)
    response_days: Annotated[
        int, Meta(ge=1, le=30, description="Committed response time, in working days")
    ]
    eligibility: Eligibility = msgspec.field(default_factory=Eligibility)


class ProductOut(ProductIn, kw_only=True):
    id: UUID
    version_id: Annotated[UUID, Meta(description="The version shown: what an application cites")]
    version: int
    bank_id: UUID
    bank_name: str
    status: ProductStatus
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductPage(msgspec.Struct, kw_only=True):
    items: list[ProductOut]
    total: int
    limit: int
    offset: int


def eligibility_schema() -> dict[str, Any]:
    """The published JSON Schema of an eligibility rule (with its definitions)."""
    schema = msgspec.json.schema(Eligibility)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Xinyidai loan product eligibility rule",
        **schema,
    }


class VersionOut(msgspec.Struct, kw_only=True):
    id: UUID
    version: int
    created_at: dt.datetime
    created_by: UUID | None
    product: ProductIn
