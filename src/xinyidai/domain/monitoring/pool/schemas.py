"""The pool over HTTP: years, rule sets, the priority list, registrations, claims, the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.monitoring.pool.vocabulary import PoolClaimStatus, PoolEntryKind

Share = Annotated[Decimal, Meta(description="A fraction, 0 to 1 (0.40 is 40%)")]
Yuan = Annotated[Decimal, Meta(description="Yuan, 2 decimals")]
InputYuan = Annotated[Decimal, Meta(description="Yuan, 0 to 1,000,000,000,000, 2 decimals")]
InputShare = Annotated[Decimal, Meta(description="A fraction, 0 to 1, 4 decimals")]
Text200 = Annotated[str, Meta(min_length=1, max_length=200)]
Reason = Annotated[str, Meta(min_length=1, max_length=500)]


class PoolYearOut(msgspec.Struct, kw_only=True):
    """A pool year: its cap and where it stands (all derived from the ledger and the claims)."""

    year: int
    cap: Annotated[Yuan, Meta(description="The city's allocation: the ledger's balance")]
    approved: Annotated[Yuan, Meta(description="Compensation approved, gross")]
    recovered: Annotated[Yuan, Meta(description="Recoveries paid back to the pool")]
    pending: Annotated[Yuan, Meta(description="Compensation claimed and not decided yet")]
    paused: Annotated[Yuan, Meta(description="Of `pending`, claims waiting as paused")]
    remaining: Annotated[Yuan, Meta(description="Cap less approved plus recovered")]
    exposure: Annotated[Yuan, Meta(description="Approved net of recoveries, plus pending")]
    exposure_share: Annotated[Decimal | None, Meta(description="Exposure / cap")]
    near_cap: bool
    registered_loans: int
    registered_principal: Yuan


class PoolCapIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    cap: Annotated[InputYuan, Meta(description="The year's new cap, yuan")]
    note: Annotated[str, Meta(max_length=500)] | None = None


class PoolBandIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    up_to: Annotated[Decimal, Meta(description="Largest principal, yuan (more than 0)")]
    share: InputShare


class PoolBandOut(msgspec.Struct, kw_only=True):
    up_to: Yuan
    share: Share


class PoolRuleSetIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new rule set from ``valid_from``; an open-ended set that starts earlier is closed the
    day before (409 if that would move a registered loan's rules, or if they overlap else)."""

    name: Text200
    document: Annotated[str, Meta(max_length=100)] | None = None
    valid_from: dt.date
    valid_to: dt.date | None = None
    bands: Annotated[list[PoolBandIn], Meta(min_length=1, max_length=20)]
    priority_bonus: InputShare
    pboc_bonus: InputShare
    ceiling: Annotated[Decimal, Meta(description="More than 0, at most 1")]
    pause_loss_rate: Annotated[Decimal, Meta(description="More than 0, at most 1")]
    annual_cap: InputYuan


class PoolRuleSetOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    document: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    bands: list[PoolBandOut]
    priority_bonus: Share
    pboc_bonus: Share
    ceiling: Share
    pause_loss_rate: Share
    annual_cap: Yuan
    created_at: dt.datetime


class PriorityFirmIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    uscc: Annotated[str, Meta(max_length=32)]
    name: Text200
    valid_from: dt.date
    valid_to: dt.date | None = None
    note: Annotated[str, Meta(max_length=500)] | None = None


class PriorityFirmEnd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    valid_to: Annotated[dt.date, Meta(description="The last day the firm is on the list")]


class PriorityFirmOut(msgspec.Struct, kw_only=True):
    id: UUID
    uscc: str
    name: str
    valid_from: dt.date
    valid_to: dt.date | None
    note: str | None
    created_at: dt.datetime


class PoolRegistrationOut(msgspec.Struct, kw_only=True):
    id: UUID
    loan_id: UUID
    bank_id: UUID
    bank_name: str
    enterprise_id: UUID
    enterprise_name: str
    uscc: str
    year: int
    disbursed_on: dt.date
    principal: Yuan
    eligible: bool
    reasons: Annotated[list[str], Meta(description="Why it was not registered")]
    product_type: str | None
    priority_firm: bool
    ip_pledge: bool
    pboc_funded: bool
    band_share: Share | None
    bonus: Share | None
    share: Annotated[Share | None, Meta(description="Band plus bonuses, at most the ceiling")]
    loan_status: str
    loss_amount: Yuan | None
    recovered_amount: Yuan
    claim_id: UUID | None
    claim_status: PoolClaimStatus | None


class PoolRegistrationPage(msgspec.Struct, kw_only=True):
    items: list[PoolRegistrationOut]
    total: int
    limit: int
    offset: int


class PoolClaimIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    loan_id: UUID


class PoolRejectIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason


class PoolClaimOut(msgspec.Struct, kw_only=True):
    id: UUID
    loan_id: UUID
    registration_id: UUID
    bank_id: UUID
    bank_name: str
    enterprise_name: str
    uscc: str
    year: int
    status: PoolClaimStatus
    principal: Yuan
    loss_amount: Annotated[Yuan, Meta(description="Principal lost, as the bank reported it")]
    recovered_before: Annotated[Yuan, Meta(description="Recovered before compensation")]
    share: Share
    compensation: Annotated[Yuan, Meta(description="share x (loss - recovered_before)")]
    paid_back: Annotated[Yuan, Meta(description="Recoveries paid back to the pool since")]
    loss_rate: Annotated[
        Decimal | None, Meta(description="The bank's loss rate in the pool year when filed")
    ]
    reason: str | None
    filed_at: dt.datetime
    decided_at: dt.datetime | None


class PoolClaimPage(msgspec.Struct, kw_only=True):
    items: list[PoolClaimOut]
    total: int
    limit: int
    offset: int


class PoolLineOut(msgspec.Struct, kw_only=True):
    account: str
    debit: Yuan | None
    credit: Yuan | None


class PoolEntryOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: PoolEntryKind
    year: int
    bank_id: UUID | None
    claim_id: UUID | None
    memo: str
    at: dt.datetime
    lines: list[PoolLineOut]


class PoolEntryPage(msgspec.Struct, kw_only=True):
    items: list[PoolEntryOut]
    next_cursor: Annotated[str | None, Meta(description="Pass as `cursor` for the next page")]


class PoolBalanceOut(msgspec.Struct, kw_only=True):
    account: str
    balance: Annotated[Yuan, Meta(description="Debits less credits")]


class PoolBalances(msgspec.Struct, kw_only=True):
    accounts: list[PoolBalanceOut]
    total: Annotated[Yuan, Meta(description="Sum of every line: always 0.00")]
