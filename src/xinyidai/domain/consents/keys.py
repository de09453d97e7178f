"""``GET /.well-known/jwks.json``: the public keys that verify what the platform signs.

Data providers verify authorization receipts (``domain/consents/receipts.py``) with these keys;
a provider is given this URL (or the document) when it is onboarded. Only public parts are
served (``infra/signing.py``); caches may keep the document five minutes, so a new key is
published (as ``SIGNING_KEYS_RETIRED`` keeps the old one) well before it is used.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from litestar.datastructures import CacheControlHeader


class PublicJwk(msgspec.Struct, frozen=True):
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    alg: str
    use: str


class JwkSet(msgspec.Struct, frozen=True):
    keys: list[PublicJwk]


@get(
    "/.well-known/jwks.json",
    summary="The platform's public signing keys (JWK Set, RFC 7517)",
    tags=["operations"],
    media_type="application/jwk-set+json",
    cache_control=CacheControlHeader(public=True, max_age=300),
)
async def jwks(request: Request[Any, Any, Any]) -> JwkSet:
    return msgspec.convert(request.app.state.signer.jwks(), JwkSet)
