"""API contracts of SME data authorizations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.enums import Family

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
    sync_job_id: UUID | None = None
