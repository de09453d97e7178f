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
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "pushed_authorization_request_endpoint": f"{issuer}/oauth/par",
        "require_pushed_authorization_requests": True,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": [PRIVATE_KEY_JWT],
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": [PRIVATE_KEY_JWT],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": list(SCOPES),
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
    }
