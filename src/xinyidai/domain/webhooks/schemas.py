"""API contracts of bank webhooks: the endpoint a bank sets, and its delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.models.webhooks import DeliveryStatus, WebhookEvent

WebhookUrl = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=500,
        description="Where the platform POSTs the bank's webhooks: https:// with a public host "
        "(http:// and private addresses only where the deployment allows them)",
    ),
]


class WebhookEndpointIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: WebhookUrl


class WebhookEndpointOut(msgspec.Struct, kw_only=True):
    bank_id: UUID
    url: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AttemptOut(msgspec.Struct, kw_only=True):
    at: dt.datetime
    status_code: Annotated[int | None, Meta(description="The bank's answer; null if none came")]
    error: str | None
    duration_ms: int


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: Annotated[UUID, Meta(description="Also sent as X-Xinyidai-Delivery")]
    event_id: Annotated[str, Meta(description="The event's id: the signature's jti, the body's id")]
    event_type: WebhookEvent
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Annotated[
        dt.datetime | None, Meta(description="When the next attempt is due; null once settled")
    ]
    last_status_code: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryPage(msgspec.Struct, kw_only=True):
    items: list[DeliveryOut]
    limit: int
    next_cursor: Annotated[
        str | None,
        Meta(description="Pass as `cursor` for the next (older) page; null on the last page"),
    ]
