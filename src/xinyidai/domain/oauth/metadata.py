"""The authorisation server's metadata (RFC 8414): exactly what it supports, nothing more."""

from __future__ import annotations

from typing import Any

from xinyidai.domain.oauth.clients import SCOPES
from xinyidai.domain.oauth.dpop import ALGORITHMS as DPOP_ALGORITHMS
from xinyidai.domain.oauth.server import (
    ASSERTION_ALGORITHMS,
    CLIENT_SECRET_BASIC,
    PRIVATE_KEY_JWT,
)
from xinyidai.settings import Settings


def metadata(settings: Settings) -> dict[str, Any]:
    issuer = settings.issuer
    methods = [PRIVATE_KEY_JWT] + ([CLIENT_SECRET_BASIC] if settings.oauth_allow_secrets else [])
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "scopes_supported": list(SCOPES),
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
    }
