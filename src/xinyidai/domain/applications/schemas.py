"""What applications, decisions, loans and loan events look like over HTTP: to the SME, to the
bank's users in the portal, and to the bank's server over ``/openapi/v1``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.applications.vocabulary import (
    Actor,
    ApplicationStatus,
    LoanEventKind,
    OutboxStatus,
    RejectReason,
)
from xinyidai.domain.consents.schemas import SharedData
from xinyidai.domain.needs.vocabulary import NeedPurpose
from xinyidai.domain.products.schemas import Money, ProductType, Rate

Note = Annotated[str, Meta(max_length=500)]
Term = Annotated[int, Meta(ge=1, le=360, description="Months")]


class ConsentGrant(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The consent the SME grants the product's bank with the application."""

    families: Annotated[
        list[SharedData],
        Meta(
            min_length=1,
            max_length=7,
            description="What the bank may read: families the platform holds, and `score`",
        ),
    ]
    expires_at: (
        Annotated[dt.datetime, Meta(tz=True, description="At most 12 months; default 90 days")]
        | None
    ) = None


class ApplicationCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    product_id: UUID
    product_version_id: Annotated[
        UUID | None,
        Meta(
            description="The version the SME saw: if the bank has changed the product since, "
            "409 (read it again). Default: the current version"
        ),
    ] = None
    amount: Annotated[Money, Meta(description="Yuan, within the product's range")]
    term_months: Annotated[Term, Meta(description="Months, within the product's range")]
    purpose: NeedPurpose
    note: Note | None = None
    consent: ConsentGrant


class Unmet(msgspec.Struct, kw_only=True):
    criterion: str
    zh: str
    en: str


class EligibilityVerdict(msgspec.Struct, kw_only=True):
    """The matching engine's verdict when the SME applied (an ineligible SME may apply)."""

    eligible: bool
    unmet: list[Unmet]
    profile_version: Annotated[int | None, Meta(description="The profile it was judged on")] = None


class Decision(msgspec.Struct, kw_only=True):
    outcome: Annotated[str, Meta(description="`approve` or `reject`")]
    amount: Decimal | None
    annual_rate: Decimal | None
    term_months: int | None
    reason: RejectReason | None
    note: str | None
    decided_at: dt.datetime


class LoanOut(msgspec.Struct, kw_only=True):
    id: UUID
    application_id: UUID
    bank_id: UUID
    enterprise_id: UUID
    amount: Annotated[Decimal, Meta(description="Approved principal, yuan")]
    annual_rate: Decimal
    term_months: int
    unsecured: Annotated[bool, Meta(description="A credit loan: no guarantor, no collateral")]
    status: ApplicationStatus
    approved_on: dt.date
    disbursed_amount: Decimal | None
    disbursed_on: dt.date | None
    maturity_on: dt.date | None
    principal_repaid: Decimal
    interest_paid: Decimal
    outstanding: Annotated[Decimal, Meta(description="Disbursed less principal repaid and lost")]
    overdue_since: dt.date | None
    overdue_amount: Decimal | None
    defaulted_on: dt.date | None
    loss_amount: Decimal | None
    settled_on: dt.date | None
    recovered_amount: Annotated[Decimal, Meta(description="Principal recovered after the default")]
    pboc_funded: Annotated[bool, Meta(description="PBoC tools fund it (the bank said so)")]


class TimelineEntry(msgspec.Struct, kw_only=True):
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    actor: Actor
    at: dt.datetime
    detail: dict[str, Any]


class ApplicationOut(msgspec.Struct, kw_only=True):
    id: UUID
    status: ApplicationStatus
    status_at: dt.datetime
    submitted_at: dt.datetime
    enterprise_id: UUID
    enterprise_name: str
    enterprise_uscc: str
    bank_id: UUID
    bank_name: str
    product_id: Annotated[UUID | None, Meta(description="Null for an offer from the needs pool")]
    product_version_id: UUID | None
    product_version: Annotated[int, Meta(description="0 for an offer from the needs pool")]
    product_name_zh: str
    product_name_en: str
    product_type: ProductType
    amount: Decimal
    term_months: int
    purpose: NeedPurpose
    note: str | None
    eligibility: EligibilityVerdict
    grade: Annotated[str | None, Meta(description="The SME's grade when it applied")]
    consent_id: UUID
    need_claim_id: UUID | None
    delivery: Annotated[
        OutboxStatus | None, Meta(description="How delivery to the bank stands")
    ] = None
    decision: Decision | None = None
    loan: LoanOut | None = None
    timeline: Annotated[
        list[TimelineEntry] | None, Meta(description="Every step, oldest first (one application)")
    ] = None


class ApplicationPage(msgspec.Struct, kw_only=True):
    items: list[ApplicationOut]
    total: int
    limit: int
    offset: int


class Outcome(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Approve with amount, annual rate and term; or reject with a reason code."""

    outcome: Outcome
    amount: Annotated[Money | None, Meta(description="Approve: the principal, yuan")] = None
    annual_rate: Annotated[Rate | None, Meta(description="Approve: e.g. 0.0435")] = None
    term_months: Annotated[Term | None, Meta(description="Approve: months")] = None
    reason: Annotated[
        RejectReason | None, Meta(description="Reject: a code of `/openapi/v1/reason-codes`")
    ] = None
    note: Note | None = None


class Decided(msgspec.Struct, kw_only=True):
    application: ApplicationOut
    loan_id: UUID | None


class LoanEventIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """disbursed: `amount` paid out; repayment: principal repaid in `amount`, and `interest`;
    overdue: the overdue `amount` and `days_overdue`; default: `amount`, the principal lost;
    settled: optionally the last principal in `amount` (nothing may remain outstanding);
    recovery (after a default): the principal recovered in `amount`. With `disbursed`,
    `prior_credit` says whether the bank's credit report shows earlier bank credit: a first loan
    on the platform without it is a first-time borrower's (首贷户)."""

    kind: LoanEventKind
    occurred_on: dt.date
    amount: Money | None = None
    interest: Money | None = None
    days_overdue: Annotated[int, Meta(ge=1, le=3650)] | None = None
    note: Note | None = None
    prior_credit: bool | None = None
    pboc_funded: Annotated[
        bool | None,
        Meta(
            description="disbursed only: PBoC tools (relending, rediscount) fund the loan "
            "(a bonus in the risk-compensation pool)"
        ),
    ] = None


class LoanEventOut(msgspec.Struct, kw_only=True):
    id: UUID
    loan_id: UUID
    kind: LoanEventKind
    occurred_on: dt.date
    amount: Decimal | None
    interest: Decimal | None
    days_overdue: int | None
    note: str | None
    recorded_at: dt.datetime


class LoanEventResult(msgspec.Struct, kw_only=True):
    event: LoanEventOut
    loan: LoanOut


class ReasonCode(msgspec.Struct, kw_only=True):
    code: RejectReason
    zh: str
    en: str


class ApplicationDocument(msgspec.Struct, kw_only=True):
    """An application as a bank's server receives it (intake) or polls it."""

    id: UUID
    status: ApplicationStatus
    submitted_at: dt.datetime
    enterprise: dict[str, str]
    product: dict[str, Any]
    amount: Decimal
    term_months: int
    purpose: NeedPurpose
    note: str | None
    eligibility: EligibilityVerdict
    grade: str | None
    consent: dict[str, Any]
    links: dict[str, str]
    loan_id: UUID | None = None


class ApplicationFeed(msgspec.Struct, kw_only=True):
    items: list[ApplicationDocument]
    next_cursor: Annotated[str | None, Meta(description="Pass as `cursor` for the next page")]
