"""DPoP proofs (RFC 9449): what binds a bank's access token to a key only the bank holds.

Authlib has no DPoP; this is ours, on joserfc. A proof is a JWT the client signs for each
request with its own key, carrying that public key in its header. The token endpoint records the
key's thumbprint in the token (``cnf.jkt``); the resource server then wants, on every call, a
fresh proof by the same key for this very request:

* header ``typ`` = ``dpop+jwt``, ``alg`` one of :data:`ALGORITHMS` (never ``none`` or an HMAC),
  ``jwk`` a public key (a private part is refused);
* claims ``jti`` (unique: each is accepted once, remembered in Redis for the window), ``htm``
  (the request's method), ``htu`` (its URL without query and fragment), ``iat`` within
  :data:`WINDOW_SECONDS` in the past or :data:`SKEW_SECONDS` in the future, and with a token,
  ``ath`` = base64url(SHA-256(token)).
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from redis.asyncio import Redis

ALGORITHMS = ["ES256", "PS256", "EdDSA"]
WINDOW_SECONDS = 60
SKEW_SECONDS = 5
MAX_PROOF_BYTES = 8192


class DPoPError(Exception):
    """The proof is missing or wrong; ``description`` says how (sent back to the client)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class Proof:
    jkt: str
    """The thumbprint (RFC 7638, SHA-256) of the key that signed the proof."""
    jti: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token_hash(token: str) -> str:
    """``ath``: base64url(SHA-256(access token))."""
    return _b64(hashlib.sha256(token.encode()).digest())


def normalise_htu(url: str) -> str:
    """The URL as ``htu`` compares it: scheme and host lower-cased, no query or fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


def _decode(proof: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    if len(proof) > MAX_PROOF_BYTES:
        raise DPoPError("the DPoP proof is too large")
    try:
        header = jws.extract_compact(proof.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise DPoPError("the DPoP proof is not a compact JWS") from exc
    if header.get("typ") != "dpop+jwt":
        raise DPoPError("the DPoP proof's typ must be dpop+jwt")
    if header.get("alg") not in ALGORITHMS:
        raise DPoPError(f"the DPoP proof's alg must be one of {', '.join(ALGORITHMS)}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise DPoPError("the DPoP proof's header carries no jwk")
    if any(name in jwk for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise DPoPError("the DPoP proof's jwk must be a public key")
    try:
        key = JWKRegistry.import_key(jwk)
        token = jwt.decode(proof, key, algorithms=[str(header["alg"])])
    except (JoseError, ValueError, TypeError) as exc:
        raise DPoPError("the DPoP proof's signature does not verify") from exc
    return header, dict(token.claims), key.thumbprint()


def check_claims(
    claims: dict[str, Any],
    *,
    method: str,
    url: str,
    access_token: str | None,
    now: float | None = None,
) -> None:
    """Everything but replay: method, URL, time and the token hash."""
    now = time.time() if now is None else now
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
        raise DPoPError("the DPoP proof needs a jti (8 to 256 characters)")
    if claims.get("htm") != method.upper():
        raise DPoPError("the DPoP proof was made for another HTTP method")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalise_htu(htu) != normalise_htu(url):
        raise DPoPError("the DPoP proof was made for another URL")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise DPoPError("the DPoP proof needs an iat")
    if iat < now - WINDOW_SECONDS or iat > now + SKEW_SECONDS:
        raise DPoPError("the DPoP proof is stale or from the future")
    if access_token is None:
        if "ath" in claims:
            raise DPoPError("a DPoP proof for the token endpoint carries no ath")
    elif claims.get("ath") != access_token_hash(access_token):
        raise DPoPError("the DPoP proof's ath is not the hash of this access token")


async def verify(
    redis: Redis,
    proof: str | None,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
) -> Proof:
    """Check a ``DPoP`` header for this request; each proof is accepted once."""
    if not proof:
        raise DPoPError("a DPoP proof is required")
    _, claims, jkt = _decode(proof)
    check_claims(claims, method=method, url=url, access_token=access_token)
    jti = str(claims["jti"])
    fresh = await redis.set(
        f"dpop:jti:{jkt}:{hashlib.sha256(jti.encode()).hexdigest()}",
        b"1",
        nx=True,
        ex=WINDOW_SECONDS + SKEW_SECONDS + 5,
    )
    if not fresh:
        raise DPoPError("this DPoP proof was used before")
    return Proof(jkt=jkt, jti=jti)


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of a public JWK (what ``cnf.jkt`` holds)."""
    return str(JWKRegistry.import_key(jwk).thumbprint())
