"""Refresh tokens of the code flow: bound to the client, the consent and the DPoP key; each is
used once (rotation), a reused one revokes every refresh token of its consent (RFC 9700 §4.14),
and all die with the consent (revoked or expired).

Only the SHA-256 of a token is stored. Using a token up is one ``UPDATE … WHERE used_at IS
NULL … RETURNING`` after the new tokens are made: of two concurrent refreshes with the same
token one succeeds, and the other revokes the consent's refresh tokens (its own new one too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select, update

from xinyidai.dates import utc_now
from xinyidai.models import BankConsent, RefreshToken

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

LIFETIME = dt.timedelta(days=30)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class RefreshCredential:
    """A claimed refresh token as Authlib's refresh grant wants it."""

    client_id: str
    consent_id: UUID
    user_id: UUID
    scopes: tuple[str, ...]
    dpop_jkt: str
    token_hash: str

    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        return " ".join(self.scopes)


async def store(
    session: AsyncSession, value: str, *, client_id: str, consent_id: UUID, scope: str, jkt: str
) -> None:
    consent = await session.get(BankConsent, consent_id)
    if consent is None:
        return
    now = utc_now()
    session.add(
        RefreshToken(
            token_hash=_hash(value),
            client_id=client_id,
            consent_id=consent_id,
            scopes=scope.split(),
            dpop_jkt=jkt,
            expires_at=min(now + LIFETIME, consent.expires_at),
        )
    )
    await session.flush()


async def _revoke_consent_tokens(session: AsyncSession, consent_id: UUID, now: dt.datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.consent_id == consent_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def find(session: AsyncSession, value: str) -> RefreshCredential | None:
    """The token's grant when it may be used (nothing changes yet: a refresh refused for its
    scope or key leaves the token usable); None when it is unknown, revoked, expired or its
    consent no longer live. A token presented again after use revokes its consent's refresh
    tokens (someone holds a copy)."""
    now = utc_now()
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _hash(value)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.used_at is not None:
        await _revoke_consent_tokens(session, row.consent_id, now)
        return None
    consent = await session.get(BankConsent, row.consent_id)
    if consent is None or not consent.is_live(now):
        return None
    return RefreshCredential(
        client_id=row.client_id,
        consent_id=row.consent_id,
        user_id=consent.granted_by,
        scopes=tuple(row.scopes),
        dpop_jkt=row.dpop_jkt,
        token_hash=row.token_hash,
    )


async def use_up(session: AsyncSession, credential: RefreshCredential) -> bool:
    """Mark the token used, once: False when another refresh took it first (then every
    refresh token of the consent is revoked, the one just issued too)."""
    now = utc_now()
    taken = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == credential.token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.id)
    )
    if taken.first() is None:
        await _revoke_consent_tokens(session, credential.consent_id, now)
        return False
    return True
