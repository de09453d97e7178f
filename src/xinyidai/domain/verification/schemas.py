"""API contracts of enterprise claims and their verification."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.models.enterprises import AlertStatus, ClaimStatus

Note = Annotated[str, Meta(min_length=1, max_length=2000)]
Code = Annotated[str, Meta(min_length=1, max_length=512)]
State = Annotated[str, Meta(min_length=1, max_length=128)]


class ClaimOut(msgspec.Struct, kw_only=True):
    """An account's claim to be an enterprise, and where its verification stands."""

    id: UUID
    status: ClaimStatus
    uscc: str
    name: str
    legal_rep_name: str
    legal_rep_id_masked: str
    registered_capital: Decimal
    founded_on: dt.date
    industry_division: str
    district_code: str
    enterprise_id: Annotated[
        UUID | None, Meta(description="The enterprise this account acts for, once verified")
    ] = None
    verified_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    closed_reason: str | None = None
    may_verify: bool
    may_edit: bool


class VerificationStart(msgspec.Struct, kw_only=True):
    authorization_url: Annotated[
        str,
        Meta(description="Send the legal representative's browser here (the identity service)"),
    ]
    expires_in: Annotated[int, Meta(description="Seconds the link stays valid")]


class AlertOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    uscc: str
    enterprise_id: UUID | None
    claimant_email: str
    claimed_name: str
    claimed_legal_rep: str
    client_address: str | None
    status: AlertStatus
    created_at: dt.datetime
    closed_at: dt.datetime | None
    note: str | None


class AlertPage(msgspec.Struct, kw_only=True):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class AlertClose(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Note


class VerificationRevoke(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[
        str, Meta(min_length=1, max_length=2000, description="Why (shown to the account)")
    ]
