"""What an SME grants: authorizations for the platform to fetch its data sources, and
consents for a bank to read its data."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, enum_check


class DataAuthorization(Base):
    """An SME's authorization (授权) for the platform to fetch some data families.

    Live while not revoked and not expired; revocation and expiry are kept as history. The
    ``reference`` is what the platform presents to a data provider with every call.
    """

    __tablename__ = "data_authorizations"
    __table_args__ = (
        CheckConstraint("cardinality(families) > 0", name="families_not_empty"),
        CheckConstraint("expires_at > created_at", name="expires_after_grant"),
        Index(
            "ix_data_authorizations_enterprise_live", "enterprise_id", "revoked_at", "expires_at"
        ),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    families: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    purpose: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    # The SME user who granted it; empty only for authorizations loaded by the demo seed.
    granted_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ConsentPurpose(StrEnum):
    """Why a bank may read an SME's data."""

    APPLICATION = "application"  # a loan application (its id is the reference)
    NEED = "need"  # a financing need the bank claimed (its id is the reference)
    GENERAL = "general"  # a relationship described in the reference (e.g. a renewal)


class ConsentChannel(StrEnum):
    """Where the SME granted it."""

    PORTAL = "portal"  # the SME's bank-consents page
    OAUTH = "oauth"  # the consent screen of a bank's code flow
    APPLICATION = "application"  # applying for a product


class BankConsent(Base):
    """An SME's consent (授权) for one bank to read some of its data: families the platform
    holds for it, plus ``score``. Granted by a verified user of the enterprise; live while not
    revoked and not expired (≤ 12 months); checked on every bank request."""

    __tablename__ = "bank_consents"
    __table_args__ = (
        CheckConstraint("cardinality(families) > 0", name="families_not_empty"),
        CheckConstraint("expires_at > created_at", name="expires_after_grant"),
        enum_check("purpose", ConsentPurpose, "purpose_known"),
        enum_check("channel", ConsentChannel, "channel_known"),
        Index("ix_bank_consents_enterprise", "enterprise_id", "created_at"),
        Index("ix_bank_consents_bank_live", "bank_id", "enterprise_id", "revoked_at", "expires_at"),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    families: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    purpose: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(Text, default=None)
    channel: Mapped[str] = mapped_column(String(16))
    # The bank's OAuth client, when the consent came through its code flow.
    client_id: Mapped[str | None] = mapped_column(String(64), default=None)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    granted_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
