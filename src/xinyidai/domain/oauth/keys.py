"""The keys that sign access tokens (ES256), kept in ``oauth_signing_keys``.

The first process that needs a key makes one (under an advisory lock, so two processes starting
together make one key, not two) and stores its private part encrypted with ``DATA_KEY``
(AES-256-GCM bound to the row's ``kid``). ``xinyidai oauth rotate-key`` makes a new key and
retires the old one: the new one signs from then on, and the old one stays in the published
JWKS (``/oauth/jwks``) until ``publish_until``, when every token it signed has expired.

Each process keeps the keys in memory (:class:`KeyRing`) and reads them again at most every
``REFRESH_SECONDS``, or at once when a token names a ``kid`` it does not know; after a rotation
another process may sign with the old key for that long, which the old key's publication
covers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import func, or_, select, text

from xinyidai.dates import utc_now
from xinyidai.models import SigningKey

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from xinyidai.infra.crypto import FieldCipher

ALGORITHM = "ES256"
REFRESH_SECONDS = 60.0
FORCED_RELOAD_SECONDS = 5.0
_LOCK = 0x7879_6400_6F61_7568  # pg_advisory_xact_lock key: "xyd oauth" keys


def _associated(kid: str) -> str:
    return f"oauth_signing_keys.private_cipher:{kid}"


def public_jwk(key: ECKey) -> dict[str, str]:
    public = key.as_dict(private=False)
    return {
        "kty": "EC",
        "crv": str(public["crv"]),
        "x": str(public["x"]),
        "y": str(public["y"]),
        "kid": key.thumbprint(),
        "alg": ALGORITHM,
        "use": "sig",
    }


@dataclass
class KeyRing:
    """The keys as one process knows them: the one that signs and all that are published."""

    signing: ECKey
    kid: str
    published: list[dict[str, str]]
    loaded_at: float = field(default_factory=time.monotonic)

    def verification_set(self) -> KeySet:
        return KeySet.import_key_set({"keys": [dict(jwk) for jwk in self.published]})

    def knows(self, kid: str) -> bool:
        return any(jwk["kid"] == kid for jwk in self.published)

    def stale(self) -> bool:
        return time.monotonic() - self.loaded_at > REFRESH_SECONDS

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(jwk) for jwk in self.published]}


def _new_row(cipher: FieldCipher) -> SigningKey:
    key = ECKey.generate_key("P-256", private=True)
    kid = key.thumbprint()
    private = json.dumps(key.as_dict(private=True), sort_keys=True)
    return SigningKey(
        kid=kid,
        alg=ALGORITHM,
        private_cipher=cipher.encrypt(private, _associated(kid)),
        public_jwk=public_jwk(key),
    )


async def _published(session: AsyncSession, now: dt.datetime) -> list[SigningKey]:
    rows = await session.scalars(
        select(SigningKey)
        .where(or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
        .order_by(SigningKey.created_at.desc())
    )
    return list(rows)


async def load(session: AsyncSession, cipher: FieldCipher) -> KeyRing:
    """The current keys, making the first one when there is none (the caller commits)."""
    now = utc_now()
    rows = await _published(session, now)
    if not any(row.retired_at is None for row in rows):
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
        rows = await _published(session, now)  # another process may have made it meanwhile
        if not any(row.retired_at is None for row in rows):
            row = _new_row(cipher)
            session.add(row)
            await session.flush()
            rows.insert(0, row)
    active = next(row for row in rows if row.retired_at is None)
    private = cipher.decrypt(active.private_cipher, _associated(active.kid))
    signing = ECKey.import_key(json.loads(private))
    return KeyRing(
        signing=signing, kid=active.kid, published=[dict(row.public_jwk) for row in rows]
    )


async def rotate(
    session: AsyncSession, cipher: FieldCipher, *, keep_old_for: dt.timedelta
) -> tuple[str, list[str]]:
    """Retire the signing key (published ``keep_old_for`` longer) and make a new one; forget
    keys whose publication has ended. Returns the new ``kid`` and the retired ones'."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    now = utc_now()
    retired = []
    for row in await session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = now
        row.publish_until = now + keep_old_for
        retired.append(row.kid)
    row = _new_row(cipher)
    session.add(row)
    await session.flush()
    return row.kid, retired


async def count_published(session: AsyncSession) -> int:
    now = utc_now()
    result = await session.scalar(
        select(func.count())
        .select_from(SigningKey)
        .where(or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
    )
    return int(result or 0)


class KeyStore:
    """A process's keys: loaded (and the first one made) on first use in a transaction of its
    own, read again when stale or when a token names an unknown ``kid``."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: FieldCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._ring: KeyRing | None = None
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """Read the keys again on next use (as after ``REFRESH_SECONDS``)."""
        self._ring = None

    async def ring(self, *, unknown_kid: str | None = None) -> KeyRing:
        ring = self._ring
        if ring is not None and not ring.stale():
            if unknown_kid is None or ring.knows(unknown_kid):
                return ring
            if time.monotonic() - ring.loaded_at < FORCED_RELOAD_SECONDS:
                return ring  # made-up kids must not make every request read the keys again
        async with self._lock:
            if self._ring is not ring and self._ring is not None:
                return self._ring  # another request reloaded meanwhile
            async with self._sessions() as session:
                loaded = await load(session, self._cipher)
                await session.commit()
            self._ring = loaded
            return loaded
