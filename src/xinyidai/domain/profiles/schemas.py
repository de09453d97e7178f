"""The credit profile and the access log as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec


class ProfileOut(msgspec.Struct, kw_only=True):
    enterprise_id: UUID
    version: int
    format: str
    content_hash: str
    as_of: dt.date
    built_at: dt.datetime
    reason: str
    content: dict[str, Any]


class AccessLogItem(msgspec.Struct, kw_only=True):
    at: dt.datetime
    actor_role: str
    actor_org: str
    purpose: str
    resource: str
    detail: str


class AccessLogPage(msgspec.Struct, kw_only=True):
    items: list[AccessLogItem]
    total: int
    limit: int
    offset: int
