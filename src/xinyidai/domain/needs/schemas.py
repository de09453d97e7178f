"""API contracts of the needs pool: what an SME posts and reads, what a bank browses and
claims. A bank's view of a need (:class:`Listing`) has bands and generalised codes only; the
SME's identity is on a bank's claim only once the SME accepted that claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.consents.schemas import BankConsentOut, SharedData
from xinyidai.domain.needs.anonymise import Generalisation, GradeBand, SizeBand
from xinyidai.domain.needs.vocabulary import (
    ClaimCondition,
    NeedClaimStatus,
    NeedPurpose,
    NeedStatus,
)

MAX_DEADLINE_DAYS = 90
"""A need's deadline lies within this many days of the day it is posted."""


Amount = Annotated[Decimal, Meta(description="Yuan, above 0, at most 100,000,000,000, 2 places")]
Rate = Annotated[
    Decimal,
    Meta(description="Annual rate as a fraction, e.g. 0.0385 for 3.85%; above 0, at most 0.36"),
]
Term = Annotated[int, Meta(ge=1, le=360, description="Months")]


class NeedCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount: Amount
    term_months: Term
    purpose: NeedPurpose
    note: (
        Annotated[
            str,
            Meta(
                max_length=500,
                description="Anything the SME wants to add; never shown in the pool",
            ),
        ]
        | None
    ) = None
    max_rate: Annotated[Decimal, Meta(description="The highest acceptable annual rate")]
    deadline: Annotated[
        dt.date,
        Meta(description=f"The last day banks may claim it: tomorrow to {MAX_DEADLINE_DAYS} days"),
    ]


# --- what a bank sees ---------------------------------------------------------------------------
class IndustryShown(msgspec.Struct, kw_only=True):
    level: Annotated[str, Meta(description="`division`, `section` or `none` (generalised away)")]
    code: str | None
    name_zh: str | None
    name_en: str | None


class RegionShown(msgspec.Struct, kw_only=True):
    level: Annotated[str, Meta(description="`district` or `city`")]
    code: str


class BandOut(msgspec.Struct, kw_only=True):
    code: str
    low: Decimal | None
    high: Decimal | None


class Listing(msgspec.Struct, kw_only=True):
    """A need as the pool shows it: no name, USCC, enterprise id, exact amount, exact rate or
    note. ``industry`` and ``district`` are generalised until at least ``k`` (≥ 5) registered
    enterprises share them."""

    id: UUID
    industry: IndustryShown
    district: RegionShown
    generalisation: Generalisation
    k: Annotated[int, Meta(description="Registered enterprises sharing the industry and district")]
    size_band: SizeBand
    grade_band: GradeBand
    amount_band: Annotated[BandOut, Meta(description="Yuan: low ≤ amount < high")]
    term_months: int
    purpose: NeedPurpose
    rate_cap_band: Annotated[BandOut, Meta(description="Annual rate: low < cap ≤ high")]
    deadline: dt.date
    status: NeedStatus
    published_on: dt.date
    my_claim_id: Annotated[
        UUID | None, Meta(description="The calling bank's live claim on it, if any")
    ] = None


class ListingPage(msgspec.Struct, kw_only=True):
    items: list[Listing]
    total: int
    limit: int
    offset: int


class ClaimCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    amount: Amount
    rate: Rate
    term_months: Term
    conditions: Annotated[list[ClaimCondition], Meta(max_length=9)] = msgspec.field(
        default_factory=list
    )
    response_days: Annotated[
        int,
        Meta(
            ge=1,
            le=30,
            description="Committed response time in working days (Mon-Fri): the offer stands "
            "this long; not accepted by then, it expires",
        ),
    ]


class SmeIdentity(msgspec.Struct, kw_only=True):
    enterprise_id: UUID
    name: str
    uscc: str


class BankClaimOut(msgspec.Struct, kw_only=True):
    """A claim as its bank sees it. ``enterprise`` is filled in only on an accepted claim."""

    id: UUID
    bank_id: UUID
    status: NeedClaimStatus
    amount: Decimal
    rate: Decimal
    term_months: int
    conditions: list[ClaimCondition]
    response_days: int
    respond_by: Annotated[dt.date, Meta(description="The offer's last day (China time)")]
    claimed_at: dt.datetime
    decided_at: dt.datetime | None
    listing: Listing | None
    enterprise: SmeIdentity | None = None
    consent_id: UUID | None = None


# --- what the SME sees ---------------------------------------------------------------------------
class SmeClaimOut(msgspec.Struct, kw_only=True):
    id: UUID
    bank_id: UUID
    bank_name: str
    status: NeedClaimStatus
    amount: Decimal
    rate: Decimal
    term_months: int
    conditions: list[ClaimCondition]
    response_days: int
    respond_by: dt.date
    claimed_at: dt.datetime
    decided_at: dt.datetime | None
    consent_id: UUID | None


class NeedOut(msgspec.Struct, kw_only=True):
    id: UUID
    enterprise_id: UUID
    status: NeedStatus
    amount: Decimal
    term_months: int
    purpose: NeedPurpose
    note: str | None
    max_rate: Decimal
    deadline: dt.date
    created_at: dt.datetime
    closed_at: dt.datetime | None
    open_claims: int
    listing: Annotated[
        Listing | None,
        Meta(description="How banks see it in the pool (null: withheld, the registry is too thin)"),
    ]


class AcceptClaim(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    families: Annotated[
        list[SharedData],
        Meta(
            min_length=1,
            max_length=7,
            description="What the bank may read: families the platform holds a live "
            "authorization for, and `score`",
        ),
    ]
    expires_at: (
        Annotated[
            dt.datetime,
            Meta(tz=True, description="The consent's end: at most 12 months; default 90 days"),
        ]
        | None
    ) = None


class Accepted(msgspec.Struct, kw_only=True):
    need: NeedOut
    claim: SmeClaimOut
    consent: BankConsentOut
    application_id: Annotated[
        UUID, Meta(description="The application the acceptance made, delivered to the bank")
    ]
