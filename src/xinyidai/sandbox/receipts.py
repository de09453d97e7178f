"""How the sandbox provider checks the platform's authorization receipts, and what it keeps.

A real provider is given the platform's public keys when it onboards the platform: the JWK Set
itself, or the URL it is published at (``/.well-known/jwks.json``). :class:`PlatformKeys` holds
either: a static set, and/or a ``jwks_uri`` fetched on first use and again when a receipt names
a key it does not know (a rotation), at most every ``min_refresh`` seconds.

:func:`verify_receipt` is written from the provider's side of the contract (it does not use the
platform's receipt code): a compact JWS whose header is ``alg: ES256`` (nothing else: no
``none``, no HMAC) with a known ``kid`` and ``typ: xyd-receipt+jwt``; a valid signature; the
claims present with their types; not expired and not issued in the future (``leeway``
seconds); ``aud`` this provider; ``uscc`` the enterprise asked for; the family asked for among
``families``. Anything else is a :class:`ReceiptRefused` naming the rule.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

RECEIPT_TYPE = "xyd-receipt+jwt"
ALGORITHM = "ES256"
LEEWAY = 30  # seconds of clock difference tolerated on exp and iat
MAX_RECEIPT = 8192


class ReceiptRefused(Exception):
    """The receipt does not authorize this call; ``code`` is the JSON error of the 403."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _keys_of(document: Any) -> dict[str, ECKey]:
    """The P-256 public keys of a JWK Set, by ``kid`` (the thumbprint when a key has none).
    Other keys are ignored: this provider accepts ES256 only."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWK Set is an object with a list of keys")
    keys: dict[str, ECKey] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        public = {name: jwk[name] for name in ("kty", "crv", "x", "y") if name in jwk}
        try:
            key = ECKey.import_key(public)
        except (JoseError, TypeError, ValueError):
            continue
        kid = jwk.get("kid")
        keys[kid if isinstance(kid, str) and kid else key.thumbprint()] = key
    return keys


@dataclass
class PlatformKeys:
    """The platform's public keys as this provider knows them."""

    static: Mapping[str, Any] | None = None
    jwks_uri: str | None = None
    min_refresh: float = 30.0
    transport: httpx.AsyncBaseTransport | None = None  # tests: serve the URI from an ASGI app
    _known: dict[str, ECKey] = field(default_factory=dict, init=False)
    _fetched_at: float | None = field(default=None, init=False)
    _lock: asyncio.Lock | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.static is not None:
            self._known = _keys_of(self.static)

    @property
    def kids(self) -> list[str]:
        return sorted(self._known)

    async def key(self, kid: str) -> ECKey | None:
        """The key ``kid``; fetches the ``jwks_uri`` if the key is unknown and it is time."""
        if kid in self._known or self.jwks_uri is None:
            return self._known.get(kid)
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            recent = (
                self._fetched_at is not None
                and time.monotonic() - self._fetched_at < self.min_refresh
            )
            if kid not in self._known and not recent:
                await self._fetch()
        return self._known.get(kid)

    async def _fetch(self) -> None:
        assert self.jwks_uri is not None
        self._fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=5) as client:
                response = await client.get(self.jwks_uri, headers={"Accept": "application/json"})
                response.raise_for_status()
                fetched = _keys_of(response.json())
        except (httpx.HTTPError, ValueError):
            return  # keep what we knew; the receipt is refused as signed by an unknown key
        static = _keys_of(self.static) if self.static is not None else {}
        self._known = {**static, **fetched}


def _b64json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError):
        return None


def _check_claims(claims: Any) -> dict[str, Any]:
    def bad(what: str) -> ReceiptRefused:
        return ReceiptRefused("receipt_malformed", f"the receipt's {what}")

    if not isinstance(claims, dict):
        raise bad("payload is not a JSON object")
    for name in ("iss", "jti", "uscc", "legal_rep", "purpose"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise bad(f"claim {name!r} is missing or not a string")
    for name in ("iat", "exp"):
        value = claims.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad(f"claim {name!r} is missing or not a NumericDate")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if not aud or not all(isinstance(a, str) for a in audiences):
        raise bad("claim 'aud' is missing or not a string")
    families = claims.get("families")
    if not isinstance(families, list) or not all(isinstance(f, str) for f in families):
        raise bad("claim 'families' is missing or not a list of strings")
    authorization = claims.get("authorization")
    if not isinstance(authorization, dict) or not all(
        isinstance(authorization.get(name), str) for name in ("id", "reference")
    ):
        raise bad("claim 'authorization' lacks its id or reference")
    return claims


async def verify_receipt(
    token: str | None,
    keys: PlatformKeys,
    *,
    audience: str,
    uscc: str,
    family: str,
    now: float | None = None,
    leeway: int = LEEWAY,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a receipt that authorizes releasing ``family`` of ``uscc`` to
    the platform; :class:`ReceiptRefused` otherwise."""
    if not token:
        raise ReceiptRefused("receipt_missing", "an X-Authorization-Receipt header is required")
    header = _check_header(token)
    kid = header.get("kid")
    key = await keys.key(kid) if isinstance(kid, str) and kid else None
    if key is None:
        raise ReceiptRefused("receipt_unknown_key", "the receipt is not signed by a known key")
    try:
        verified = jws.deserialize_compact(token, key, algorithms=[ALGORITHM])
    except JoseError:
        raise ReceiptRefused(
            "receipt_invalid_signature", "the receipt's signature does not verify"
        ) from None
    try:
        payload = json.loads(verified.payload or b"")
    except ValueError:
        payload = None
    claims = _check_claims(payload)
    _check_validity(claims, time.time() if now is None else now, leeway)
    _check_scope(claims, audience=audience, uscc=uscc, family=family)
    return header, claims


def _check_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS receipt, refused unless ES256 and the receipt type."""
    parts = token.split(".")
    if len(token) > MAX_RECEIPT or len(parts) != 3:
        raise ReceiptRefused("receipt_malformed", "the receipt is not a compact JWS")
    header = _b64json(parts[0])
    if not isinstance(header, dict):
        raise ReceiptRefused("receipt_malformed", "the receipt's header is not a JSON object")
    if header.get("alg") != ALGORITHM:
        raise ReceiptRefused(
            "receipt_unsupported_algorithm", f"receipts are signed with {ALGORITHM} only"
        )
    if header.get("typ") != RECEIPT_TYPE:
        raise ReceiptRefused("receipt_wrong_type", f"the receipt's typ must be {RECEIPT_TYPE!r}")
    return header


def _check_validity(claims: dict[str, Any], now: float, leeway: int) -> None:
    """Refuse a receipt that has expired or is issued in the future (``leeway`` seconds)."""
    if claims["exp"] + leeway <= now:
        raise ReceiptRefused("receipt_expired", "the receipt has expired")
    if claims["iat"] - leeway > now:
        raise ReceiptRefused("receipt_not_yet_valid", "the receipt is issued in the future")


def _check_scope(claims: dict[str, Any], *, audience: str, uscc: str, family: str) -> None:
    """Refuse a receipt that is not for this provider, this enterprise and this family."""
    aud = claims["aud"]
    if audience not in (aud if isinstance(aud, list) else [aud]):
        raise ReceiptRefused("receipt_wrong_audience", "the receipt is for another provider")
    if claims["uscc"].strip().upper() != uscc.strip().upper():
        raise ReceiptRefused("receipt_wrong_subject", "the receipt is about another enterprise")
    if family not in claims["families"]:
        raise ReceiptRefused(
            "receipt_family_not_covered", "the receipt does not cover this data family"
        )
