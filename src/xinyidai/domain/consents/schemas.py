"""API contracts of SME data authorizations (to the platform) and bank consents."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.enums import Family
from xinyidai.models.consents import ConsentChannel, ConsentPurpose

Purpose = Annotated[
    str,
    Meta(
        min_length=2, max_length=500, description="Why the data may be fetched, in the SME's words"
    ),
]


class AuthorizationCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    families: Annotated[list[Family], Meta(min_length=1, max_length=6)]
    purpose: Purpose
    expires_at: Annotated[
        dt.datetime, Meta(tz=True, description="At most 12 months from now (ISO 8601 with offset)")
    ]


class AuthorizationOut(msgspec.Struct, kw_only=True):
    id: UUID
    reference: str
    families: list[Family]
    purpose: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    live: bool
    enterprise_name: Annotated[
        str | None, Meta(description="Filled in for the bank that holds the consent")
    ] = None
    enterprise_uscc: str | None = None
    sync_job_id: UUID | None = None


# --- SME -> bank consents -----------------------------------------------------------------------
class SharedData(StrEnum):
    """What a bank consent may cover: a family the platform fetches for the SME, or its score."""

    TAX = "tax"
    ELECTRICITY = "electricity"
    WATER = "water"
    GAS = "gas"
    SOCIAL_INSURANCE = "social_insurance"
    HOUSING_FUND = "housing_fund"
    SCORE = "score"


class BankConsentCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    bank_id: UUID
    families: Annotated[list[SharedData], Meta(min_length=1, max_length=7)]
    purpose: ConsentPurpose
    reference: (
        Annotated[
            str,
            Meta(
                min_length=2,
                max_length=200,
                description="What the consent is for: the application or need, or in words "
                "(required for `general`)",
            ),
        ]
        | None
    ) = None
    expires_at: (
        Annotated[
            dt.datetime,
            Meta(tz=True, description="At most 12 months from now; default 90 days"),
        ]
        | None
    ) = None


class BankConsentOut(msgspec.Struct, kw_only=True):
    id: UUID
    enterprise_id: UUID
    bank_id: UUID
    bank_name: str
    families: list[SharedData]
    purpose: ConsentPurpose
    reference: str | None
    channel: ConsentChannel
    client_id: str | None
    granted_at: dt.datetime
    granted_by: UUID
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    live: bool
    enterprise_name: Annotated[
        str | None, Meta(description="Filled in for the bank that holds the consent")
    ] = None
    enterprise_uscc: str | None = None
