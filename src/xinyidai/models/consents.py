"""Authorizations an SME grants: to the platform, to fetch its data sources."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base


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
