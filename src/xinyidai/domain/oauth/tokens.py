"""Revocation (RFC 7009) and introspection (RFC 7662) of the tokens a client holds.

Access tokens are self-contained JWTs: revoking one puts its ``jti`` on a deny list in Redis
until it would have expired anyway, which the bank API checks on every call. Refresh tokens are
rows: revoking one marks it. A client learns about its own tokens only; any other token, or
one that does not verify, is simply not active (and revoking it changes nothing), so neither
endpoint tells a client whether someone else's token exists.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from joserfc import jwt
from joserfc.errors import JoseError
from redis.asyncio import Redis
from sqlalchemy import select, update

from xinyidai.dates import utc_now
from xinyidai.domain.oauth.keys import ALGORITHM, KeyStore
from xinyidai.domain.oauth.server import bank_api_audience
from xinyidai.models import BankConsent, RefreshToken
from xinyidai.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.oauth.clients import BankClient

REVOKED_PREFIX = "oauth:revoked-jti:"


async def _access_claims(store: KeyStore, settings: Settings, token: str) -> dict[str, Any] | None:
    if token.count(".") != 2:
        return None
    try:
        ring = await store.ring()
        decoded = jwt.decode(token, ring.verification_set(), algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError):
        return None
    claims = dict(decoded.claims)
    if claims.get("iss") != settings.issuer or claims.get("aud") != bank_api_audience(
        settings.issuer
    ):
        return None
    return claims


async def revoke(
    redis: Redis,
    session: AsyncSession,
    store: KeyStore,
    settings: Settings,
    client: BankClient,
    token: str,
) -> dict[str, Any]:
    """Revoke the client's token; nothing happens for anyone else's (RFC 7009 §2.2)."""
    claims = await _access_claims(store, settings, token)
    if claims is not None:
        if claims.get("client_id") == client.client_id:
            ttl = int(float(claims.get("exp", 0)) - time.time()) + 5
            if ttl > 0:
                await redis.set(REVOKED_PREFIX + str(claims["jti"]), b"1", ex=ttl)
        return {}
    digest = hashlib.sha256(token.encode()).hexdigest()
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == digest,
            RefreshToken.client_id == client.client_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=utc_now())
    )
    return {}


async def _consent_live(session: AsyncSession, consent_id: Any) -> bool:
    try:
        consent = await session.get(BankConsent, UUID(str(consent_id)))
    except ValueError:
        return False
    return consent is not None and consent.is_live(utc_now())


async def introspect(
    redis: Redis,
    session: AsyncSession,
    store: KeyStore,
    settings: Settings,
    client: BankClient,
    token: str,
) -> dict[str, Any]:
    inactive: dict[str, Any] = {"active": False}
    claims = await _access_claims(store, settings, token)
    if claims is not None:
        if (
            claims.get("client_id") != client.client_id
            or float(claims.get("exp", 0)) <= time.time()
        ):
            return inactive
        if await redis.exists(REVOKED_PREFIX + str(claims["jti"])):
            return inactive
        if "consent_id" in claims and not await _consent_live(session, claims["consent_id"]):
            return inactive
        keep = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "cnf", "consent_id")
        return {"active": True, "token_type": "DPoP", **{k: claims[k] for k in keep if k in claims}}
    row = await session.scalar(
        select(RefreshToken).where(
            RefreshToken.token_hash == hashlib.sha256(token.encode()).hexdigest(),
            RefreshToken.client_id == client.client_id,
        )
    )
    now = utc_now()
    if row is None or row.used_at or row.revoked_at or row.expires_at <= now:
        return inactive
    if not await _consent_live(session, row.consent_id):
        return inactive
    return {
        "active": True,
        "token_type": "refresh_token",
        "client_id": row.client_id,
        "scope": " ".join(row.scopes),
        "exp": int(row.expires_at.timestamp()),
        "consent_id": str(row.consent_id),
        "cnf": {"jkt": row.dpop_jkt},
    }
