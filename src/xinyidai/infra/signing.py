"""The platform's signing key: ES256 (ECDSA on P-256), its ``kid``, and the public JWKS.

What the platform signs for others to check (authorization receipts for data providers) is a
compact JWS made with one EC P-256 key. The key's ``kid`` is its RFC 7638 thumbprint, so a
verifier can pick the key from the published set and the same key always has the same id.

Where the key comes from:

* ``SIGNING_KEY``: a private JWK (JSON) or a PEM. Required in production (``Settings.check``),
  like ``SECRET_KEY`` and ``DATA_KEY``.
* Development and tests without ``SIGNING_KEY``: derived from ``SECRET_KEY`` (the private scalar
  is HMAC-SHA256(secret, label) reduced into the curve's range), so every process of one
  deployment (web, worker, the CLI that seeds the demo) signs with the same key, and a sandbox
  given the public set keeps verifying after a restart.

Rotation: put the old key's public JWK in ``SIGNING_KEYS_RETIRED`` and a new ``SIGNING_KEY``.
The JWKS (``GET /.well-known/jwks.json``) lists the current key first and the retired ones
after it; only the current one signs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from xinyidai.settings import Env, Settings, SettingsError

ALGORITHM = "ES256"
CURVE = "P-256"
# The order n of P-256 (SEC 2 / FIPS 186-4): private scalars lie in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_DERIVATION_LABEL = b"xinyidai receipt key"


def derive_key(secret: str) -> ECKey:
    """The development key of ``secret``: the same secret always gives the same key."""
    digest = hmac.new(secret.encode(), _DERIVATION_LABEL, hashlib.sha256).digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    return ECKey.import_key(ec.derive_private_key(scalar, ec.SECP256R1()))


def _import(data: Any) -> ECKey:
    """An EC key from a JWK (dict) or PEM (text); ``ValueError`` when it is not a P-256 one."""
    try:
        if isinstance(data, Mapping):
            if data.get("kty") != "EC":
                raise ValueError("not an EC key")
            key = ECKey.import_key(dict(data))
        elif isinstance(data, str):
            key = ECKey.import_key(data.strip().encode())
        else:
            raise ValueError("not a JWK or a PEM")
    except (JoseError, TypeError, ValueError) as exc:
        raise ValueError(f"not an EC key ({type(exc).__name__})") from None
    if key.curve_name != CURVE:
        raise ValueError(f"an EC key on {key.curve_name}; ES256 needs {CURVE}")
    return key


def load_private_key(text: str) -> ECKey:
    """The private key of ``SIGNING_KEY``: a JWK as JSON, or a PEM."""
    text = text.strip()
    try:
        key = _import(json.loads(text) if text.startswith("{") else text)
    except ValueError as exc:
        raise SettingsError(f"SIGNING_KEY: {exc}") from None
    if not key.is_private:
        raise SettingsError("SIGNING_KEY: a private key is needed (the JWK has no `d`)")
    return key


def load_public_keys(text: str) -> list[ECKey]:
    """The keys of ``SIGNING_KEYS_RETIRED``: a JWKS document, a JSON list of JWKs, or one JWK.
    Private parts, if given, are never published."""
    try:
        data = json.loads(text)
        if isinstance(data, Mapping) and "keys" in data:
            data = data["keys"]
        items = data if isinstance(data, list) else [data]
        return [_import(item) for item in items]
    except ValueError as exc:
        raise SettingsError(f"SIGNING_KEYS_RETIRED: {exc}") from None


def public_jwk(key: ECKey) -> dict[str, str]:
    """The public JWK of ``key`` as published: never ``d``; ``kid`` is the thumbprint."""
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


class Signer:
    """Signs JWS with the platform's current key and knows the JWKS that verifies them."""

    def __init__(self, key: ECKey, *, issuer: str, retired: Iterable[ECKey] = ()) -> None:
        if not key.is_private or key.curve_name != CURVE:
            raise ValueError("the signing key must be a private P-256 key")
        self._key = key
        self.kid = key.thumbprint()
        self.issuer = issuer
        published = [public_jwk(key)]
        for old in retired:
            jwk = public_jwk(old)
            if all(jwk["kid"] != seen["kid"] for seen in published):
                published.append(jwk)
        self._published = published

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        """The deployment's signer (``SIGNING_KEY``; in development derived from the secret)."""
        if settings.signing_key:
            key = load_private_key(settings.signing_key)
        elif settings.env in (Env.DEVELOPMENT, Env.TEST):
            key = derive_key(settings.secret_key)
        else:
            raise SettingsError("SIGNING_KEY must be set outside development")
        retired = (
            load_public_keys(settings.signing_keys_retired) if settings.signing_keys_retired else []
        )
        return cls(key, issuer=settings.issuer, retired=retired)

    def sign(self, claims: Mapping[str, Any], *, typ: str) -> str:
        """A compact JWS of ``claims`` with header ``{alg: ES256, kid, typ}``."""
        header = {"alg": ALGORITHM, "kid": self.kid, "typ": typ}
        return jwt.encode(header, dict(claims), self._key, algorithms=[ALGORITHM])

    def sign_detached(self, payload: bytes, *, typ: str, header: Mapping[str, Any]) -> str:
        """A compact JWS over ``payload`` with its payload part left out (RFC 7515 Appendix F):
        ``<protected>..<signature>``. The protected header is ``{alg: ES256, kid, typ}`` and
        ``header``'s members (which may not override those three). A verifier puts the
        base64url of the bytes it received between the two dots and verifies as usual."""
        if {"alg", "kid", "typ"} & set(header):
            raise ValueError("alg, kid and typ are the signer's")
        protected = {"alg": ALGORITHM, "kid": self.kid, "typ": typ, **header}
        registry = jws.JWSRegistry(algorithms=[ALGORITHM], strict_check_header=False)
        token = jws.serialize_compact(protected, payload, self._key, registry=registry)
        return jws.detach_content(token)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK Set (RFC 7517 §5): the current key, then the retired ones."""
        return {"keys": [dict(jwk) for jwk in self._published]}
