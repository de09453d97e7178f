"""API contracts of the banks' service levels (the credit office's table and overdue list, and
each bank's own view). Working days are Decimal strings to 0.01 day, shares fractions 0–1 to 6
places (the statistics' units, ``CONTRACT-17``); a figure with nothing to measure is null."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.applications.vocabulary import ApplicationStatus


class Period(msgspec.Struct, kw_only=True):
    """China dates, both days included."""

    from_: dt.date = msgspec.field(name="from")
    to: dt.date


class Committed(msgspec.Struct, kw_only=True):
    """What the bank promised on the applications submitted in the period: the product's (or
    needs-pool offer's) response time in working days."""

    applications: Annotated[int, Meta(description="Applications submitted in the period")]
    median_days: Annotated[
        Decimal | None, Meta(description="Median committed working days (nearest rank)")
    ]
    min_days: int | None
    max_days: int | None


class Actual(msgspec.Struct, kw_only=True):
    """How the bank answered: the decisions made in the period (China date of the decision),
    each timed from submission in working days (Mon–Fri, China time)."""

    decisions: int
    median_days: Annotated[Decimal | None, Meta(description="p50, nearest rank, 0.01 day")]
    p90_days: Annotated[Decimal | None, Meta(description="p90, nearest rank, 0.01 day")]
    within_commitment: Annotated[
        int, Meta(description="Decisions made at or before the application's respond_by")
    ]
    past_commitment: Annotated[int, Meta(description="Decisions made after respond_by")]
    share_within: Annotated[
        Decimal | None, Meta(description="within_commitment / decisions (fraction, 6 places)")
    ]


class BankLevel(msgspec.Struct, kw_only=True):
    bank_id: UUID
    bank_name: str
    bank_code: str
    committed: Committed
    actual: Actual
    waiting_past_commitment: Annotated[
        int,
        Meta(
            description="Now: applications undecided (submitted, delivered, under review), not "
            "withdrawn, whose respond_by has passed (whatever the period)"
        ),
    ]
    oldest_respond_by: Annotated[
        dt.datetime | None, Meta(description="The earliest respond_by among those waiting")
    ]
    claims_released_unanswered: Annotated[
        int,
        Meta(
            description="Needs-pool claims the SME accepted whose application the bank left "
            "unanswered past its commitment until the SME withdrew it (withdrawn in the period)"
        ),
    ]
    behind: Annotated[
        bool,
        Meta(
            description="The actual median is above the committed median, or an application "
            "waits past its commitment now"
        ),
    ]


class ServiceLevels(msgspec.Struct, kw_only=True):
    period: Period
    as_of: dt.datetime
    banks: list[BankLevel]
    total: Annotated[
        BankLevel | None, Meta(description="Every bank together (the office's view only)")
    ] = None


class OverdueSort(StrEnum):
    MOST_OVERDUE = "-overdue"  # longest past its commitment first
    LEAST_OVERDUE = "overdue"
    NEWEST = "-submitted"


class OverdueProduct(msgspec.Struct, kw_only=True):
    id: UUID | None
    type: Annotated[str, Meta(description="A product type, or needs_offer (a needs-pool claim)")]
    name_zh: str
    name_en: str


class OverdueApplication(msgspec.Struct, kw_only=True):
    application_id: UUID
    status: ApplicationStatus
    bank_id: UUID
    bank_name: str
    product: OverdueProduct
    enterprise_id: UUID
    enterprise_name: str
    amount: Decimal
    submitted_at: dt.datetime
    response_days: int
    respond_by: dt.datetime
    working_days_overdue: Annotated[
        Decimal, Meta(description="Working days from respond_by to now (0.01 day)")
    ]


class OverduePage(msgspec.Struct, kw_only=True):
    as_of: dt.datetime
    items: list[OverdueApplication]
    total: int
    limit: int
    offset: int
