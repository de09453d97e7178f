"""Notification contracts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.models import NotificationKind


class NotificationOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: NotificationKind
    product_id: UUID | None
    product_version_id: UUID | None
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(msgspec.Struct, kw_only=True):
    items: list[NotificationOut]
    unread: Annotated[int, Meta(description="Unread notifications in all")]
    next_cursor: Annotated[str | None, Meta(description="Pass as `cursor` for older ones")]
