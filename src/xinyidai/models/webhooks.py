"""Webhooks to banks: each bank's endpoint, and one delivery row per event per bank."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, enum_check


class WebhookEvent(StrEnum):
    """What the platform tells banks about (the ``type`` of a delivery)."""

    CONSENT_REVOKED = "consent.revoked"
    CONSENT_EXPIRED = "consent.expired"
    PROFILE_UPDATED = "profile.updated"
    LOAN_WARNING = "loan.warning"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not attempted yet
    FAILED = "failed"  # the last attempt failed; another is due at next_attempt_at
    DELIVERED = "delivered"  # the bank answered 2xx
    DEAD = "dead"  # given up: WEBHOOK_MAX_ATTEMPTS failed, or the bank has no URL any more


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
"""Deliveries still to be attempted."""


class WebhookEndpoint(Base):
    """Where a bank receives webhooks (one URL per bank). Kept apart from ``banks`` because
    it has its own life: checked against the destination policy, set by the bank's users."""

    __tablename__ = "bank_webhooks"

    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(500))


class WebhookDelivery(Base):
    """One event for one bank, and how its delivery went: the bank's delivery log.

    The queue carries only the row's id; everything a delivery needs is here. ``attempts`` is
    counted when an attempt starts (a worker that dies mid-attempt still used it up);
    ``attempt_log`` keeps one entry per attempt (time, status code, error, milliseconds)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("bank_id", "event_id", name="uq_webhook_deliveries_bank_event"),
        enum_check("status", DeliveryStatus, "status_valid"),
        enum_check("event_type", WebhookEvent, "event_type_valid"),
        Index("ix_webhook_deliveries_bank_id_id", "bank_id", "id"),
        Index(
            "ix_webhook_deliveries_open_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
    )

    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    event_type: Mapped[WebhookEvent] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB)
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
