"""A bank's side of OAuth for the tests: its keys, client assertions and DPoP proofs.

The assertions go through Authlib's own client (``AsyncOAuth2Client`` with ``PrivateKeyJWT``);
the DPoP proof builder is ours, as the bank's would be (RFC 9449 §4.2), with knobs to make each
kind of broken proof.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey


def new_key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


def public_jwks(*keys: ECKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def dpop_proof(
    key: ECKey,
    method: str,
    url: str,
    *,
    access_token: str | None = None,
    iat: float | None = None,
    jti: str | None = None,
    typ: str = "dpop+jwt",
    extra: dict[str, Any] | None = None,
) -> str:
    """A DPoP proof by ``key`` for one request (a fresh ``jti`` unless given)."""
    claims: dict[str, Any] = {
        "jti": jti or secrets.token_urlsafe(16),
        "htm": method,
        "htu": url,
        "iat": int(time.time() if iat is None else iat),
    }
    if access_token is not None:
        digest = hashlib.sha256(access_token.encode()).digest()
        claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    claims.update(extra or {})
    header = {"typ": typ, "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def client_assertion(
    key: ECKey,
    client_id: str,
    audience: str,
    *,
    jti: str | None = None,
    alg: str = "ES256",
    lifetime: int = 60,
) -> str:
    """A ``private_key_jwt`` assertion made by hand (for the broken ones Authlib won't make)."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])
