"""The authorisation server's own records: banks' OAuth clients, the platform's token signing
keys, and refresh tokens (``domain/oauth/``).

Short-lived, single-use things (pushed authorisation requests, codes, replay guards for
assertion and DPoP ``jti``) live in Redis with their lifetime as TTL, never here.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ARRAY, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, enum_check


class ClientAuthMethod(StrEnum):
    """How a client authenticates at the token endpoint (RFC 8414 names)."""

    PRIVATE_KEY_JWT = "private_key_jwt"  # FAPI 2.0: the only method outside development
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (a method name; dev only)


class OAuthClient(Base):
    """A bank's confidential client: its public keys (JWKS) for ``private_key_jwt``, the
    redirect URIs its site may use in the code flow (matched exactly), and what it may ask for.
    """

    __tablename__ = "oauth_clients"
    __table_args__ = (
        enum_check("auth_method", ClientAuthMethod, "auth_method_known"),
        Index("ix_oauth_clients_bank", "bank_id"),
    )

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    bank_id: Mapped[UUID] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    auth_method: Mapped[str] = mapped_column(String(32))
    jwks: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # SHA-256 of the secret (hex), only for ``client_secret_basic`` (development).
    secret_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    redirect_uris: Mapped[list[str]] = mapped_column(
        ARRAY(String(500)), server_default=text("'{}'")
    )
    grant_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class SigningKey(Base):
    """One of the platform's access-token signing keys (ES256). The private key is stored
    encrypted with ``DATA_KEY``. The newest active key signs; a retired key stays in the JWKS
    until ``publish_until`` (when every token it signed has expired)."""

    __tablename__ = "oauth_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    publish_until: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class RefreshToken(Base):
    """A refresh token of the code flow, bound to its client and consent: it dies with the
    consent, and each use replaces it (rotation; a reused one revokes the family)."""

    __tablename__ = "oauth_refresh_tokens"
    __table_args__ = (Index("ix_oauth_refresh_tokens_consent", "consent_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE")
    )
    consent_id: Mapped[UUID] = mapped_column(ForeignKey("bank_consents.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    dpop_jkt: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
