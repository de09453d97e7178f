"""API contracts of banks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from xinyidai.models.accounts import Role

Url = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=500,
        description="https:// base URL of the bank's API (http:// allowed for loopback only)",
    ),
]
ContactName = Annotated[str, Meta(min_length=1, max_length=100)]
ContactEmail = Annotated[str, Meta(min_length=3, max_length=254)]
ContactPhone = Annotated[str, Meta(min_length=5, max_length=32)]


class BankOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    short_code: str
    api_base_url: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class BankUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    api_base_url: Url | UnsetType = UNSET
    contact_name: ContactName | UnsetType = UNSET
    contact_email: ContactEmail | UnsetType = UNSET
    contact_phone: ContactPhone | UnsetType = UNSET


class BankUserOut(msgspec.Struct, kw_only=True):
    id: UUID
    display_name: str
    email: str
    role: Role
    is_active: bool
    created_at: dt.datetime
    last_login_at: Annotated[
        dt.datetime | None, Meta(description="The last successful login; null if never")
    ]
