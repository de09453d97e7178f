"""API contracts of the SME registry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from xinyidai.dates import china_today
from xinyidai.infra.bounds import check_date
from xinyidai.models.enterprises import EnterpriseStatus

FIRST_FOUNDING = dt.date(1949, 1, 1)

Name = Annotated[str, Meta(min_length=2, max_length=200, description="Registered name (主体名称)")]
USCCText = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=32,
        description="统一社会信用代码, 18 characters (GB 32100-2015)",
        examples=["91440106MA59C4YQ8R"],
    ),
]
PersonName = Annotated[str, Meta(min_length=1, max_length=100)]
IdNumber = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=32,
        description="Legal representative's resident ID number (GB 11643-1999); stored encrypted, "
        "never returned",
    ),
]
Money = Annotated[Decimal, Meta(description="Amount in CNY (yuan)")]
Division = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=4,
        description="GB/T 4754-2017 division (大类), two digits, e.g. '39'",
    ),
]
District = Annotated[
    str,
    Meta(
        min_length=1, max_length=8, description="6-digit administrative division code, e.g. 440106"
    ),
]


FoundedOn = Annotated[
    dt.date,
    Meta(description="成立日期: from 1949-01-01 to today (China Standard Time)"),
]


def check_founding_date(value: dt.date, today: dt.date | None = None) -> dt.date:
    """A founding date from 1949 to today (China Standard Time); else 422 ``date_range``."""
    return check_date("founded_on", value, earliest=FIRST_FOUNDING, latest=today or china_today())


class EnterpriseCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    uscc: USCCText
    legal_rep_name: PersonName
    legal_rep_id_number: IdNumber
    registered_capital: Money
    founded_on: FoundedOn
    industry_division: Division
    district_code: District


class EnterpriseUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields an SME may change. USCC, status and ownership are not among them."""

    name: Name | UnsetType = UNSET
    legal_rep_name: PersonName | UnsetType = UNSET
    legal_rep_id_number: IdNumber | UnsetType = UNSET
    registered_capital: Money | UnsetType = UNSET
    founded_on: FoundedOn | UnsetType = UNSET
    industry_division: Division | UnsetType = UNSET
    district_code: District | UnsetType = UNSET


class Industry(msgspec.Struct, frozen=True):
    section: str
    division: str
    section_name_zh: str
    section_name_en: str


class EnterpriseOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_masked: str
    registered_capital: Decimal
    founded_on: dt.date
    industry: Industry
    district_code: str
    status: EnterpriseStatus
    verified_at: Annotated[
        dt.datetime | None,
        Meta(description="Since when its legal representative has verified it; null: not"),
    ]
    created_at: dt.datetime
    updated_at: dt.datetime


class EnterprisePage(msgspec.Struct, kw_only=True):
    items: list[EnterpriseOut]
    total: int
    limit: int
    offset: int
