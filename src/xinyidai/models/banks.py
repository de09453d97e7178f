from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base


class Bank(Base):
    """A lending institution (金融机构) that publishes products and pulls authorized profiles."""

    __tablename__ = "banks"

    name: Mapped[str] = mapped_column(String(200))
    short_code: Mapped[str] = mapped_column(String(32), unique=True)
    api_base_url: Mapped[str | None] = mapped_column(String(500), default=None)
    contact_name: Mapped[str | None] = mapped_column(String(100), default=None)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(32), default=None)
