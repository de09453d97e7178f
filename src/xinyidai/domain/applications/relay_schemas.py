"""API contracts of the relay's two desks: a bank's intake (where its applications are
delivered) and the credit office's view of deliveries (dead letters, requeue)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.applications.vocabulary import ApplicationStatus, OutboxStatus

IntakeUrl = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=500,
        description="https:// with a public host (http:// and private addresses only where the "
        "deployment allows them, as for webhook URLs)",
    ),
]


class IntakeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where the platform delivers the bank's applications, and how it gets a token for that
    (OAuth 2.0 client credentials at the bank's own token endpoint, client_secret_basic)."""

    intake_url: IntakeUrl
    token_url: IntakeUrl
    client_id: Annotated[str, Meta(min_length=1, max_length=200)]
    client_secret: (
        Annotated[
            str,
            Meta(
                min_length=8,
                max_length=500,
                description="Write-only; required when the intake is first set, left out (or "
                "null) to keep the stored one",
            ),
        ]
        | None
    ) = None
    scope: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class IntakeOut(msgspec.Struct, kw_only=True):
    """A bank's intake as shown to its users: never the secret."""

    bank_id: UUID
    intake_url: str
    token_url: str
    client_id: str
    scope: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AttemptOut(msgspec.Struct, kw_only=True):
    at: dt.datetime
    status_code: Annotated[int | None, Meta(description="The intake's answer; null if none came")]
    error: str | None
    duration_ms: int


class DeliveryBank(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    short_code: str


class DeliveryApplication(msgspec.Struct, kw_only=True):
    id: UUID
    status: ApplicationStatus
    uscc: str
    enterprise_name: str
    amount: Annotated[str, Meta(description="Yuan, a decimal string")]
    submitted_at: dt.datetime


class OfficeDeliveryOut(msgspec.Struct, kw_only=True):
    id: Annotated[UUID, Meta(description="Also the Idempotency-Key the bank receives")]
    status: OutboxStatus
    bank: DeliveryBank
    application: DeliveryApplication
    attempts: int
    next_attempt_at: Annotated[
        dt.datetime | None, Meta(description="When the next attempt is due; null when none is")
    ]
    last_status_code: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    requeued_by: UUID | None
    attempt_log: list[AttemptOut]


class OfficeDeliveryPage(msgspec.Struct, kw_only=True):
    items: list[OfficeDeliveryOut]
    limit: int
    next_cursor: Annotated[
        str | None,
        Meta(description="Pass as `cursor` for the next (older) page; null on the last page"),
    ]


def attempt_log(raw: list[dict[str, Any]]) -> list[AttemptOut]:
    return msgspec.convert(raw, list[AttemptOut])
